import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { updateProfile } from '../../identity/profile.js';
import { ACCOUNT_BODY_LIMITS } from '../body-limits.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf, permissionString } from '../schemas.js';
import { language, timezone } from './auth-schemas.js';
import { profile } from './me-schemas.js';

export function updateMyProfileRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.put(
      '/api/v1/me',
      {
        bodyLimit: ACCOUNT_BODY_LIMITS.profile,
        schema: {
          tags: ['account'],
          operationId: 'updateMyProfile',
          summary: 'Update my profile',
          description:
            "Patch the authenticated user's profile. Omitted fields are left untouched. `model_config` and `capabilities` apply to service accounts only.",
          body: z.object({
            display_name: z.string().trim().min(1, { error: 'must not be empty' }).max(200).optional(),
            bio: z.string().max(5000).optional(),
            timezone: timezone.optional(),
            language: language.optional(),
            model_config: z.string().max(65_536).optional(),
            capabilities: z.array(permissionString).max(200).optional(),
          }),
          response: { 200: ok(profile), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await updateProfile(deps.repositories, principalOf(request), request.body, originOf(request)),
      }),
    );
  };
}
