import { livenessRoute } from '@trustplane/kernel';
import { z } from 'zod';

/** Liveness only: the seed says it does not check downstream dependencies. */
export const healthRoutes = livenessRoute({
  url: '/health',
  schema: {
    tags: ['health'],
    operationId: 'healthCheck',
    summary: 'Health Check',
    description:
      'Returns a static JSON payload indicating the service process is up. Does not check downstream dependencies (DB, storage).',
  },
  body: z.object({ status: z.literal('healthy'), service: z.literal('media-service') }),
  answer: { status: 'healthy', service: 'media-service' },
});
