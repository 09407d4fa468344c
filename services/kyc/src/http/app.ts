import fastifyCookie from '@fastify/cookie';
import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { Kyc } from '../kyc.js';
import { requireOperator } from './auth-hooks.js';
import { KYC_BODY_LIMITS } from './body-limits.js';
import { renderKycError } from './errors.js';
import { createIpLimits, registerIpLimits } from './ip-limits.js';
import { healthRoutes } from './routes/health.js';
import { consolePageRoutes } from './routes/console-page.js';
import { hostedPageRoutes } from './routes/hosted-page.js';
import { KYC_SECURITY, KYC_SECURITY_SCHEMES } from './openapi.js';
import { hostedFlowRoutes } from './routes/hosted-flow.js';
import { livenessValidatorRoute } from './routes/liveness-validator.js';
import { completeVerificationLivenessRoute } from './routes/complete-verification-liveness.js';
import { completeVerificationUploadRoute } from './routes/complete-verification-upload.js';
import { createOrganizationRoute } from './routes/create-organization.js';
import { createVerificationSessionRoute } from './routes/create-verification-session.js';
import { getDashboardVerificationAuditChainRoute } from './routes/get-dashboard-verification-audit-chain.js';
import { getDashboardVerificationDetailRoute } from './routes/get-dashboard-verification-detail.js';
import { getVerificationSessionRoute } from './routes/get-verification-session.js';
import { initVerificationLivenessRoute } from './routes/init-verification-liveness.js';
import { listDashboardVerificationsRoute } from './routes/list-dashboard-verifications.js';
import { listOrganizationApiKeysRoute } from './routes/list-organization-api-keys.js';
import { listOrganizationsRoute } from './routes/list-organizations.js';
import { loginRoute } from './routes/login.js';
import { logoutRoute } from './routes/logout.js';
import { mintOrganizationApiKeyPairRoute } from './routes/mint-organization-api-key-pair.js';
import { notifyRetrainingBatchRoute } from './routes/notify-retraining-batch.js';
import { patchVerificationSessionRoute } from './routes/patch-verification-session.js';
import { presignVerificationLivenessVideoRoute } from './routes/presign-verification-liveness-video.js';
import { presignVerificationUploadRoute } from './routes/presign-verification-upload.js';
import { reanalyzeDashboardVerificationAssetRoute } from './routes/reanalyze-dashboard-verification-asset.js';
import { revokeOrganizationApiKeyRoute } from './routes/revoke-organization-api-key.js';
import { signupRoute } from './routes/signup.js';
import { submitDashboardVerificationReviewRoute } from './routes/submit-dashboard-verification-review.js';
import { verificationCors } from './routes/verification-cors.js';

/** Sign-up, login and logout: public (logout reads the session cookie when there is one). */
const AUTH_ROUTES = [signupRoute, loginRoute, logoutRoute];

/** Secret-key and verification-token routes: each authenticates in its own `onRequest`. */
const VERIFICATION_ROUTES = [
  createVerificationSessionRoute,
  getVerificationSessionRoute,
  patchVerificationSessionRoute,
  presignVerificationUploadRoute,
  completeVerificationUploadRoute,
  initVerificationLivenessRoute,
  presignVerificationLivenessVideoRoute,
  completeVerificationLivenessRoute,
];

/** Operator routes: the signed `kyc_session` cookie, checked by their scope before the body is read. */
const OPERATOR_ROUTES = [
  listOrganizationsRoute,
  createOrganizationRoute,
  listOrganizationApiKeysRoute,
  mintOrganizationApiKeyPairRoute,
  revokeOrganizationApiKeyRoute,
  listDashboardVerificationsRoute,
  getDashboardVerificationDetailRoute,
  getDashboardVerificationAuditChainRoute,
  submitDashboardVerificationReviewRoute,
  reanalyzeDashboardVerificationAssetRoute,
  notifyRetrainingBatchRoute,
];

export async function buildKycApp(kyc: Kyc): Promise<FastifyInstance> {
  const app = await kyc.context.createHttpApp({
    title: 'KYC Verification Service API',
    description:
      'Auth, health, and system APIs. Session cookie `kyc_session` is set on successful login; use `credentials: "include"` for `fetch`.',
    version: kyc.version,
    renderError: renderKycError,
    // Routes that need more (the liveness probe) raise it themselves.
    bodyLimit: KYC_BODY_LIMITS.default,
    openapi: {
      tags: [
        { name: 'Auth', description: 'Authentication' },
        { name: 'Organizations', description: 'Tenant organizations' },
        {
          name: 'Verification',
          description:
            'Identity verification sessions (opaque token via `X-Verification-Token` or `?token=`)',
        },
        { name: 'System', description: 'Health and metadata' },
        {
          name: 'Dashboard',
          description: 'Operator/compliance views (session cookie `kyc_session`; same as auth login)',
        },
      ],
      components: { securitySchemes: KYC_SECURITY_SCHEMES },
    },
  });
  await app.register(fastifyCookie, { secret: kyc.context.signingSecret.toString('hex') });
  // A liveness complete waiting for its analysis answers `pending` at once when the server closes,
  // so draining in-flight requests does not wait out the liveness wait bound.
  app.addHook('preClose', async () => kyc.liveness.stopWaiting());
  await app.register(async (api) => {
    registerIpLimits(api, createIpLimits(kyc.config.ipRateLimits, kyc.context.rateLimitStore()));
    await api.register(healthRoutes(kyc.context, kyc.version));
    for (const route of AUTH_ROUTES) await api.register(route(kyc));
    // Public scope: secret-key and verification-token routes authenticate per route.
    await verificationCors(api);
    for (const route of VERIFICATION_ROUTES) await api.register(route(kyc));
    await api.register(livenessValidatorRoute(kyc));
    await api.register(hostedPageRoutes(kyc));
    await api.register(hostedFlowRoutes(kyc));
    await api.register(consolePageRoutes(kyc));
    // Operator scope: the signed `kyc_session` cookie, checked before the body is read.
    await api.register(async (scope) => {
      scope.addHook('onRequest', requireOperator(kyc));
      scope.addHook('onRoute', documentSecurity(KYC_SECURITY.operator));
      for (const route of OPERATOR_ROUTES) await scope.register(route(kyc));
    });
  });
  return app;
}
