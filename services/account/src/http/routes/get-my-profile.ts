import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import { viewOwnProfile } from '../../identity/profile.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { profile } from './me-schemas.js';

export function getMyProfileRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/me',
      {
        schema: {
          tags: ['account'],
          operationId: 'getMyProfile',
          summary: 'Get my profile',
          description:
            "Return the authenticated principal's profile (account details + email verification status). Works for both human and service principals.",
          response: { 200: ok(profile), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await viewOwnProfile(deps.repositories, principalOf(request), originOf(request)),
      }),
    );
  };
}
