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
import { API_KEY_PREFIX } from './api-key-plugin.js';

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
      const metadata: KeyMetadata = {
        scope: input.scope,
        mcpTools: input.mcpTools ?? null,
        createdBy: access.principal.userId,
      };
      const created = await deps.auth.api.createApiKey({
        body: {
          organizationId: access.org.id,
          userId: access.principal.userId,
          name: input.name,
          ...(input.expiresInDays ? { expiresIn: input.expiresInDays * 24 * 60 * 60 } : {}),
          metadata,
        },
      });
      const result = {
        ...view({ ...(created as unknown as ApiKeyRow), metadata: JSON.stringify(metadata) }),
        secret: created.key,
      };
      // The plugin inserts the key in its own statement; the audit row and the event share one
      // transaction (README, "Audit").
      await deps.transaction(async (trx) => {
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
      });
      return result;
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

    /** `Authorization: Bearer pak_…` → the key, or 401 (unknown, revoked, expired). */
    async authenticate(token: string): Promise<KeyPrincipal> {
      const result = await deps.auth.api.verifyApiKey({ body: { key: token } });
      if (!result.valid || !result.key) throw errors.UNAUTHORIZED();
      const metadata = readMetadata(
        result.key.metadata === undefined ? null : JSON.stringify(result.key.metadata),
      );
      return {
        kind: 'key',
        keyId: result.key.id,
        organizationId: result.key.referenceId,
        label: result.key.start ?? API_KEY_PREFIX,
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
