import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { ssoInputSchema } from '../../sso/sso-config.js';
import { errorResponses, okSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const ssoSchema = z
  .object({
    type: z.enum(['oidc', 'saml']),
    enabled: z.boolean(),
    emailDomain: z.string().nullable(),
    domainVerified: z.boolean(),
    verification: z.object({ type: z.literal('TXT'), name: z.string(), value: z.string() }).nullable(),
    config: z.record(z.string(), z.unknown()),
  })
  .nullable();

const urlsSchema = z.object({
  oidcRedirectUri: z.string(),
  samlAcsUrl: z.string(),
  samlEntityId: z.string(),
  samlMetadataUrl: z.string(),
  loginUrl: z.string(),
});

/** The caller's cookie, for the plugin endpoints that act as the signed-in admin. */
function sessionHeaders(request: FastifyRequest): Headers {
  return new Headers({ cookie: request.headers.cookie ?? '' });
}

/** `GET/PUT/DELETE /org/{slug}/sso`: the org's SSO connection (admins). */
export function ssoRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/api/org/:slug/sso',
      {
        schema: {
          tags: ['Enterprise SSO'],
          summary: 'Get SSO config + IdP-facing URLs',
          operationId: 'getSso',
          description:
            'The secret is masked; `verification` is the DNS TXT record that proves `emailDomain`.',
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ sso: ssoSchema, urls: urlsSchema }) },
        },
        config: { orgOperation: 'sso.get' },
      },
      async (request) => deps.sso.get(orgAccessOf(request), sessionHeaders(request)),
    );
    typed.put(
      '/api/org/:slug/sso',
      {
        schema: {
          tags: ['Enterprise SSO'],
          summary: 'Configure SSO (OIDC / SAML)',
          operationId: 'putSso',
          description:
            'Stored without contacting the IdP. oidc: `issuer`, `clientId`, `clientSecret` (omitted = keep the stored one); saml: `entryPoint` + `cert`, or `idpMetadataXml`.',
          params: slugParams,
          body: ssoInputSchema,
          response: { ...errorResponses, 200: z.object({ sso: ssoSchema }) },
        },
        config: { orgOperation: 'sso.put' },
      },
      async (request) => ({
        sso: await deps.sso.put(orgAccessOf(request), request.body, sessionHeaders(request)),
      }),
    );
    typed.delete(
      '/api/org/:slug/sso',
      {
        schema: {
          tags: ['Enterprise SSO'],
          summary: 'Disable SSO',
          operationId: 'deleteSso',
          description: 'Sign-in through the provider stops at once; idempotent.',
          params: slugParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'sso.delete' },
      },
      async (request) => {
        await deps.sso.disable(orgAccessOf(request));
        return { ok: true };
      },
    );
  };
}

/** `GET /api/sso/{slug}/login` (`urls.loginUrl`): 302 to the org's IdP. No session needed. */
export function ssoLoginRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/sso/:slug/login',
      {
        schema: {
          tags: ['Enterprise SSO'],
          summary: 'Start SSO sign-in (redirects to the IdP)',
          operationId: 'ssoLogin',
          'x-extension': true,
          // Public: the person signing in has no session yet; the IdP authenticates them.
          security: [],
          params: slugParams,
          response: { ...errorResponses, 302: z.null() },
        },
      },
      async (request, reply) => {
        const { url, cookies } = await deps.sso.login(request.params.slug);
        if (cookies.length > 0) reply.header('set-cookie', cookies);
        return reply.redirect(url, 302);
      },
    );
  };
}
