// The log levels a benchmark runs its service at: what users run (`info`, the default) and logs
// silenced, in the same run against the same baseline, so both ratios are printed side by side.
// `--log-levels info,silent` or BENCH_LOG_LEVELS=info (one level, a shorter run); the default is both.
import fs from 'node:fs';
import { createLogger, type PlatformConfig } from '@trustplane/kernel';
import { textArgument } from './arguments.js';

export type LogLevel = PlatformConfig['logLevel'];
type Logger = ReturnType<typeof createLogger>;
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function benchLogLevels(argv = process.argv, env = process.env): LogLevel[] {
  const text = textArgument('log-levels', argv) ?? env.BENCH_LOG_LEVELS;
  const levels = (text ?? 'info,silent').split(',').map((level) => level.trim());
  for (const level of levels) {
    if (!LEVELS.includes(level as LogLevel))
      throw new Error(`unknown log level "${level}" (one of ${LEVELS.join(', ')})`);
  }
  return levels as LogLevel[];
}

/**
 * The platform's own logger (asynchronous, batched: what `npm start` writes to stdout) at `level`,
 * writing to `file` as a log collector would take the lines, so the benchmark's figures stay
 * readable on stdout. `lines()` counts what it wrote (after the platform closed: all of it).
 */
export function fileLogger(level: LogLevel, file: string): { logger: Logger; lines: () => number } {
  const fd = fs.openSync(file, 'w');
  return {
    logger: createLogger({ logLevel: level }, fd),
    lines: () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length,
  };
}
