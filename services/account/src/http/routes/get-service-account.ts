import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok } from '../schemas.js';
import { accountParams, serviceAccount } from './service-account-schemas.js';

export function getServiceAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/service-accounts/:account_id',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'getServiceAccount',
          summary: 'Get service account',
          description: 'Fetch one service account by id.',
          params: accountParams,
          response: { 200: ok(serviceAccount), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await sa.getServiceAccount(deps.repositories, principalOf(request), request.params.account_id),
      }),
    );
  };
}
