import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { Integrations } from '../integrations/integrations.js';

export const INTEGRATION_DELIVERY_QUEUE = 'backlex.integration-delivery';

/** Retries of an integration delivery: 45 s doubling, the last ≈ 25 h after the first try, as webhooks. */
export const INTEGRATION_RETRY = { limit: 11, delaySeconds: 45, backoff: true } as const;

/**
 * Carries one event to one integration (Slack, Discord, Datadog, GitHub) in its wire format. A
 * failed attempt throws, so pg-boss retries it with backoff; a refused destination or a
 * disconnected integration ends it; giving up is recorded as the integration's `lastError`.
 */
export function deliverIntegrationJob(
  integrations: () => Integrations,
  retryDelaySeconds: number = INTEGRATION_RETRY.delaySeconds,
) {
  return defineJob({
    name: INTEGRATION_DELIVERY_QUEUE,
    version: 1,
    payload: z.object({ eventId: z.string().uuid(), integrationId: z.string().uuid() }),
    retry: { ...INTEGRATION_RETRY, delaySeconds: retryDelaySeconds },
    timeoutSeconds: 60,
    concurrency: 2,
    async handle(payload, job) {
      const result = await integrations().deliver(payload.eventId, payload.integrationId);
      if (result.outcome === 'failed') throw new Error(`integration delivery failed: ${result.error}`);
      job.logger.debug({ ...payload, outcome: result.outcome }, 'backlex: integration delivery');
    },
    async deadLetter(payload, context) {
      await integrations().recordGiveUp(payload.integrationId, context.reason ?? 'retries exhausted');
    },
  });
}

export type DeliverIntegrationJob = ReturnType<typeof deliverIntegrationJob>;
