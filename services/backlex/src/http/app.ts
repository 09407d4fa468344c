import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { type BacklexOverrides, createBacklex } from '../composition.js';
import { renderBacklexError } from './errors.js';
import { betterAuthRoute } from './routes/better-auth.js';
import { emailVerifiedRoute } from './routes/email-verified.js';
import { healthRoutes } from './routes/health.js';
import { accountRoutes } from './routes/account.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { scimRoutes } from './routes/scim.js';
import { ssoLoginRoute, ssoRoutes } from './routes/sso.js';
import { listAuditRoute } from './routes/audit-list.js';
import { acceptInvitationRoute } from './routes/invitations-accept.js';
import { createInvitationRoute } from './routes/invitations-create.js';
import { listMembersRoute } from './routes/members-list.js';
import { removeMemberRoute } from './routes/members-remove.js';
import { resendInvitationRoute } from './routes/members-resend.js';
import { updateMemberRoute } from './routes/members-update.js';
import { deleteOrgRoute } from './routes/org-delete.js';
import { updateOrgRoute } from './routes/org-update.js';
import { createOrgRoute } from './routes/org-create.js';
import { listOrgsRoute } from './routes/orgs-list.js';
import { createIntegrationRoute } from './routes/integrations-create.js';
import { deleteIntegrationRoute } from './routes/integrations-delete.js';
import { listIntegrationsRoute } from './routes/integrations-list.js';
import { notificationRoutes } from './routes/notifications.js';
import { listWebhookDeliveriesRoute } from './routes/webhook-deliveries-list.js';
import { createWebhookRoute } from './routes/webhooks-create.js';
import { deleteWebhookRoute } from './routes/webhooks-delete.js';
import { listWebhooksRoute } from './routes/webhooks-list.js';
import { testWebhookRoute } from './routes/webhooks-test.js';
import { authenticatedScope } from './session.js';

export async function buildBacklexApp(
  context: ServiceContext,
  version: string,
  overrides: BacklexOverrides = {},
): Promise<FastifyInstance> {
  const deps = createBacklex(context, overrides);
  const app = await context.createHttpApp({
    title: 'backlex Cloud API',
    description: 'Control-plane REST API.',
    version,
    renderError: renderBacklexError,
    // The seed's server is `/api`: documented paths are relative to it, as in the seed.
    openapi: {
      servers: [{ url: `${context.publicUrl}/api` }],
      components: {
        securitySchemes: {
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'better-auth.session_token',
            description: 'better-auth browser session cookie (sent automatically by the SPA).',
          },
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'pak_<hex>',
            description: 'Org API key. `Authorization: Bearer pak_…`.',
          },
        },
      },
    },
  });
  await app.register(healthRoutes(context, version));
  await app.register(betterAuthRoute(deps));
  await app.register(ssoLoginRoute(deps));
  await app.register(emailVerifiedRoute());
  await app.register(
    authenticatedScope(deps, async (scope) => {
      await scope.register(listOrgsRoute(deps));
      await scope.register(createOrgRoute(deps));
      await scope.register(updateOrgRoute(deps));
      await scope.register(deleteOrgRoute(deps));
      await scope.register(accountRoutes(deps));
      await scope.register(listMembersRoute(deps));
      await scope.register(apiKeyRoutes(deps));
      await scope.register(ssoRoutes(deps));
      await scope.register(scimRoutes(deps));
      await scope.register(listAuditRoute(deps));
      await scope.register(updateMemberRoute(deps));
      await scope.register(removeMemberRoute(deps));
      await scope.register(resendInvitationRoute(deps));
      await scope.register(createInvitationRoute(deps));
      await scope.register(acceptInvitationRoute(deps));
      // Events out (h16-events)
      await scope.register(listWebhooksRoute(deps));
      await scope.register(createWebhookRoute(deps));
      await scope.register(deleteWebhookRoute(deps));
      await scope.register(testWebhookRoute(deps));
      await scope.register(listWebhookDeliveriesRoute(deps));
      await scope.register(listIntegrationsRoute(deps));
      await scope.register(createIntegrationRoute(deps));
      await scope.register(deleteIntegrationRoute(deps));
      await scope.register(notificationRoutes(deps));
    }),
  );
  return app;
}
