import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { loadAccountConfig } from '../config.js';
import { buildDeps } from '../runtime.js';
import { ACCOUNT_BODY_LIMITS } from './body-limits.js';
import { csrfGate } from './cookies.js';
import { renderAccountError } from './errors.js';
import { rateLimitHook } from './hooks.js';
import { ACCOUNT_SECURITY_SCHEMES } from './openapi.js';
import { htmlPages } from './pages/html-pages.js';
import { healthRoutes } from './routes/health.js';
import { acceptInvitationRoute } from './routes/accept-invitation.js';
import { archiveServiceAccountRoute } from './routes/archive-service-account.js';
import { cancelInvitationRoute } from './routes/cancel-invitation.js';
import { changePasswordRoute } from './routes/change-password.js';
import { checkOrganizationPublicRoute } from './routes/check-organization-public.js';
import { confirmPasswordResetRoute } from './routes/confirm-password-reset.js';
import { createApiKeyRoute } from './routes/create-api-key.js';
import { createOrganizationRoute } from './routes/create-organization.js';
import { createRoleRoute } from './routes/create-role.js';
import { createServiceAccountRoute } from './routes/create-service-account.js';
import { deleteApiKeyRoute } from './routes/delete-api-key.js';
import { deleteOrganizationRoute } from './routes/delete-organization.js';
import { deleteRoleRoute } from './routes/delete-role.js';
import { exchangeApiKeyForJwtRoute } from './routes/exchange-api-key-for-jwt.js';
import { getJwksRoute } from './routes/get-jwks.js';
import { getMyProfileRoute } from './routes/get-my-profile.js';
import { getOrganizationRoute } from './routes/get-organization.js';
import { getPublicKeyRs256Route } from './routes/get-public-key-rs256.js';
import { getRoleRoute } from './routes/get-role.js';
import { getServiceAccountRoute } from './routes/get-service-account.js';
import { inviteMemberRoute } from './routes/invite-member.js';
import { leaveOrganizationRoute } from './routes/leave-organization.js';
import { listApiKeysForServiceAccountRoute } from './routes/list-api-keys-for-service-account.js';
import { listInvitationsRoute } from './routes/list-invitations.js';
import { listMyOrganizationsRoute } from './routes/list-my-organizations.js';
import { listMySessionsRoute } from './routes/list-my-sessions.js';
import { listOrganizationMembersRoute } from './routes/list-organization-members.js';
import { listRolesRoute } from './routes/list-roles.js';
import { listServiceAccountsRoute } from './routes/list-service-accounts.js';
import { loginRoute } from './routes/login.js';
import { logoutCurrentSessionRoute } from './routes/logout-current-session.js';
import { logoutFromAllDevicesRoute } from './routes/logout-from-all-devices.js';
import { myActivityFeedRoute } from './routes/my-activity-feed.js';
import { organizationActivityFeedRoute } from './routes/organization-activity-feed.js';
import { pauseServiceAccountRoute } from './routes/pause-service-account.js';
import { refreshTokensRoute } from './routes/refresh-tokens.js';
import { registerAccountRoute } from './routes/register-account.js';
import { removeMemberRoute } from './routes/remove-member.js';
import { requestPasswordResetRoute } from './routes/request-password-reset.js';
import { resendVerificationEmailRoute } from './routes/resend-verification-email.js';
import { resumeServiceAccountRoute } from './routes/resume-service-account.js';
import { revokeASessionRoute } from './routes/revoke-a-session.js';
import { revokeApiKeyRoute } from './routes/revoke-api-key.js';
import { switchActiveOrganizationRoute } from './routes/switch-active-organization.js';
import { updateMemberRoleRoute } from './routes/update-member-role.js';
import { updateMyProfileRoute } from './routes/update-my-profile.js';
import { updateOrganizationRoute } from './routes/update-organization.js';
import { updateRoleRoute } from './routes/update-role.js';
import { updateServiceAccountRoute } from './routes/update-service-account.js';
import { verifyAccessTokenRoute } from './routes/verify-access-token.js';
import { whoamiRoute } from './routes/whoami.js';

/**
 * Every operation of the service, one file each (`routes/<operation>.ts`), in the order the OpenAPI
 * document lists them. Each file declares its own access: public routes document `security: []`,
 * the others call `protect` (principal from the access token or API key).
 */
const ACCOUNT_ROUTES = [
  registerAccountRoute,
  loginRoute,
  refreshTokensRoute,
  resendVerificationEmailRoute,
  requestPasswordResetRoute,
  confirmPasswordResetRoute,
  verifyAccessTokenRoute,
  getPublicKeyRs256Route,
  getJwksRoute,
  exchangeApiKeyForJwtRoute,
  checkOrganizationPublicRoute,
  htmlPages,
  logoutCurrentSessionRoute,
  logoutFromAllDevicesRoute,
  whoamiRoute,
  getMyProfileRoute,
  updateMyProfileRoute,
  changePasswordRoute,
  listMySessionsRoute,
  revokeASessionRoute,
  myActivityFeedRoute,
  listMyOrganizationsRoute,
  createOrganizationRoute,
  getOrganizationRoute,
  updateOrganizationRoute,
  deleteOrganizationRoute,
  switchActiveOrganizationRoute,
  organizationActivityFeedRoute,
  listOrganizationMembersRoute,
  removeMemberRoute,
  updateMemberRoleRoute,
  leaveOrganizationRoute,
  listRolesRoute,
  createRoleRoute,
  getRoleRoute,
  updateRoleRoute,
  deleteRoleRoute,
  inviteMemberRoute,
  listInvitationsRoute,
  cancelInvitationRoute,
  acceptInvitationRoute,
  listServiceAccountsRoute,
  createServiceAccountRoute,
  getServiceAccountRoute,
  updateServiceAccountRoute,
  archiveServiceAccountRoute,
  pauseServiceAccountRoute,
  resumeServiceAccountRoute,
  listApiKeysForServiceAccountRoute,
  createApiKeyRoute,
  revokeApiKeyRoute,
  deleteApiKeyRoute,
];

export async function buildAccountApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const config = loadAccountConfig(context.env, context.publicUrl);
  const app = await context.createHttpApp({
    title: 'Account Service',
    // Behind a proxy the client IP (rate limits, lockouts, sessions) comes from X-Forwarded-For,
    // believed only from the listed proxies (platform-wide TRUSTPLANE_TRUSTED_PROXIES by default).
    ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
    description: 'Authentication and RBAC source of truth.',
    version,
    renderError: renderAccountError,
    // The profile route raises it for its `model_config`.
    bodyLimit: ACCOUNT_BODY_LIMITS.default,
    openapi: { components: { securitySchemes: ACCOUNT_SECURITY_SCHEMES } },
  });
  const deps = await buildDeps(context, config, app.metrics);
  app.addHook('onRequest', csrfGate(deps.config));
  await app.register(healthRoutes(context, version, deps));
  await app.register(async (scope) => {
    scope.addHook('onRequest', rateLimitHook(deps));
    for (const route of ACCOUNT_ROUTES) await scope.register(route(deps));
  });
  return app;
}
