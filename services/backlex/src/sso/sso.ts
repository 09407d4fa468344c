import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor } from '../auth/principal.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { EventOutbox } from '../events/publish-event.js';
import type { BacklexAuth } from '../auth/better-auth.js';
import type { OrgAccess } from '../auth/principal.js';
import type { SsoProviderRepository } from '../db/sso-provider-repository.js';
import type { SsoProviderTable } from '../db/tables.js';
import type { AuthTransactions } from '../auth/auth-transaction.js';
import { errors } from '../errors.js';
import type { OidcSecretBox } from './client-secret.js';
import { MASKED_SECRET, providerIdFor, type SsoInput, verificationRecord } from './sso-config.js';

type ProviderRow = Selectable<SsoProviderTable>;

/** The seed's open `SsoConfig`, fixed in the README. */
export interface SsoView {
  type: 'oidc' | 'saml';
  enabled: boolean;
  emailDomain: string | null;
  domainVerified: boolean;
  /** The DNS record that proves control of `emailDomain` (null once verified or without a domain). */
  verification: { type: 'TXT'; name: string; value: string } | null;
  config: Record<string, unknown>;
}

export interface SsoUrls {
  oidcRedirectUri: string;
  samlAcsUrl: string;
  samlEntityId: string;
  samlMetadataUrl: string;
  loginUrl: string;
}

function parse(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** The stored configuration as an admin entered it, the secret masked. */
function publicConfig(row: ProviderRow): { type: 'oidc' | 'saml'; config: Record<string, unknown> } {
  const oidc = parse(row.oidcConfig);
  if (oidc) {
    return {
      type: 'oidc',
      config: {
        issuer: row.issuer,
        clientId: oidc.clientId,
        clientSecret: oidc.clientSecretSealed || oidc.clientSecret ? MASKED_SECRET : null,
        ...(oidc.scopes ? { scopes: oidc.scopes } : {}),
      },
    };
  }
  const saml = parse(row.samlConfig) ?? {};
  const idpMetadata = (saml.idpMetadata ?? {}) as { metadata?: string; entityID?: string };
  return {
    type: 'saml',
    config: {
      ...(saml.entryPoint ? { entryPoint: saml.entryPoint } : {}),
      ...(saml.cert ? { cert: saml.cert } : {}),
      ...(idpMetadata.entityID ? { entityId: idpMetadata.entityID } : {}),
      ...(idpMetadata.metadata ? { idpMetadataXml: idpMetadata.metadata } : {}),
    },
  };
}

export interface SsoDeps {
  auth: BacklexAuth;
  providers: SsoProviderRepository;
  publicUrl: string;
  /** Opens the sealed client secret of a stored row (kept when a PUT omits it). */
  oidcSecrets: OidcSecretBox;
  audit: AuditLog;
  outbox: EventOutbox;
  transaction: <T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>) => Promise<T>;
  /** Runs better-auth calls inside backlex's transaction (`auth/auth-transaction.ts`). */
  authTransactions: Pick<AuthTransactions, 'run'>;
}

/**
 * An org's one SSO connection on @better-auth/sso. PUT stores it through the plugin without
 * contacting the IdP (OIDC discovery is deferred to the first sign-in); the plugin verifies the
 * DNS TXT record of `emailDomain` and refuses sign-in until it has.
 */
