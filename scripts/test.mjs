#!/usr/bin/env node
// Runs the whole suite: one embedded PostgreSQL for the run, every test file in its own
// process (each makes its own database), and a closing `N passed, N failed` line.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const { register } = await import('tsx/esm/api');
register();
const { startEmbeddedPostgres } = await import('../packages/kernel/src/db/embedded-postgres.ts');

function findTests(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    // The scale lane's files need its servers and instances: `npm run test:scale` runs them.
    if (path.relative(root, full) === path.join('test', 'scale')) continue;
    if (entry.isDirectory()) findTests(full, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path.relative(root, full));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['packages', 'services', 'test']
  .flatMap((top) => findTests(path.join(root, top)))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const dataDir = path.join(os.tmpdir(), `trustplane-test-run-${randomBytes(4).toString('hex')}`);
const server = await startEmbeddedPostgres(dataDir);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.max(2, os.availableParallelism()));
const reporter = pathToFileURL(path.join(root, 'scripts/summary-reporter.mjs')).href;

// Test files run compiled (scripts/test-build.mjs) unless TEST_RUNTIME=tsx asks for the sources.
const compiled = process.env.TEST_RUNTIME !== 'tsx';
const { buildTestTree } = compiled ? await import('./test-build.mjs') : {};
const startedBuild = Date.now();
const build = compiled ? buildTestTree(root) : undefined;
const testTree = build?.root ?? root;
if (build)
  console.log(`test files compiled into ${path.relative(root, testTree)} in ${Date.now() - startedBuild} ms`);
const runFiles = compiled ? files.map((file) => path.join(testTree, file.replace(/\.ts$/, '.js'))) : files;

const child = spawn(
  process.execPath,
  [
    ...(compiled ? ['--enable-source-maps'] : ['--import', 'tsx']),
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    '--test-reporter-destination=stdout',
    ...(process.env.TEST_TIMINGS
      ? [
          `--test-reporter=${pathToFileURL(path.join(root, 'scripts/timing-reporter.mjs')).href}`,
          '--test-reporter-destination=stderr',
        ]
      : []),
    ...runFiles,
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      TRUSTPLANE_TEST_ADMIN_URL: server.adminUrl,
      // Tests that read the sources (scans, generated code) read the repository, not the mirror.
      TRUSTPLANE_SOURCE_ROOT: root,
      TRUSTPLANE_TEST_TREE: testTree,
      TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    },
  },
);
// Interrupted (Ctrl-C, CI timeout): stop the test processes and the server, never leave them behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
    server.stop().finally(() => {
      build?.remove();
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
const code = await new Promise((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await server.stop();
build?.remove();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(code);
