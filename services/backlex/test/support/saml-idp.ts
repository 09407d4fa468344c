import * as samlify from 'samlify';
import { XMLValidator } from 'fast-xml-parser';
import { generate } from 'selfsigned';

// samlify refuses to parse without a schema validator; the same well-formedness check
// @better-auth/sso installs (it is one process-wide setting, so both agree).
samlify.setSchemaValidator({
  async validate(xml: string) {
    if (XMLValidator.validate(xml, { allowBooleanAttributes: true }) === true) return 'SUCCESS_VALIDATE_XML';
    throw 'ERR_INVALID_XML';
  },
});

/** What the IdP posts to the service provider's ACS, as a browser auto-submitting the form would. */
export interface SamlPost {
  acsUrl: string;
  SAMLResponse: string;
  RelayState?: string;
}

/**
 * A SAML 2.0 identity provider (samlify) signing with a fresh `selfsigned` certificate. It has no
 * login page: `respond` answers an SP's HTTP-Redirect AuthnRequest with a signed response for the
 * account `signInAs` chose. Its SSO URL is never fetched (the test carries the redirect), so it
 * needs no listening server.
 */
export interface SamlIdp {
  readonly entityId: string;
  readonly entryPoint: string;
  /** PEM of the signing certificate (what an admin pastes as `cert`). */
  readonly cert: string;
  readonly metadataXml: string;
  signInAs(email: string): void;
  /** Answers the AuthnRequest carried by `authnRequestUrl` for the SP described by `spMetadataXml`. */
  respond(authnRequestUrl: string, spMetadataXml: string): Promise<SamlPost>;
}

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export async function createSamlIdp(options: { entityId?: string } = {}): Promise<SamlIdp> {
  const entityId = options.entityId ?? 'https://idp.saml.test/metadata';
  const entryPoint = 'https://idp.saml.test/sso';
  const pems = await generate([{ name: 'commonName', value: 'idp.saml.test' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 2 * 24 * 3600 * 1000),
  });
  const idp = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: pems.private,
    signingCert: pems.cert,
    singleSignOnService: [{ Binding: REDIRECT_BINDING, Location: entryPoint }],
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
  });
  let currentEmail: string | undefined;
  return {
    entityId,
    entryPoint,
    cert: pems.cert,
    metadataXml: idp.getMetadata(),
    signInAs(email) {
      currentEmail = email;
    },
    async respond(authnRequestUrl, spMetadataXml) {
      if (!currentEmail) throw new Error('saml idp: signInAs() was not called');
      const sp = samlify.ServiceProvider({ metadata: spMetadataXml });
      const query = Object.fromEntries(new URL(authnRequestUrl).searchParams);
      const request = await idp.parseLoginRequest(sp, 'redirect', { query });
      const response = (await idp.createLoginResponse(
        sp,
        request as never,
        'post',
        { email: currentEmail },
        undefined,
        false,
        query.RelayState,
      )) as { context: string; entityEndpoint: string; relayState?: string };
      return {
        acsUrl: response.entityEndpoint,
        SAMLResponse: response.context,
        RelayState: query.RelayState,
      };
    },
  };
}

/** The same response with its XML edited after signing, as an attacker in the middle would. */
export function tamperSamlResponse(samlResponse: string, edit: (xml: string) => string): string {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const edited = edit(xml);
  if (edited === xml) throw new Error('saml idp: the edit changed nothing');
  return Buffer.from(edited, 'utf8').toString('base64');
}
