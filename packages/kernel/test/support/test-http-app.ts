import pino from 'pino';
import { createHttpApp, type HttpAppOptions } from '../../src/http/create-http-app.js';
import type { ErrorRenderer } from '../../src/http/errors.js';

/** Errors as `{ error: <kind> }` with their status: what the kernel's own tests read. */
export const renderKind: ErrorRenderer = (error) => ({
  statusCode: error.statusCode,
  body: { error: error.kind },
});

/**
 * The kernel's HTTP app as the tests of its mechanisms build it: service `test`, no docs, logs
 * discarded and errors rendered by `renderKind` unless `options` says otherwise.
 */
export function testHttpApp(options: Partial<HttpAppOptions> = {}) {
  return createHttpApp({
    service: 'test',
    title: 'test',
    version: '0',
    logger: pino({ level: 'silent' }),
    renderError: renderKind,
    docs: false,
    ...options,
  });
}
