import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import type { AuthTransactions } from '../auth/auth-transaction.js';
import type { BacklexAuth } from '../auth/better-auth.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import type { ScimDirectoryRepository } from '../db/scim-directory-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { EventOutbox } from '../events/publish-event.js';

const ALL_SCOPES = ['scim.users.read', 'scim.users.write', 'scim.groups.read', 'scim.groups.write'] as const;
/** Directory tokens do not expire on their own (revoked or replaced by an admin); the plugin needs a date. */
const TOKEN_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;

interface Credential {
  credentialId: string;
  status: string;
  createdAt: Date | string;
  lastUsedAt: Date | string | null;
}

export interface ScimView {
  scimBaseUrl: string;
  enabled: boolean;
  tokenCreatedAt: string | null;
  lastUsedAt: string | null;
  users: number;
  groups: number;
}

export interface ScimDeps {
  auth: BacklexAuth;
  /** Runs better-auth calls inside backlex's transaction (`auth/auth-transaction.ts`). */
  authTransactions: Pick<AuthTransactions, 'run'>;
  db: Kysely<BacklexDatabase>;
  directory: ScimDirectoryRepository;
  audit: AuditLog;
  outbox: EventOutbox;
  publicUrl: string;
}

const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);

/**
 * The org's SCIM connection in @better-auth/scim's managed catalog (provisioning domain = org id):
 * one active token at a time; minting replaces it, revoking ends it, members stay.
 */
export function createScim(deps: ScimDeps) {
  const api = deps.auth.api as unknown as Record<
    string,
    (input: { body: Record<string, unknown> }) => Promise<never>
  >;
  const call = <T>(name: string, body: Record<string, unknown>) =>
    (api[name] as (i: { body: unknown }) => Promise<T>)({ body });

  async function connectionOf(organizationId: string) {
    const { connections } = await call<{ connections: { connectionId: string; status: string }[] }>(
      'listSCIMManagedConnections',
      { provisioningDomainId: organizationId },
    );
    const connection = connections.find((item) => item.status === 'active');
    if (!connection) return undefined;
    const state = await call<{ credentials: Credential[] }>('getSCIMManagedConnection', {
      connectionId: connection.connectionId,
      provisioningDomainId: organizationId,
    });
    return {
      connectionId: connection.connectionId,
      active: state.credentials.filter((item) => item.status === 'active'),
    };
  }

  const count = (table: 'scimUser' | 'scimGroup', organizationId: string) =>
    deps.directory.countProvisioned(table, organizationId);

  /**
   * `work` (the plugin's calls, through better-auth's adapter), then the audit row and the event of
   * the token change: one transaction (README, "Audit").
   */
  async function inTransactionAudited<T>(
    access: OrgAccess,
    action: string,
    event: 'scim.token_created' | 'scim.token_revoked',
    work: () => Promise<T>,
  ): Promise<T> {
    return deps.db.transaction().execute(async (trx) => {
      const result = await deps.authTransactions.run(trx, work);
      await deps.audit.record(trx, {
        organizationId: access.org.id,
        actor: auditActor(access.principal),
        action,
        target: { type: 'scim', id: access.org.id },
        ip: access.ip,
      });
      await deps.outbox.record(trx, {
        organizationId: access.org.id,
        type: event,
        payload: { actorId: auditActor(access.principal).id },
      });
      return result;
    });
  }

  async function revokeAll(access: { org: { id: string } }, actorId: string, keep?: string) {
    const connection = await connectionOf(access.org.id);
    for (const credential of connection?.active ?? []) {
      if (credential.credentialId === keep) continue;
      await call('revokeSCIMManagedCredential', {
        connectionId: connection?.connectionId,
        provisioningDomainId: access.org.id,
        credentialId: credential.credentialId,
        actorId,
      });
    }
  }

  return {
    async get(access: OrgAccess): Promise<ScimView> {
      const connection = await connectionOf(access.org.id);
      const current = connection?.active[0];
      return {
        scimBaseUrl: `${deps.publicUrl}/api/auth/scim/v2`,
        enabled: Boolean(current),
        tokenCreatedAt: iso(current?.createdAt),
        lastUsedAt: iso(current?.lastUsedAt),
        users: await count('scimUser', access.org.id),
        groups: await count('scimGroup', access.org.id),
      };
    },

    /** A new token (shown once); any earlier one stops working. */
    async mint(access: OrgAccess): Promise<string> {
      const actorId = auditActor(access.principal).id ?? 'unknown';
      const policy = { scopes: [...ALL_SCOPES], expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS) };
      const issued = await inTransactionAudited(
        access,
        'scim.token_minted',
        'scim.token_created',
        async () => {
          const connection = await connectionOf(access.org.id);
          if (connection) {
            const rotated = await call<{ token: string; credential: { credentialId: string } }>(
              'rotateSCIMManagedCredential',
              {
                connectionId: connection.connectionId,
                provisioningDomainId: access.org.id,
                actorId,
                ...policy,
              },
            );
            await revokeAll(access, actorId, rotated.credential.credentialId);
            return rotated;
          }
          return call<{ token: string; credential: { credentialId: string } }>(
            'createSCIMManagedConnection',
            {
              creationRequestId: `org-${access.org.id}-${Date.now()}`,
              provisioningDomainId: access.org.id,
              actorId,
              ...policy,
            },
          );
        },
      );
      return issued.token;
    },

    /** Revokes the active token; provisioned members stay. Idempotent. */
    async revoke(access: OrgAccess): Promise<void> {
      await inTransactionAudited(access, 'scim.token_revoked', 'scim.token_revoked', () =>
        revokeAll(access, auditActor(access.principal).id ?? 'unknown'),
      );
    },

    /** Org deletion: no token keeps working. */
    revokeAllOfOrg: (organizationId: string) => revokeAll({ org: { id: organizationId } }, 'system'),
  };
}
