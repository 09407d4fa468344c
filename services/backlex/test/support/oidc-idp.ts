import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The claims the IdP asserts for an account; `email` defaults to the account id. */
export interface IdpAccount {
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
}

/**
 * A real OpenID provider (`oidc-provider` 8) on a free loopback port. There is no login page:
 * every interaction signs in the account `signInAs` chose and grants the requested scopes, so an
 * authorization-code flow completes with plain HTTP requests (`completeAuthorization`).
 */
export interface OidcIdp {
  readonly issuer: string;
  /** Registers a confidential client through the provider's dynamic registration endpoint. */
  registerClient(redirectUris: string[]): Promise<RegisteredClient>;
  /** The account the next interactions sign in, with the claims it asserts. */
  signInAs(accountId: string, account?: IdpAccount): void;
  /**
   * Follows an authorization URL through the IdP (its own cookies, its redirects) until it
   * redirects off the IdP, and returns that URL: the relying party's callback with `code`/`state`.
   */
  completeAuthorization(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startOidcIdp(): Promise<OidcIdp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const accounts = new Map<string, IdpAccount>();
  let currentAccount: string | undefined;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-idp', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: false }, registration: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Claims in the ID token as well as at userinfo, whichever the relying party reads.
    conformIdTokenClaims: false,
    // Short fixed lifetimes: a test flow lasts seconds (and the defaults log a notice each).
    ttl: {
      Interaction: 600,
      Session: 600,
      Grant: 600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, accountId) {
      const account = accounts.get(accountId) ?? {};
      return {
        accountId,
        claims: async () => ({
          sub: accountId,
          email: account.email ?? accountId,
          email_verified: account.emailVerified ?? true,
          name: account.name ?? accountId,
        }),
      };
    },
  });
  const handleProtocol = provider.callback();

  // The login and consent "pages": answered at once for the chosen account.
  async function handleInteraction(request: http.IncomingMessage, response: http.ServerResponse) {
    const details = await provider.interactionDetails(request, response);
    if (details.prompt.name === 'login') {
      if (!currentAccount) throw new Error('oidc idp: signInAs() was not called');
      await provider.interactionFinished(request, response, { login: { accountId: currentAccount } });
      return;
    }
    const accountId = details.session?.accountId as string;
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) as InstanceType<typeof provider.Grant>)
      : new provider.Grant({ accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  server.on('request', (request, response) => {
    if (request.url?.startsWith('/interaction/')) {
      handleInteraction(request, response).catch((error: Error) => {
        response.statusCode = 500;
        response.end(error.message);
      });
      return;
    }
    handleProtocol(request, response);
  });

  return {
    issuer,
    async registerClient(redirectUris) {
      const response = await fetch(`${issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        }),
      });
      if (response.status !== 201)
        throw new Error(`oidc idp: registration ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { client_id: string; client_secret: string };
      return { clientId: body.client_id, clientSecret: body.client_secret };
    },
    signInAs(accountId, account = {}) {
      accounts.set(accountId, account);
      currentAccount = accountId;
    },
    async completeAuthorization(authorizationUrl) {
      const cookies = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop++) {
        if (url.origin !== issuer) return url;
        const response = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
        });
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const separator = (pair as string).indexOf('=');
          cookies.set((pair as string).slice(0, separator), (pair as string).slice(separator + 1));
        }
        const location = response.headers.get('location');
        if (!location)
          throw new Error(`oidc idp: ${response.status} without redirect: ${await response.text()}`);
        url = new URL(location, url);
      }
      throw new Error('oidc idp: too many redirects');
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
