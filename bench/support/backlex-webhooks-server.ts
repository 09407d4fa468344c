// Child process for bench/backlex-webhooks.ts: boots backlex with its workers (fan-out job, webhook
// dispatcher on `backlex.webhook-delivery`) at LOG_LEVEL argv[2] on a fresh database of the parent's
// embedded PostgreSQL, makes an org through HTTP, then on the parent's word: creates a webhook
// through `POST /api/org/{slug}/webhooks` (the previous one deleted, so each round's events reach
// one receiver path) and answers its secret; publishes `count` catalogue events in one transaction
// (as a batch of changes would: each event row + its fan-out job, exactly what a route writes) and
// says when that committed. The rest — fan-out, one delivery per event, signing, SSRF guard, POST,
// attempt log — is the service's own background work.
import type { Kysely } from 'kysely';
import type { EventsDatabase } from '../../services/backlex/src/db/events-tables.js';
import { backlexEvents } from '../../services/backlex/src/events-composition.js';
import { BacklexHarness } from '../../services/backlex/test/support/backlex.js';

const level = process.argv[2] ?? 'info';
const h = await BacklexHarness.boot({
  workers: true,
  env: { LOG_LEVEL: level, TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1' },
});
const org = await h.org();
const { context } = h.service.booted;
const events = backlexEvents(context);
const database = context.database<EventsDatabase>();
let webhookId: string | undefined;

async function createWebhook(url: string): Promise<string> {
  if (webhookId) {
    const deleted = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/webhooks/${webhookId}`,
      as: org.owner,
    });
    if (deleted.statusCode !== 204) throw new Error(`webhook delete: ${deleted.statusCode} ${deleted.body}`);
  }
  const created = await h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/webhooks`,
    as: org.owner,
    payload: { url, events: ['org.updated'] },
  });
  if (created.statusCode !== 201) throw new Error(`webhook create: ${created.statusCode} ${created.body}`);
  const { webhook } = created.json() as { webhook: { id: string; secret: string } };
  webhookId = webhook.id;
  return webhook.secret;
}

async function publish(count: number): Promise<void> {
  await (database.kysely as Kysely<EventsDatabase>).transaction().execute(async (trx) => {
    for (let index = 0; index < count; index += 1) {
      await events.events.publish(trx, org.id, 'org.updated', {
        slug: org.slug,
        changed: ['name'],
        actorId: null,
      });
    }
  });
}

// BENCH_TRACE=1: when the last event of a round was fanned out (stage timing, on stderr).
async function trace() {
  const start = performance.now();
  for (;;) {
    const { rows } = await database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE fanned_out_at IS NULL',
    );
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.error(`fanned out ${((performance.now() - start) / 1000).toFixed(2)} s after the commit`);
}

process.on('message', (message: { webhook?: string; publish?: number; cpu?: boolean }) => {
  if (message.cpu) {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
  if (message.webhook) createWebhook(message.webhook).then((secret) => process.send?.({ secret }));
  if (message.publish)
    publish(message.publish).then(() => {
      process.send?.({ committed: message.publish });
      if (process.env.BENCH_TRACE) trace();
    });
});
process.send?.({ concurrency: events.dispatcher.concurrency });
process.on('SIGTERM', () => {
  h.close().then(() => process.exit(0));
});
