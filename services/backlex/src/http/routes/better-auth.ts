import type { FastifyInstance } from 'fastify';
import type { PendingJoin } from '../../auth/auth-transaction.js';
import type { BacklexDeps } from '../../composition.js';
import { errors } from '../../errors.js';

const CLIENT_IP_HEADER = 'x-backlex-client-ip';
const SCIM_PATH = /^\/api\/auth\/scim\//;
/** Where the SSO plugin signs people in, and seats just-in-time members (OIDC callback, SAML ACS). */
const SSO_SIGN_IN_PATH = /^\/api\/auth\/sso\/(callback|saml2\/sp\/acs|saml2\/callback)\//;

/**
 * Plugin management endpoints backlex drives itself through `auth.api` (with its own validation,
 * roles and audit): from outside they are 404, so no one manages keys or SSO providers around
 * `/org/{slug}/api-keys` and `/org/{slug}/sso`.
 */
const INTERNAL_ONLY =
  /^\/api\/auth\/(api-key\/|sso\/(register|update-provider|delete-provider|providers|get-provider|request-domain-verification|verify-domain)(\/|$))/;

/**
 * better-auth's handler at `/api/auth/*` (sign-up/in/out, email verification, and the plugins'
 * endpoints: SSO callbacks, SCIM 2.0). The Fastify request becomes a Fetch `Request` with the raw
 * body (JSON or the form posts of SAML), better-auth's `Response` is copied back unchanged: these
 * routes are outside the seed and keep better-auth's own answers.
 */
export function betterAuthRoute(deps: BacklexDeps) {
  const base = new URL(deps.context.publicUrl);
  return async (app: FastifyInstance) => {
    // This scope hands bodies over untouched, whatever their type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/api/auth/*',
      // better-auth's own surface (its docs describe it), outside the seed: not in /openapi.json.
      schema: { hide: true },
      async handler(request, reply) {
        if (INTERNAL_ONLY.test(request.url.split('?')[0] as string)) throw errors.NOT_FOUND();
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (value === undefined || name === CLIENT_IP_HEADER) continue;
          for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
        }
        // better-auth keys its limiter and sessions by this address: Fastify's, trusted proxies applied.
        headers.set(CLIENT_IP_HEADER, request.ip);
        // The URL is the service's own, never one built from the client's Host header.
        const url = new URL(request.url, base);
        const body = request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined;
        const fetchRequest = new Request(url, { method: request.method, headers, ...(body ? { body } : {}) });
        // An SSO sign-in runs in one backlex transaction: the plugin's writes (user, account,
        // session, a just-in-time member) and the audit row + `member.joined` event of each member it
        // seated commit together (README, "Audit").
        const response = SSO_SIGN_IN_PATH.test(url.pathname)
          ? await deps.transaction(async (trx) => {
              const joins: PendingJoin[] = [];
              const answer = await deps.authTransactions.run(
                trx,
                () => deps.auth.handler(fetchRequest),
                joins,
              );
              await deps.pluginAudit.ssoJoins(trx, joins);
              return answer;
            })
          : await deps.auth.handler(fetchRequest);
        // SCIM writes change memberships (the projection): this process forgets its cached org-gate
        // answers before answering, so the directory's next request here sees the change.
        if (request.method !== 'GET' && SCIM_PATH.test(url.pathname)) deps.accessCache.clear();
        reply.status(response.status);
        response.headers.forEach((value, name) => {
          if (name !== 'set-cookie' && name !== 'content-length') reply.header(name, value);
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) reply.header('set-cookie', cookies);
        return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
      },
    });
  };
}
