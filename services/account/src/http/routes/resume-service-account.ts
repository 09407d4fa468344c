import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { accountParams } from './service-account-schemas.js';

export function resumeServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/service-accounts/:account_id/resume',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'resumeServiceAccount',
          summary: 'Resume service account',
          description: 'Re-enable a paused service account.',
          params: accountParams,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await sa.changeServiceAccountStatus(
          deps.repositories,
          principalOf(request),
          request.params.account_id,
          'resume',
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
