import { randomUUID } from 'node:crypto';
import { hmacSha256Hex, openSecret, type SqlExecutor, type WebhookDispatcher } from '@trustplane/kernel';
import type { KycConfig } from '../config.js';
import type { SessionRow } from '../db/verification-sessions-repository.js';

export type SessionWebhookEvent = 'verification.extraction' | 'verification.completed';

export interface SessionWebhooksOptions {
  webhooks: WebhookDispatcher;
  /** Key that seals per-session webhook secrets at rest. */
  sealKey: Buffer;
  signingSecret: Buffer;
  config: KycConfig;
}

/**
 * Session webhooks go through the kernel dispatcher: recorded in the caller's transaction,
 * signed per attempt with HMAC-SHA256 over `${timestamp}.${body}` using the session's
 * `webhookSecret` (`X-Trustplane-Signature: t=…,v1=…`), retried with backoff, each attempt logged.
 * Every payload echoes the session's `metadata`.
 */
export function createSessionWebhooks(options: SessionWebhooksOptions) {
  const { webhooks, sealKey, config } = options;
  // Without a configured secret, outcome webhooks are still signed, with a key derived from the service secret.
  const outcomeSecret =
    config.outcomeWebhookSecret ?? hmacSha256Hex(options.signingSecret, 'kyc:outcome-webhook');

  function envelope(session: SessionRow, event: string, data: Record<string, unknown>) {
    return {
      id: randomUUID(),
      type: event,
      createdAt: new Date().toISOString(),
      sessionId: session.id,
      externalUserId: session.external_user_id,
      environment: session.environment,
      data,
      metadata: session.metadata ?? {},
    };
  }

  return {
    /** Queues `event` to the session's webhook, when it has one. */
    async emit(
      transaction: SqlExecutor,
      session: SessionRow,
      event: SessionWebhookEvent,
      data: Record<string, unknown>,
    ): Promise<void> {
      if (!session.webhook_url || !session.webhook_secret_sealed) return;
      await webhooks.enqueue(transaction, {
        url: session.webhook_url,
        secret: openSecret(sealKey, session.webhook_secret_sealed),
        event,
        payload: envelope(session, event, data),
        owner: `kyc:${session.organization_id}`,
      });
    },
    /** The platform-wide review outcome hook (`VERIFICATION_OUTCOME_WEBHOOK_URL`), when configured. */
    async emitOutcome(transaction: SqlExecutor, session: SessionRow, data: Record<string, unknown>) {
      if (!config.outcomeWebhookUrl) return;
      await webhooks.enqueue(transaction, {
        url: config.outcomeWebhookUrl,
        secret: outcomeSecret,
        event: 'verification.outcome',
        payload: envelope(session, 'verification.outcome', data),
        owner: `kyc:${session.organization_id}`,
      });
    },
  };
}

export type SessionWebhooks = ReturnType<typeof createSessionWebhooks>;
