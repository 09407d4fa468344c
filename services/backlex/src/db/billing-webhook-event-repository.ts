import type { Transaction } from 'kysely';
import type { BacklexDatabase } from './tables.js';

/** `billing_webhook_event`: provider events already processed (each once). */
export function createWebhookEventRepository() {
  return {
    /** Records the event in the transaction of its effect; false when it was processed before. */
    async claim(
      trx: Transaction<BacklexDatabase>,
      provider: string,
      eventId: string,
      eventType: string,
    ): Promise<boolean> {
      const row = await trx
        .insertInto('billing_webhook_event')
        .values({ provider, event_id: eventId, event_type: eventType })
        .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
        .returning('event_id')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
