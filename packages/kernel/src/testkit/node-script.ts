import { existsSync } from 'node:fs';

/**
 * The Node arguments that run a test's TypeScript entry script (a worker or server in a child
 * process). `npm test` runs the test files from a compiled mirror (`scripts/test-build.mjs`) where
 * a `.js` sits beside each `.ts`: plain Node runs that one, as `bin/trustplane.js` does, without
 * tsx's loader on every module the child imports (≈ 3× the CPU of a process start, README "Test
 * files run compiled"). Run from the sources (`TEST_RUNTIME=tsx`), the script goes through tsx.
 */
export function nodeScriptArgs(script: string): string[] {
  const compiled = script.replace(/\.ts$/, '.js');
  return compiled !== script && existsSync(compiled)
    ? ['--enable-source-maps', compiled]
    : ['--import', 'tsx', script];
}
