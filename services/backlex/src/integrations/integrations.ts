import { createHmac, randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type WebhookDispatcher } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { EventsDatabase, IntegrationKind } from '../db/events-tables.js';
import type { EventRepository } from '../db/event-repository.js';
import type { IntegrationRepository, IntegrationRow } from '../db/integration-repository.js';
import { errors } from '../errors.js';
import type { AuditHook } from '../events/audit-hook.js';
import { invalidFields } from '../events/invalid-fields.js';
import { invalidPatterns } from '../events/catalogue.js';
import {
  type EventEnvelope,
  INTEGRATION_CONFIGS,
  integrationRequest,
  maskSecret,
  redirectToOrigin,
} from './integration-kinds.js';

/** The `Integration` object (the seed's is open; fields fixed in the README). */
export interface IntegrationView {
  id: string;
  kind: IntegrationKind;
  /** Non-secret settings as given; secrets masked (`••••` + last four). */
  config: Record<string, string>;
  events: string[] | null;
  createdAt: string;
  lastDeliveryAt: string | null;
  lastError: string | null;
}

export interface IntegrationsDeps {
  db: Kysely<EventsDatabase>;
  repository: IntegrationRepository;
  events: EventRepository;
  dispatcher: WebhookDispatcher;
  /** Seals the secret config fields (32 bytes). */
  sealKey: Buffer;
  /** Test only (`BACKLEX_INTEGRATIONS_ORIGIN`): send every integration request to this origin. */
  originOverride?: string;
  /** One attempt's budget. */
  timeoutMs: number;
}

export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'refused'; error: string }
  | { outcome: 'failed'; error: string };

function toView(row: IntegrationRow): IntegrationView {
  return {
    id: row.id,
    kind: row.kind,
    config: { ...row.config, ...row.secret_hints },
    events: row.events,
    createdAt: row.created_at.toISOString(),
    lastDeliveryAt: row.last_delivery_at?.toISOString() ?? null,
    lastError: row.last_error,
  };
}

export function createIntegrations(deps: IntegrationsDeps) {
  const { repository, sealKey } = deps;
  const signingKey = createHmac('sha256', sealKey).update('backlex:integration-signature').digest();

  return {
    /** Connects an integration; its config is checked for its kind (422 naming each field). */
    async create(
      orgId: string,
      input: { kind: IntegrationKind; config?: Record<string, unknown> | null; events?: string[] | null },
      audit: AuditHook,
    ): Promise<IntegrationView> {
      const spec = INTEGRATION_CONFIGS[input.kind];
      const parsed = spec.schema.safeParse(input.config ?? {});
      const issues = parsed.success
        ? []
        : parsed.error.issues.map((issue) => ({
            path: ['config', ...issue.path.map(String)].join('.'),
            message: issue.message,
          }));
      const events = input.events && input.events.length > 0 ? [...new Set(input.events)] : null;
      for (const pattern of invalidPatterns(events ?? [])) {
        issues.push({
          path: `events.${(input.events ?? []).indexOf(pattern)}`,
          message: `unknown event pattern ${JSON.stringify(pattern)}: use an event name, <namespace>.* or *`,
        });
      }
      if (!parsed.success || issues.length > 0) throw invalidFields(issues);
      const config = parsed.data as Record<string, string>;
      const secretNames: readonly string[] = spec.secrets;
      const publicConfig: Record<string, string> = {};
      const secrets: Record<string, string> = {};
      const hints: Record<string, string> = {};
      for (const [name, value] of Object.entries(config)) {
        if (secretNames.includes(name)) {
          secrets[name] = value;
          hints[name] = maskSecret(value);
        } else publicConfig[name] = value;
      }
      const row = await deps.db.transaction().execute(async (transaction) => {
        const created = await repository.insert(
          {
            id: randomUUID(),
            org_id: orgId,
            kind: input.kind,
            config: publicConfig,
            secrets_sealed: sealSecret(sealKey, JSON.stringify(secrets)),
            secret_hints: hints,
            events,
          },
          transaction,
        );
        await audit(transaction, {
          action: 'integration.created',
          target: { type: 'integration', id: created.id },
          data: { kind: created.kind, config: publicConfig, events },
        });
        return created;
      });
      return toView(row);
    },

    async list(orgId: string): Promise<IntegrationView[]> {
      return (await repository.list(orgId)).map(toView);
    },

    /** 404 for an unknown id or another org's. */
    async remove(orgId: string, id: string, audit: AuditHook): Promise<void> {
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw errors.NOT_FOUND('Integration not found');
      await deps.db.transaction().execute(async (transaction) => {
        if (!(await repository.delete(orgId, id, transaction)))
          throw errors.NOT_FOUND('Integration not found');
        await audit(transaction, { action: 'integration.deleted', target: { type: 'integration', id } });
      });
    },

    /**
     * One attempt to carry an event to an integration, in the destination's wire format, through
     * the kernel's SSRF guard. The job retries `failed`; `refused` (an unsafe destination) and
     * `skipped` (integration disconnected since) end it.
     */
    async deliver(eventId: string, integrationId: string): Promise<DeliveryOutcome> {
      const integration = await repository.byId(integrationId);
      if (!integration) return { outcome: 'skipped', reason: 'integration disconnected' };
      const event = await deps.events.byId(eventId);
      if (!event || event.org_id !== integration.org_id)
        return { outcome: 'skipped', reason: 'event not found' };
      const envelope: EventEnvelope = {
        id: event.id,
        type: event.type,
        orgId: event.org_id,
        createdAt: event.created_at.toISOString(),
        data: event.data,
      };
      const config = {
        ...integration.config,
        ...(JSON.parse(openSecret(sealKey, integration.secrets_sealed)) as Record<string, string>),
      };
      const request = integrationRequest(integration.kind, config, envelope);
      const response = await deps.dispatcher.deliverNow({
        url: redirectToOrigin(request.url, deps.originOverride),
        // The destinations do not check it; signed anyway, as every outgoing request of the platform.
        secret: createHmac('sha256', signingKey).update(integration.id).digest('hex'),
        event: event.type,
        payload: request.body,
        headers: request.headers,
        deliveryId: `${event.id}.${integration.id}`,
        timeoutMs: deps.timeoutMs,
      });
      const status = response.statusCode;
      let outcome: DeliveryOutcome;
      if (response.refused)
        outcome = { outcome: 'refused', error: `destination refused: ${response.refused}` };
      else if (status !== undefined && status >= 200 && status < 300)
        outcome = { outcome: 'delivered', status };
      else outcome = { outcome: 'failed', error: response.error ?? `HTTP ${status}` };
      await repository.recordOutcome(integration.id, outcome.outcome === 'delivered' ? null : outcome.error);
      return outcome;
    },

    async recordGiveUp(integrationId: string, reason: string): Promise<void> {
      await repository.recordOutcome(integrationId, `gave up: ${reason}`.slice(0, 1000));
    },
  };
}

export type Integrations = ReturnType<typeof createIntegrations>;
