import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import type { BacklexAuth } from '../auth/better-auth.js';
import type { KeyOrgAccessResolver } from '../auth/org-access.js';
import { auditActor, type KeyPrincipal, type OrgAccess } from '../auth/principal.js';
import { KEY_SCOPES, type KeyScope, keyMayRun } from '../auth/roles.js';
import type { ApiKeyRepository, ApiKeyRow } from '../db/api-key-repository.js';
import type { OrgRepository } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { OrgDeletionHook } from '../orgs/orgs.js';
import type { EventOutbox } from '../events/publish-event.js';
import type { CachedLookup } from '../auth/access-cache.js';
import type { AuthTransactions } from '../auth/auth-transaction.js';
import { API_KEY_PREFIX, apiKeyDigest, LAST_USED_INTERVAL_MS } from './api-key-plugin.js';

/** The seed's open `ApiKey`, fixed in the README; `secret` only in the answer that created it. */
export interface ApiKeyView {
  id: string;
  name: string;
  scope: KeyScope;
  mcpTools: string[] | null;
  /** The key's first characters (`pak_` + 8 hex), to recognise it. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdBy: string | null;
  secret?: string;
}

export interface ApiKeyInput {
  name: string;
  scope: KeyScope;
  expiresInDays?: number | undefined;
  mcpTools?: string[] | undefined;
}

interface KeyMetadata {
  scope: KeyScope;
  mcpTools: string[] | null;
  createdBy: string | null;
}

/** The plugin stores metadata as JSON text (sometimes JSON of a JSON string); anything unreadable grants nothing. */
function readMetadata(raw: unknown): KeyMetadata {
  let value = raw;
  for (let depth = 0; depth < 2 && typeof value === 'string'; depth++) {
    try {
      value = JSON.parse(value);
    } catch {
      value = null;
    }
  }
  const object = (value ?? {}) as Partial<KeyMetadata>;
  const scope = (KEY_SCOPES as readonly string[]).includes(object.scope as string)
    ? (object.scope as KeyScope)
    : 'read-only';
  const mcpTools = Array.isArray(object.mcpTools)
    ? object.mcpTools.filter((tool) => typeof tool === 'string')
    : null;
  // A key whose metadata lost its allowlist must not gain every operation: an empty list reaches nothing.
  const unreadable = value === null || typeof value !== 'object';
  return {
    scope,
    mcpTools: unreadable ? [] : mcpTools,
    createdBy: typeof object.createdBy === 'string' ? object.createdBy : null,
  };
}

function view(row: ApiKeyRow): ApiKeyView {
  const metadata = readMetadata(row.metadata);
  return {
    id: row.id,
    name: row.name ?? '',
    scope: metadata.scope,
    mcpTools: metadata.mcpTools,
    prefix: row.start ?? API_KEY_PREFIX,
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: row.expiresAt ? new Date(row.expiresAt).toISOString() : null,
    lastUsedAt: row.lastRequest ? new Date(row.lastRequest).toISOString() : null,
    createdBy: metadata.createdBy,
  };
}

export interface ApiKeysDeps {
  auth: BacklexAuth;
  keys: ApiKeyRepository;
  /** Runs better-auth calls inside backlex's transaction (`auth/auth-transaction.ts`). */
  authTransactions: Pick<AuthTransactions, 'run'>;
  /** Verified keys by digest (`auth/access-cache.ts`), dropped when the key or its org changes. */
  cache: CachedLookup<ApiKeyRow>;
  /** The active org a slug names (the key's org gate). */
  orgs: Pick<OrgRepository, 'activeBySlug'>;
  audit: AuditLog;
  outbox: EventOutbox;
  transaction: <T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>) => Promise<T>;
}

/**
 * Org API keys on @better-auth/api-key: the plugin mints (`pak_` + 64 hex, sha-256 at rest) and
 * verifies them (expiry, `lastRequest`); a revoked key is deleted, so the next request fails.
 */
