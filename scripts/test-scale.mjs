#!/usr/bin/env node
// The scale lane (`npm run test:scale`): starts PostgreSQL, RabbitMQ, Redis, S3, two platform
// instances and haproxy once (test/scale/support/lane.ts), then runs test/scale/*.test.ts one file
// at a time against them and closes with `N passed, N failed[, N skipped]`. A server that cannot
// be started is named with why, and every lane test then reports as skipped, never as passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const { register } = await import('tsx/esm/api');
register();
const { startLane } = await import('../test/scale/support/lane.ts');

// `--serve`: start the topology, print the control URL and wait (Ctrl-C stops it), to run a test
// file by hand: `SCALE_CONTROL_URL=<url> node --import tsx --test test/scale/account.test.ts`.
const serve = process.argv.includes('--serve');
const filters = process.argv.slice(2).filter((argument) => argument !== '--serve');
const dir = path.join(root, 'test/scale');
const files = fs
  .readdirSync(dir)
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => path.join('test/scale', name))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no scale test files matched');
  process.exit(1);
}

const log = (line) => process.stdout.write(`scale lane: ${line}\n`);
const started = Date.now();
const lane = await startLane(log);
let stopping;
const stop = () => {
  stopping ??= lane.stop();
  return stopping;
};
if (serve) {
  log(`serving; SCALE_CONTROL_URL=${lane.controlUrl}`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop().finally(() => process.exit(0)));
  await new Promise(() => undefined);
}
const reporter = pathToFileURL(path.join(root, 'scripts/summary-reporter.mjs')).href;
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    // One file at a time: the files kill and restart the instances every file uses.
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    '--test-reporter-destination=stdout',
    ...files,
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, SCALE_CONTROL_URL: lane.controlUrl, LOG_LEVEL: 'silent' },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
    stop().finally(() => process.exit(130));
  });
}
const code = await new Promise((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await stop();
log(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
