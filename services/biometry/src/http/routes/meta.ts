import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BiometryDeps } from '../deps.js';

const HOME = (version: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OAuth Biometry Service</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1>OAuth Biometry Service</h1>
<p>Scalable biometric verification: face detection and matching between a selfie and an identity document,
MRZ reading (OCR with check-digit validation), cross-validation against the declared identity, and document
forensics (error level analysis, screen-recapture detection). Jobs are asynchronous: submit, then poll and acknowledge results,
or receive them on a signed callback.</p>
<ul><li><a href="/docs">Interactive API documentation</a></li><li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/health">Health</a> · <a href="/version">Version</a></li></ul>
<p>Calls to <code>/jobs/*</code> need an <code>X-Service-API-Key</code> (operators: <code>npx trustplane biometry key create --name NAME</code>).</p>
<p><small>version ${version}</small></p></body></html>`;

export function metaRoutes(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/',
      {
        schema: {
          tags: ['meta'],
          summary: 'API home',
          description: 'Biometry service homepage.',
          operationId: 'home__get',
          security: [],
          response: { 200: z.string() },
        },
      },
      async (_request, reply) => reply.type('text/html; charset=utf-8').send(HOME(deps.version)),
    );
    typed.get(
      '/version',
      {
        schema: {
          summary: 'Version',
          description: 'Service version endpoint.',
          operationId: 'version_version_get',
          security: [],
          response: {
            200: z.object({
              service: z.literal('biometry'),
              version: z.string(),
              models: z.record(z.string(), z.string()),
            }),
          },
        },
      },
      async () => ({
        service: 'biometry' as const,
        version: deps.version,
        models: await deps.modelVersions(),
      }),
    );
  };
}
