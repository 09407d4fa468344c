import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { PlatformConfig } from '../config/platform-config.js';
import { loggerOptions } from '../runtime/platform.js';

export interface CapturedLogs {
  /** A logger with the platform's options (serializers, redaction), writing to `lines`. */
  logger: Logger;
  /** Every line written so far, parsed. */
  lines: Record<string, unknown>[];
  /** Everything written so far, as written. */
  text(): string;
}

/** The platform's logger writing to memory, for tests that check what is (not) logged. */
export function captureLogs(level: PlatformConfig['logLevel'] = 'info'): CapturedLogs {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk);
      raw.push(text);
      for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino(loggerOptions({ logLevel: level }), sink), lines, text: () => raw.join('') };
}
