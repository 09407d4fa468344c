import path from 'node:path';
import { buildHostedPage, builtHostedPage } from '../hosted-page/hosted-page-build.js';

/** The operator console sources (`services/kyc/console`, Preact + Vite). */
export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../console');
/** Its build (`services/kyc/dist/console`, ignored by git), what `/dashboard` serves. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, '../../dist/console');

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/**
 * The console's build step, the same as the hosted page's (one Vite build per source hash, swapped
 * in atomically): `npm run build -w services/kyc` runs both.
 */
export function buildConsole(logger?: Logger) {
  return buildHostedPage({ webDir: CONSOLE_DIR, distDir: CONSOLE_DIST, logger });
}

/** The console build the app serves (a missing build fails the start, as the hosted page's does). */
export function builtConsole(logger?: Logger): Promise<string> {
  return builtHostedPage(logger, { webDir: CONSOLE_DIR, distDir: CONSOLE_DIST });
}
