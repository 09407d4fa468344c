import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { redactUrl } from './redact-url.js';

/** What is recorded of every finished request besides its log line (metrics). */
export type RequestObserver = (request: FastifyRequest, reply: FastifyReply) => void;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type LogArguments = Parameters<Logger['info']>;

/**
 * `request.log`: a pino child logger that is only made when something is logged through it.
 * Fastify makes one logger per request; most requests log only their request line, and at
 * `LOG_LEVEL=warn` or `silent` nothing at all, so building a pino child for each (its bindings
 * serialised, its formatters rebuilt) is mostly wasted work on the hot path.
 */
export class RequestLogger {
  #logger: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): Logger {
    this.#logger ??= this.parent.child(this.bindings, this.options);
    return this.#logger;
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
    const threshold = values[this.level];
    return threshold !== undefined && (values[level] ?? 0) >= threshold;
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

  /**
   * Writes one of the platform's own plain lines (the request line). Without a child yet, and
   * without options of its own, the parent writes it with the bindings in the line: the same
   * output, with no child made for it.
   */
  line(level: (typeof LEVELS)[number], fields: Record<string, unknown>, message: string): void {
    if (!this.isLevelEnabled(level)) return;
    if (this.#logger || this.options.level !== undefined || this.options.serializers !== undefined)
      this.real[level](fields, message);
    else this.parent[level]({ ...this.bindings, ...fields }, message);
  }
}

/**
 * One log line per request, written when the response has finished (Fastify's default is two:
 * "incoming request" and "request completed"), with the request id, method, route pattern, status
 * and duration. It names the route pattern, never the raw URL, whose path segments and query may
 * carry tokens; only a request that matched no route logs its URL, with credential-like query
 * parameters masked. A route's `logLevel` still applies. The request's metrics are recorded here
 * too, so a request runs no hook of its own for them.
 */
export class RequestLogController extends LogController {
  observer: RequestObserver | undefined;

  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    this.observer?.(request, reply);
    const route = request.routeOptions.url;
    const fields: Record<string, unknown> = {
      method: request.method,
      route: route ?? null,
      ...(route === undefined ? { url: redactUrl(request.url) } : {}),
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    };
    const level = error ? 'error' : 'info';
    const message = error ? 'request errored' : 'request completed';
    if (reply.log instanceof RequestLogger) reply.log.line(level, fields, message);
    else reply.log[level](fields, message);
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