export function createApiKeys(deps: ApiKeysDeps) {
  return {
    async list(access: OrgAccess): Promise<ApiKeyView[]> {
      return (await deps.keys.listOfOrg(access.org.id)).map(view);
    },

    async create(access: OrgAccess, input: ApiKeyInput): Promise<ApiKeyView> {
      if (access.principal.kind !== 'user') throw errors.FORBIDDEN();
      const userId = access.principal.userId;
      const metadata: KeyMetadata = {
        scope: input.scope,
        mcpTools: input.mcpTools ?? null,
        createdBy: access.principal.userId,
      };
      // The plugin's insert (through better-auth's adapter), the audit row and the event: one
      // transaction (README, "Audit").
      return deps.transaction(async (trx) => {
        const created = await deps.authTransactions.run(trx, () =>
          deps.auth.api.createApiKey({
            body: {
              organizationId: access.org.id,
              userId,
              name: input.name,
              ...(input.expiresInDays ? { expiresIn: input.expiresInDays * 24 * 60 * 60 } : {}),
              metadata,
            },
          }),
        );
        const result = {
          ...view({ ...(created as unknown as ApiKeyRow), metadata: JSON.stringify(metadata) }),
          secret: created.key,
        };
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'api_key.created',
          target: { type: 'api_key', id: result.id },
          ip: access.ip,
          data: {
            name: result.name,
            scope: result.scope,
            mcpTools: result.mcpTools,
            expiresAt: result.expiresAt,
          },
        });
        await deps.outbox.record(trx, {
          organizationId: access.org.id,
          type: 'api_key.created',
          payload: {
            keyId: result.id,
            name: result.name,
            prefix: result.prefix,
            scope: result.scope,
            actorId: auditActor(access.principal).id,
          },
        });
        return result;
      });
    },

    async revoke(access: OrgAccess, id: string): Promise<void> {
      await deps.transaction(async (trx) => {
        const deleted = await deps.keys.deleteOfOrg(trx, access.org.id, id);
        if (!deleted) throw errors.NOT_FOUND();
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'api_key.revoked',
          target: { type: 'api_key', id },
          ip: access.ip,
          data: { name: deleted.name },
        });
        await deps.outbox.record(trx, {
          organizationId: access.org.id,
          type: 'api_key.revoked',
          payload: {
            keyId: id,
            name: deleted.name ?? '',
            prefix: deleted.start ?? API_KEY_PREFIX,
            actorId: auditActor(access.principal).id,
          },
        });
      });
    },

    /**
     * `Authorization: Bearer pak_…` → the key, or 401 (unknown, revoked, disabled, expired). Verified
     * here on the plugin's table rather than through `auth.api.verifyApiKey`, which wrote
     * `lastRequest` and `updatedAt` on every request and swept expired keys: the key row is looked up
     * by its digest through the access cache (dropped on revocation: README, "Hot path"), an expired
     * key is deleted when presented (as the plugin does), and `lastUsedAt` is written at most once a
     * minute per key.
     */
    async authenticate(token: string): Promise<KeyPrincipal> {
      const hash = apiKeyDigest(token);
      const row = await deps.cache.get(
        hash,
        () => deps.keys.byHash(hash),
        (key) => [`org:${key.referenceId}`, `key:${key.id}`],
      );
      if (!row || row.enabled === false) throw errors.UNAUTHORIZED();
      const now = new Date();
      if (row.expiresAt && new Date(row.expiresAt).getTime() < now.getTime()) {
        await deps.keys.deleteById(row.id);
        deps.cache.forget(hash);
        throw errors.UNAUTHORIZED();
      }
      const last = row.lastRequest ? new Date(row.lastRequest).getTime() : 0;
      if (now.getTime() - last >= LAST_USED_INTERVAL_MS) {
        await deps.keys.touch(row.id, now, LAST_USED_INTERVAL_MS);
        deps.cache.update(hash, { ...row, lastRequest: now });
      }
      const metadata = readMetadata(row.metadata);
      return {
        kind: 'key',
        keyId: row.id,
        organizationId: row.referenceId,
        label: row.start ?? API_KEY_PREFIX,
        scope: metadata.scope,
        mcpTools: metadata.mcpTools,
      };
    },

    /** The org gate for keys: another org's slug is 404, an operation outside scope/`mcpTools` 403. */
    keyAccess: (async (key, slug, operation) => {
      const org = await deps.orgs.activeBySlug(slug);
      if (!org || org.id !== key.organizationId) throw errors.NOT_FOUND();
      if (!keyMayRun(key, operation))
        throw errors.FORBIDDEN('This API key’s scope does not cover this operation');
      return { org, principal: key, role: null, memberId: null };
    }) satisfies KeyOrgAccessResolver,

    /** Org deletion: every key of the org stops working. */
    revokeAllOfOrg: ((trx, organizationId) =>
      deps.keys.deleteAllOfOrg(trx, organizationId)) satisfies OrgDeletionHook,
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
