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
import { protectedAuthRoutes, publicAuthRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { invitationRoutes } from './routes/organization-invitations.js';
import { memberRoutes } from './routes/organization-members.js';
import { roleRoutes } from './routes/organization-roles.js';
import { organizationRoutes, publicOrganizationRoutes } from './routes/organizations.js';
import { serviceAccountRoutes } from './routes/service-accounts.js';
import { apiKeyRoutes } from './routes/api-keys.js';

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
    await scope.register(publicAuthRoutes(deps));
    await scope.register(publicOrganizationRoutes(deps));
    await scope.register(htmlPages(deps));
    await scope.register(protectedAuthRoutes(deps));
    await scope.register(meRoutes(deps));
    await scope.register(organizationRoutes(deps));
    await scope.register(memberRoutes(deps));
    await scope.register(roleRoutes(deps));
    await scope.register(invitationRoutes(deps));
    await scope.register(serviceAccountRoutes(deps));
    await scope.register(apiKeyRoutes(deps));
  });
  return app;
}
