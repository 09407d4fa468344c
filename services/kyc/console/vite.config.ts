import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The service serves the build's index.html at /login, /signup and /dashboard/…, and its files at
// /console/assets/…: absolute asset URLs under /console/. No inline script or style: the page runs
// under `script-src 'self'; style-src 'self'`. JSX is Preact's (automatic runtime).
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  clearScreen: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // The package's build output (`npm run build -w services/kyc`), not a directory of the sources.
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
});
