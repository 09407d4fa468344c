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
import { createBackupRoute } from './routes/backups-create.js';
import { listBackupsRoute } from './routes/backups-list.js';
import { restoreBackupRoute } from './routes/backups-restore.js';
import { createBranchRoute } from './routes/branches-create.js';
import { deleteBranchRoute } from './routes/branches-delete.js';
import { listBranchesRoute } from './routes/branches-list.js';
import { dataApiRoutes } from './routes/data-api-query.js';
import { dataApiHostRoute } from './routes/data-api-host.js';
import { createDomainRoute } from './routes/domains-create.js';
import { deleteDomainRoute } from './routes/domains-delete.js';
import { listDomainsRoute } from './routes/domains-list.js';
import { verifyDomainRoute } from './routes/domains-verify.js';
import { orgExportRoute } from './routes/org-export.js';
import { orgOverviewRoute } from './routes/org-overview.js';
import { deleteProjectRoute } from './routes/project-delete.js';
import { listDeploysRoute } from './routes/project-deploys.js';
import { pointInTimeRestoreRoute } from './routes/project-restore.js';
import { listProjectErrorsRoute } from './routes/project-errors.js';
import { getProjectRoute } from './routes/project-get.js';
import { pauseProjectRoute } from './routes/project-pause.js';
import { provisionRetryRoute } from './routes/project-provision-retry.js';
import { reprovisionAdminRoute } from './routes/project-reprovision-admin.js';
import { resumeProjectRoute } from './routes/project-resume.js';
import { updateProjectRoute } from './routes/project-update.js';
import { upgradeProjectRoute } from './routes/project-upgrade.js';
import { createProjectRoute } from './routes/projects-create.js';
import { listProjectsRoute } from './routes/projects-list.js';
import { createAlarmRoute } from './routes/alarms-create.js';
import { deleteAlarmRoute } from './routes/alarms-delete.js';
import { listAlarmsRoute } from './routes/alarms-list.js';
import { getUsageRoute } from './routes/usage-get.js';
import { usageHistoryRoute } from './routes/usage-history.js';
import { authenticatedScope } from './session.js';
import { getBillingRoute } from './routes/billing-get.js';
import { checkoutRoute } from './routes/billing-checkout.js';
import { packCheckoutRoute } from './routes/billing-packs-checkout.js';
import { cancelSubscriptionRoute } from './routes/billing-subscription-cancel.js';
import { resumeSubscriptionRoute } from './routes/billing-subscription-resume.js';
import { billingWebhookRoute } from './routes/billing-webhooks.js';
import { sandboxPages } from './routes/billing-sandbox.js';

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
          projectToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'bxk_<base64url>',
            description:
              "A project's data-API admin token (`project.adminToken`, shown at creation and by reprovision-admin). Opens only that project and its branches.",
          },
        },
      },
    },
  });
  // The org gate's cache LISTENs for changes once the app is ready (nothing is cached before).
  app.addHook('onReady', () => deps.accessCache.start());
  app.addHook('onClose', () => deps.accessCache.stop());
  // Billing's webhooks and hosted pages change an org's plan outside the org routes: this process
  // forgets its cached org rows before answering (other processes: the NOTIFY of migration 0041).
  app.addHook('onSend', async (request) => {
    if (request.method !== 'GET' && request.url.startsWith('/api/billing/')) deps.accessCache.clear();
  });
  await app.register(healthRoutes(context, version));
  await app.register(betterAuthRoute(deps));
  await app.register(ssoLoginRoute(deps));
  await app.register(emailVerifiedRoute());
  // Billing (h17-billing): the provider's webhook and the sandbox's hosted pages are public.
  await app.register(billingWebhookRoute(deps));
  const { sandbox } = deps;
  if (sandbox) {
    await app.register(sandboxPages(sandbox));
    // The sandbox delivers its signed webhooks to this app in-process, through the same route.
    sandbox.useSender(async (body, headers) => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/billing/webhooks/sandbox',
        headers,
        payload: body,
      });
      return response.statusCode;
    });
  }
  // Projects' data API (issue 17): its own credential (the project admin token), not a session or key.
  await app.register(dataApiRoutes(deps));
  // …and at `POST /query` on a verified custom domain (h17-domains).
  await app.register(dataApiHostRoute(deps));
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
      // Billing (h17-billing)
      await scope.register(getBillingRoute(deps));
      await scope.register(checkoutRoute(deps));
      await scope.register(packCheckoutRoute(deps));
      await scope.register(cancelSubscriptionRoute(deps));
      await scope.register(resumeSubscriptionRoute(deps));
      // Projects (issue 17, h17-projects)
      await scope.register(listProjectsRoute(deps));
      await scope.register(createProjectRoute(deps));
      await scope.register(getProjectRoute(deps));
      await scope.register(updateProjectRoute(deps));
      await scope.register(deleteProjectRoute(deps));
      await scope.register(pauseProjectRoute(deps));
      await scope.register(resumeProjectRoute(deps));
      await scope.register(provisionRetryRoute(deps));
      await scope.register(reprovisionAdminRoute(deps));
      await scope.register(upgradeProjectRoute(deps));
      await scope.register(listDeploysRoute(deps));
      await scope.register(listProjectErrorsRoute(deps));
      await scope.register(listBranchesRoute(deps));
      await scope.register(createBranchRoute(deps));
      await scope.register(deleteBranchRoute(deps));
      // Domains, overview, export (issue 17, h17-domains)
      await scope.register(listDomainsRoute(deps));
      await scope.register(createDomainRoute(deps));
      await scope.register(verifyDomainRoute(deps));
      await scope.register(deleteDomainRoute(deps));
      await scope.register(orgOverviewRoute(deps));
      await scope.register(orgExportRoute(deps));
      // Backups and point-in-time restore (issue 17, h17-backups)
      await scope.register(listBackupsRoute(deps));
      await scope.register(createBackupRoute(deps));
      await scope.register(restoreBackupRoute(deps));
      await scope.register(pointInTimeRestoreRoute(deps));
      // Usage, alarms (issue 17, h17-usage)
      await scope.register(getUsageRoute(deps));
      await scope.register(usageHistoryRoute(deps));
      await scope.register(listAlarmsRoute(deps));
      await scope.register(createAlarmRoute(deps));
      await scope.register(deleteAlarmRoute(deps));
    }),
  );
  return app;
}
