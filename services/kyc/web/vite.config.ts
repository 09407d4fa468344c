import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The service serves dist/ under /verify/ (page at /verify/<sessionId>, files at /verify/assets/…),
// so every URL in the built page is relative. No inline script or style: the page runs under
// `script-src 'self'; style-src 'self'`.
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: './',
  logLevel: 'warn',
  clearScreen: false,
  build: {
    // The package's build output (`npm run build -w services/kyc`), not a directory of the sources.
    outDir: '../dist/hosted-page',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
});
