import fastifyCookie from '@fastify/cookie';
import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { Kyc } from '../kyc.js';
import { requireOperator } from './auth-hooks.js';
import { KYC_BODY_LIMITS } from './body-limits.js';
import { renderKycError } from './errors.js';
import { createIpLimits, registerIpLimits } from './ip-limits.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { hostedPageRoutes } from './routes/hosted-page.js';
import { KYC_SECURITY, KYC_SECURITY_SCHEMES } from './openapi.js';
import { livenessRoutes, livenessValidatorRoute } from './routes/liveness.js';
import { organizationRoutes } from './routes/organizations.js';
import { verificationRoutes } from './routes/verification.js';
import { verificationCors } from './routes/verification-cors.js';

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
    await api.register(authRoutes(kyc));
    // Public scope: secret-key and verification-token routes authenticate per route.
    await verificationCors(api);
    await api.register(verificationRoutes(kyc));
    await api.register(livenessRoutes(kyc));
    await api.register(livenessValidatorRoute(kyc));
    await api.register(hostedPageRoutes(kyc));
    // Operator scope: the signed `kyc_session` cookie, checked before the body is read.
    await api.register(async (scope) => {
      scope.addHook('onRequest', requireOperator(kyc));
      scope.addHook('onRoute', documentSecurity(KYC_SECURITY.operator));
      await scope.register(organizationRoutes(kyc));
      await scope.register(apiKeyRoutes(kyc));
      await scope.register(dashboardRoutes(kyc));
    });
  });
  return app;
}
