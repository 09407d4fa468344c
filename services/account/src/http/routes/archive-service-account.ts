import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { accountParams } from './service-account-schemas.js';

export function archiveServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/v1/service-accounts/:account_id',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'archiveServiceAccount',
          summary: 'Archive service account',
          description:
            'Soft-delete (archive) a service account. All of its API keys are revoked. Existing service JWTs continue to validate until their natural exp (max 1 hour).',
          params: accountParams,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await sa.changeServiceAccountStatus(
          deps.repositories,
          principalOf(request),
          request.params.account_id,
          'archive',
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