export function createSso(deps: SsoDeps) {
  const providerRow = (organizationId: string) => deps.providers.findByOrg(organizationId);

  const urls = (slug: string, providerId: string): SsoUrls => {
    const auth = `${deps.publicUrl}/api/auth`;
    const metadataUrl = `${auth}/sso/saml2/sp/metadata?providerId=${encodeURIComponent(providerId)}`;
    return {
      oidcRedirectUri: `${auth}/sso/callback/${providerId}`,
      samlAcsUrl: `${auth}/sso/saml2/sp/acs/${providerId}`,
      samlEntityId: metadataUrl,
      samlMetadataUrl: metadataUrl,
      loginUrl: `${deps.publicUrl}/api/sso/${encodeURIComponent(slug)}/login`,
    };
  };

  /** Runs the plugin's verify-domain (a DNS TXT lookup) while pending; a missing record just stays pending. */
  async function tryVerify(row: ProviderRow, headers: Headers): Promise<ProviderRow> {
    if (row.domainVerified || !row.domain) return row;
    try {
      await deps.auth.api.verifyDomain({ body: { providerId: row.providerId }, headers });
    } catch {
      return row;
    }
    return (await providerRow(row.organizationId as string)) ?? row;
  }

  async function render(row: ProviderRow, headers: Headers): Promise<SsoView> {
    let verification: SsoView['verification'] = null;
    if (!row.domainVerified && row.domain) {
      const { domainVerificationToken } = await deps.auth.api.requestDomainVerification({
        body: { providerId: row.providerId },
        headers,
      });
      verification = verificationRecord(row.providerId, row.domain, domainVerificationToken);
    }
    return {
      ...publicConfig(row),
      enabled: row.enabled !== false,
      emailDomain: row.domain || null,
      domainVerified: row.domainVerified === true,
      verification,
    };
  }

  return {
    async get(access: OrgAccess, headers: Headers): Promise<{ sso: SsoView | null; urls: SsoUrls }> {
      const providerId = providerIdFor(access.org.id);
      const row = await providerRow(access.org.id);
      return {
        sso: row ? await render(await tryVerify(row, headers), headers) : null,
        urls: urls(access.org.slug, providerId),
      };
    },

    async put(access: OrgAccess, input: SsoInput, headers: Headers): Promise<SsoView> {
      const providerId = providerIdFor(access.org.id);
      const existing = await providerRow(access.org.id);
      const existingType = existing ? publicConfig(existing).type : undefined;
      const domain = input.emailDomain ?? '';
      const enabled = input.enabled ?? true;
      const spEntityId = urls(access.org.slug, providerId).samlEntityId;
      // The plugin's writes (through better-auth's adapter), the audit row and the event: one
      // transaction (README, "Audit").
      const row = await deps.transaction((trx) =>
        deps.authTransactions.run(trx, async () => {
          if (input.type === 'oidc') {
            const storedSecret =
              existingType === 'oidc' ? deps.oidcSecrets.secretOf(existing?.oidcConfig ?? null) : undefined;
            const clientSecret = input.config.clientSecret ?? storedSecret;
            if (!clientSecret) {
              throw errors.VALIDATION({
                details: {
                  details: [
                    {
                      path: 'config.clientSecret',
                      location: 'body',
                      message: 'required (no secret is stored yet)',
                    },
                  ],
                },
              });
            }
            const oidcConfig = {
              clientId: input.config.clientId,
              clientSecret,
              scopes: input.config.scopes ?? ['openid', 'email', 'profile'],
              pkce: true,
            };
            if (existingType === 'oidc') {
              await deps.auth.api.updateSSOProvider({
                body: { providerId, issuer: input.config.issuer, domain, enabled, oidcConfig } as never,
                headers,
              });
            } else {
              if (existing) await this.remove(access, trx);
              await deps.auth.api.registerSSOProvider({
                body: {
                  providerId,
                  issuer: input.config.issuer,
                  domain,
                  organizationId: access.org.id,
                  enabled,
                  // Discovery waits for the first sign-in: an unreachable IdP is not an error here.
                  oidcConfig: { ...oidcConfig, skipDiscovery: true },
                } as never,
                headers,
              });
            }
          } else {
            const samlConfig = {
              entryPoint: input.config.entryPoint ?? '',
              cert: input.config.cert ?? '',
              callbackUrl: `${deps.publicUrl}/api/orgs`,
              idpMetadata: input.config.idpMetadataXml
                ? { metadata: input.config.idpMetadataXml }
                : { entityID: input.config.entityId ?? input.config.entryPoint },
              spMetadata: {},
            };
            if (existing) await this.remove(access, trx);
            await deps.auth.api.registerSSOProvider({
              body: {
                providerId,
                issuer: spEntityId,
                domain,
                organizationId: access.org.id,
                enabled,
                samlConfig,
              } as never,
              headers,
            });
          }
          const row = await deps.providers.findByOrg(
            access.org.id,
            trx as unknown as Kysely<BacklexDatabase>,
          );
          if (!row) throw new Error('sso: provider missing after PUT');
          await deps.audit.record(trx, {
            organizationId: access.org.id,
            actor: auditActor(access.principal),
            action: 'sso.configured',
            target: { type: 'sso', id: row.providerId },
            ip: access.ip,
            data: { type: input.type, enabled, emailDomain: input.emailDomain ?? null },
          });
          await deps.outbox.record(trx, {
            organizationId: access.org.id,
            type: 'sso.configured',
            payload: { type: input.type, enabled, actorId: auditActor(access.principal).id },
          });
          return row;
        }),
      );
      return render(await tryVerify(row, headers), headers);
    },

    /** `DELETE /org/{slug}/sso`: the provider goes, audited and published in the same transaction. */
    async disable(access: OrgAccess): Promise<void> {
      const providerId = providerIdFor(access.org.id);
      await deps.transaction(async (trx) => {
        await deps.providers.removeForOrg(
          access.org.id,
          `_backlex-${providerId}`,
          trx as unknown as Kysely<BacklexDatabase>,
        );
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'sso.disabled',
          target: { type: 'sso', id: providerId },
          ip: access.ip,
        });
        await deps.outbox.record(trx, {
          organizationId: access.org.id,
          type: 'sso.disabled',
          payload: { actorId: auditActor(access.principal).id },
        });
      });
    },

    /** Removes the org's provider and its pending verification; sign-in stops at once. Idempotent. */
    async remove(access: { org: { id: string } }, trx?: Transaction<BacklexDatabase>): Promise<void> {
      const providerId = providerIdFor(access.org.id);
      await deps.providers.removeForOrg(
        access.org.id,
        `_backlex-${providerId}`,
        trx as unknown as Kysely<BacklexDatabase> | undefined,
      );
    },

    /** `GET /api/sso/{slug}/login`: the IdP URL and the state cookies the plugin sets. */
    async login(slug: string): Promise<{ url: string; cookies: string[] }> {
      const row = await deps.providers.findLoginTarget(slug);
      if (!row || row.enabled === false) throw errors.NOT_FOUND();
      let result: { headers: Headers; response: { url?: string } };
      try {
        result = (await deps.auth.api.signInSSO({
          body: { providerId: row.providerId, callbackURL: `${deps.publicUrl}/api/orgs` },
          returnHeaders: true,
        })) as never;
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 401) throw errors.FORBIDDEN('SSO sign-in waits for the email domain to be verified');
        if (status && status < 500)
          throw errors.FORBIDDEN('SSO sign-in is not available: the identity provider could not be used');
        throw error;
      }
      if (!result.response.url) throw errors.NOT_FOUND();
      return { url: result.response.url, cookies: result.headers.getSetCookie() };
    },
  };
}

export type Sso = ReturnType<typeof createSso>;
