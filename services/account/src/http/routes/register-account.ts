import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { setSessionCookies } from '../cookies.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { email, errorResponses, membershipView, ok, originOf } from '../schemas.js';
import { language, password, timezone } from './auth-schemas.js';

const displayName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200, { error: 'must be at most 200 characters' });
export function registerAccountRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/register',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'registerAccount',
          summary: 'Register account',
          description:
            'Create a new human account. A personal organization is created in the same transaction with the registrant as owner. A verification email is queued (event `email.requested`). Auto-logs in: returns access + refresh tokens and sets the SSO refresh cookie. **Rate limit:** 3 / minute / IP.',
          body: z.object({
            email,
            password,
            display_name: displayName,
            timezone: timezone.optional(),
            language: language.optional(),
          }),
          response: {
            201: ok(
              z.object({
                account_id: z.string(),
                email: z.string(),
                access_token: z.string(),
                refresh_token: z.string(),
                expires_in: z.number().int(),
                personal_org: membershipView,
                csrf_token: z.string(),
                requires_email_verification: z.boolean(),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { grant, personalOrg } = await auth.register(deps, request.body, originOf(request));
        const csrf = setSessionCookies(reply, deps.config, grant.refresh_token);
        return reply.status(201).send({
          success: true as const,
          code: 2010,
          data: {
            account_id: grant.account_id,
            email: grant.email,
            access_token: grant.access_token,
            refresh_token: grant.refresh_token,
            expires_in: grant.expires_in,
            personal_org: personalOrg,
            csrf_token: csrf,
            requires_email_verification: grant.requires_email_verification,
          },
        });
      },
    );
  };
}
