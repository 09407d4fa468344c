import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const exportItemSchema = z.object({
  projectId: z.string(),
  slug: z.string(),
  name: z.string(),
  filename: z.string(),
  url: z.string().describe('Presigned download URL of the `.sql` dump'),
  urlExpiresAt: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string().describe('Hex SHA-256 of the dump'),
});

export function orgExportRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/export',
      {
        schema: {
          tags: ['Account'],
          summary: 'List a non-deleted project per downloadable SQL dump for export',
          operationId: 'exportOrg',
          description:
            'Admins. One `.sql` dump per project that is not deleted and has a database (`active` or `paused`): schema and rows, loading into an empty SQLite database gives the same content. Each item has a presigned download `url` (valid 1 hour), `sizeBytes` and `sha256`. One export per organization every 10 minutes (429 RATE_LIMITED + Retry-After).',
          params: slugParams,
          response: {
            ...errorResponses,
            200: z.object({
              exportId: z.string(),
              exportedAt: z.string(),
              projects: z.array(exportItemSchema),
            }),
          },
        },
        config: { orgOperation: 'org.export' },
      },
      async (request) => deps.domains.orgExport.run(orgAccessOf(request)),
    );
  };
}
