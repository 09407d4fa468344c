#!/usr/bin/env node
// The sources are TypeScript run through tsx, so the CLI needs no build step. In the test runs'
// compiled mirror of the repository (scripts/test-build.mjs) `main.js` sits beside `main.ts`, and
// plain Node runs it: a CLI start there does not pay tsx's loader for every module.
import { existsSync } from 'node:fs';

const compiled = new URL('../src/main.js', import.meta.url);
if (existsSync(compiled)) {
  const { main } = await import(compiled.href);
  await main(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  await main(process.argv);
}
