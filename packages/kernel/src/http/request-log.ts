import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { redactUrl } from './redact-url.js';

/**
 * What is recorded of every finished request besides its log line (metrics). `route` is the
 * matched route's pattern (undefined when none matched), read once for both.
 */
export type RequestObserver = (
  request: FastifyRequest,
  reply: FastifyReply,
  route: string | undefined,
) => void;

/** The request id's key in log lines (Fastify's `requestIdLogLabel`). */
const REQUEST_ID_LABEL = 'requestId';
type LogArguments = Parameters<Logger['info']>;

/**
 * `request.log`: a pino child logger that is only made when something is logged through it.
 * Fastify makes one logger per request; most requests log only their request line, and at
 * `LOG_LEVEL=warn` or `silent` nothing at all, so building a pino child for each (its bindings
 * serialised, its formatters rebuilt) is mostly wasted work on the hot path.
 */
export class RequestLogger {
  #logger: Logger | undefined;
  /** The numeric level at and above which lines are written, read once (the parent's level is per process). */
  #threshold = -1;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): Logger {
    this.#logger ??= this.parent.child(this.bindings, this.options);
    return this.#logger;
  }

  /**
   * Whether a request line can go through the parent as it is (the request id in the line's
   * fields): no child was made and the route sets no level or serializers of its own.
   */
  get writesThroughParent(): boolean {
    return (
      this.#logger === undefined && this.options.level === undefined && this.options.serializers === undefined
    );
  }

  /** The logger that writes the request line when `writesThroughParent`. */
  get parentLogger(): Logger {
    return this.parent;
  }

  get level(): string {
    return this.#logger?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    if (this.#logger) return this.#logger.isLevelEnabled(level);
    const values = this.parent.levels.values;
    if (this.#threshold < 0) {
      this.#threshold =
        this.options.level === undefined
          ? this.parent.levelVal
          : (values[this.options.level] ?? Number.POSITIVE_INFINITY);
    }
    return (values[level] ?? 0) >= this.#threshold;
  }

  fatal(...args: LogArguments): void {
    if (this.isLevelEnabled('fatal')) this.real.fatal(...args);
  }
  error(...args: LogArguments): void {
    if (this.isLevelEnabled('error')) this.real.error(...args);
  }
  warn(...args: LogArguments): void {
    if (this.isLevelEnabled('warn')) this.real.warn(...args);
  }
  info(...args: LogArguments): void {
    if (this.isLevelEnabled('info')) this.real.info(...args);
  }
  debug(...args: LogArguments): void {
    if (this.isLevelEnabled('debug')) this.real.debug(...args);
  }
  trace(...args: LogArguments): void {
    if (this.isLevelEnabled('trace')) this.real.trace(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real.child(bindings, options);
  }
}

/**
 * One log line per request, written when the response has finished (Fastify's default is two:
 * "incoming request" and "request completed"), with the request id, method, route pattern, status
 * and duration. It names the route pattern, never the raw URL, whose path segments and query may
 * carry tokens; only a request that matched no route logs its URL, with credential-like query
 * parameters masked. A route's `logLevel` still applies. The request's metrics are recorded here
 * too, so a request runs no hook of its own for them.
 *
 * Every request is also given its `X-Request-Id` response header here, in `incomingRequest`, which
 * Fastify calls once for each request it answers (routed, not found, or failed in the router)
 * before any hook: the same header an `onRequest` hook would set, without a hook run per request.
 */
export class RequestLogController extends LogController {
  observer: RequestObserver | undefined;

  constructor() {
    super({ requestIdLogLabel: REQUEST_ID_LABEL });
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('x-request-id', request.id);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // `routeOptions` builds a fresh object on every read: read once, for the metrics and the line.
    const route = request.routeOptions.url;
    this.observer?.(request, reply, route);
    const level = error ? 'error' : 'info';
    const log = reply.log as unknown as RequestLogger | Logger;
    if (!log.isLevelEnabled(level)) return;
    const message = error ? 'request errored' : 'request completed';
    const durationMs = Math.round(reply.elapsedTime * 100) / 100;
    // Object literals of fixed shapes, not spreads: this runs for every request at the default level.
    if (log instanceof RequestLogger && log.writesThroughParent) {
      // No child logger was made: the parent writes the line, the request id among its fields
      // (the same output as the child's bindings would give).
      const fields: Record<string, unknown> =
        route === undefined
          ? {
              requestId: request.id,
              method: request.method,
              route: null,
              url: redactUrl(request.url),
              statusCode: reply.statusCode,
              durationMs,
            }
          : {
              requestId: request.id,
              method: request.method,
              route,
              statusCode: reply.statusCode,
              durationMs,
            };
      if (error) fields.err = error;
      log.parentLogger[level](fields, message);
      return;
    }
    const fields: Record<string, unknown> =
      route === undefined
        ? {
            method: request.method,
            route: null,
            url: redactUrl(request.url),
            statusCode: reply.statusCode,
            durationMs,
          }
        : { method: request.method, route, statusCode: reply.statusCode, durationMs };
    if (error) fields.err = error;
    log[level](fields, message);
  }
}

/** Fastify's `childLoggerFactory`: a `RequestLogger` per request. */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
