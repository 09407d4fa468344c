import { type IncomingMessage, STATUS_CODES } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  type ErrorRenderer,
  type NormalizedHttpError,
  normalizeError,
  type RenderedError,
} from './errors.js';
import { createRequestMetrics, metricsPlugin } from './metrics.js';
import { finishOpenApiDocument } from './openapi.js';
import { newRequestId } from './request-id.js';
import { RequestLogController, requestLoggerFactory } from './request-log.js';
import { responseSerializerCompiler } from './response-serializer.js';

export interface HttpAppOptions {
  service: string;
  title: string;
  version: string;
  description?: string;
  /** Request logs are written here; bind the service name before passing it. */
  logger: Logger;
  renderError: ErrorRenderer;
  bodyLimit?: number;
  /**
   * Extra OpenAPI document fields (servers, tags, components.securitySchemes). A server URL with a
   * path (`http://host/api`) is stripped from the documented paths, as a client joins them.
   */
  openapi?: Record<string, unknown>;
  metricsRegistry?: Registry;
  /** Turn off for benchmarks that measure the bare stack. */
  docs?: boolean;
  /**
   * Proxies whose `X-Forwarded-For` sets `request.ip`: addresses/CIDRs (or `loopback`, `linklocal`,
   * `uniquelocal`), or `false` for none. Deliberately neither `true` nor a hop count, which would
   * let a client that reaches the service directly pick its own IP.
   */
  trustProxy?: string[] | false;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accept a caller's request id when it is safe to log and echo; otherwise mint one. */
function requestIdFor(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : newRequestId();
}

/**
 * A request Node's parser rejected never becomes a Fastify request; the renderer gets a minimal
 * stand-in carrying only a fresh request id (renderers read `request.id`, nothing else of it).
 */
function renderClientError(error: Error, options: HttpAppOptions): RenderedError & { requestId: string } {
  const code = (error as NodeJS.ErrnoException).code;
  const normalized: NormalizedHttpError =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? { kind: 'request_timeout', statusCode: 408, message: 'The request took too long to arrive' }
      : code === 'HPE_HEADER_OVERFLOW'
        ? { kind: 'headers_too_large', statusCode: 431, message: 'Request headers are too large' }
        : { kind: 'client', statusCode: 400, message: 'Malformed HTTP request' };
  const requestId = newRequestId();
  const stub = { id: requestId, headers: {}, log: options.logger } as unknown as FastifyRequest;
  options.logger.debug({ err: error, requestId }, 'client error');
  return { ...options.renderError(normalized, stub), requestId };
}

function rawHttpResponse(rendered: RenderedError & { requestId: string }): string {
  const body = JSON.stringify(rendered.body);
  const headers: Record<string, string> = {
    ...rendered.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': rendered.requestId,
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${rendered.statusCode} ${STATUS_CODES[rendered.statusCode] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A request that declares a body which has not been received or read yet. */
function bodyStillUnread(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  const declaresBody =
    raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return declaresBody && raw.complete !== true && !raw.readableEnded;
}

/** How much of a refused body is read (and dropped) before the connection is cut, and for how long. */
const REFUSED_BODY_LINGER_BYTES = 1024 * 1024;
const REFUSED_BODY_LINGER_MS = 2000;

/**
 * A body refused before it was read (credentials checked in onRequest, a declared length over the
 * limit) is not worth reading, but closing the socket at once, with the client still sending,
 * makes the kernel answer a TCP reset and the client can lose the error in it. So the rest is
 * drained (never buffered) while the answer goes out, and the connection is cut after 1 MiB or
 * 2 s: an unauthenticated 60 MB upload costs the server about 1 MiB of reading.
 */
function drainThenCut(raw: IncomingMessage): void {
  let drained = 0;
  // Injected requests (light-my-request) have a stand-in socket without destroy().
  const cut = () => {
    const socket = raw.socket as { destroy?: unknown } | null | undefined;
    if (typeof socket?.destroy === 'function') (raw.socket as { destroy(): void }).destroy();
  };
  const timer = setTimeout(cut, REFUSED_BODY_LINGER_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > REFUSED_BODY_LINGER_BYTES) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const render = (error: unknown, request: FastifyRequest) => {
    const normalized = normalizeError(error, request);
    return options.renderError(normalized, request);
  };
  const notFound = (request: FastifyRequest) =>
    options.renderError(
      {
        kind: 'not_found',
        statusCode: 404,
        message: `Route ${request.method} ${request.url.split('?')[0]} not found`,
      },
      request,
    );
  const send = (reply: FastifyReply, rendered: RenderedError) => {
    if (rendered.headers) reply.headers(rendered.headers);
    return reply.status(rendered.statusCode).type('application/json; charset=utf-8').send(rendered.body);
  };

  const metrics = createRequestMetrics(options.service, options.metricsRegistry);
  const logController = new RequestLogController();
  logController.observer = metrics.observe;
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    childLoggerFactory: requestLoggerFactory,
    genReqId: (raw) =>
      requestIdFor(raw as unknown as { headers: Record<string, string | string[] | undefined> }),
    logController,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? options.trustProxy : false,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Failures inside the router (bad percent-encoding, an over-long path parameter, an async
    // constraint that throws) happen before any route or hook: rendered in the service's envelope too.
    // (Its X-Request-Id is set by the log controller, as for every request.)
    frameworkErrors: (error, request, reply) => send(reply, render(error, request)),
    // Requests Node's HTTP parser rejects (malformed request line or header, headers too large).
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      const rendered = renderClientError(error, options);
      if (socket.writable) socket.end(rawHttpResponse(rendered));
      socket.destroy();
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // The client's address is read once, first: Node keeps the peer address of a socket once asked,
  // so limiters, lockouts and logs that read `request.ip` later still have it after the client has
  // gone. A request whose client is already gone when it starts (a balancer gave up on it while it
  // queued) has no address at all: nobody is left to answer, and running it would only key limits
  // on `undefined`, so it is dropped.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.socket?.remoteAddress !== undefined) {
      done();
      return;
    }
    reply.hijack();
    request.raw.destroy();
  });
  app.setSerializerCompiler(responseSerializerCompiler);

  // `X-Request-Id` is set by the log controller as each request starts (no hook per request).

  app.setErrorHandler((error, request, reply) => {
    // An unknown route stays a 404 even when its body fails to parse first.
    const rendered = request.is404 ? notFound(request) : render(error, request);
    if (bodyStillUnread(request.raw)) drainThenCut(request.raw);
    const serviceHeaders = (error as { headers?: Record<string, string> }).headers;
    if (serviceHeaders && typeof serviceHeaders === 'object') reply.headers(serviceHeaders);
    return send(reply, rendered);
  });
  app.setNotFoundHandler((request, reply) => send(reply, notFound(request)));

  await app.register(metricsPlugin, { registry: metrics.registry });

  if (options.docs !== false) {
    const components = options.openapi?.components as { securitySchemes?: object } | undefined;
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        // A service that declares no security scheme has only public operations; one that does
        // declares `security` per operation (`[]` for its public ones).
        ...(components?.securitySchemes === undefined ? { security: [] } : {}),
        ...options.openapi,
      },
      transform: jsonSchemaTransform,
      transformObject: finishOpenApiDocument,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }
  return app;
}

export type { ZodTypeProvider };
