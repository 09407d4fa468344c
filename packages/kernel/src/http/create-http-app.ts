import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type ErrorRenderer, normalizeError } from './errors.js';
import { metricsPlugin } from './metrics.js';

export interface HttpAppOptions {
  service: string;
  title: string;
  version: string;
  description?: string;
  /** Request logs are written here; bind the service name before passing it. */
  logger: Logger;
  renderError: ErrorRenderer;
  bodyLimit?: number;
  /** Extra OpenAPI document fields (servers, tags, securitySchemes). */
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
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: (raw) =>
      requestIdFor(raw as unknown as { headers: Record<string, string | string[] | undefined> }),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? options.trustProxy : false,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

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
  app.setErrorHandler((error, request, reply) => {
    // An unknown route stays a 404 even when its body fails to parse first.
    const rendered = request.is404 ? notFound(request) : render(error, request);
    if (rendered.headers) reply.headers(rendered.headers);
    const serviceHeaders = (error as { headers?: Record<string, string> }).headers;
    if (serviceHeaders && typeof serviceHeaders === 'object') reply.headers(serviceHeaders);
    return reply.status(rendered.statusCode).type('application/json; charset=utf-8').send(rendered.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const rendered = notFound(request);
    return reply.status(rendered.statusCode).type('application/json; charset=utf-8').send(rendered.body);
  });

  await app.register(metricsPlugin, { service: options.service, registry: options.metricsRegistry });

  if (options.docs !== false) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        ...options.openapi,
      },
      transform: jsonSchemaTransform,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }
  return app;
}

export type { ZodTypeProvider };
