// notification on two instances consuming one RabbitMQ: a request published twice (two AMQP
// messages, which the broker hands to both instances' consumers) gives one mail at the SMTP server.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { sleep } from './support/http.js';
import { mailRequest, publish } from './support/notification.js';
import { capturedMails, scaleLane } from './support/topology.js';

const { skip, lane } = await scaleLane();

/** Where the intake recorded each copy of a message: one `acked`, the others `duplicate`. */
async function ledger(id: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: lane.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string }>(
      "SELECT status FROM notification.message_ledger WHERE queue = 'notification.events.queue' AND payload->>'id' = $1",
      [id],
    );
    return rows.map((row) => row.status).sort();
  } finally {
    await client.end();
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('notification across two instances on RabbitMQ', () => {
  test('the same request published twice gives one mail', { skip }, async () => {
    const to = `once-${randomUUID().slice(0, 8)}@example.com`;
    const event = mailRequest(to, `Once ${to}`);
    await publish(lane.amqpUrl, [event, event]);
    await until('both copies taken by the intake', async () => (await ledger(event.id)).length === 2);
    assert.deepEqual(await ledger(event.id), ['acked', 'duplicate']);
    await until('the mail', async () => (await capturedMails()).some((mail) => mail.to === to));
    // The duplicate was dropped at intake (above), so no second delivery can be under way.
    assert.equal((await capturedMails()).filter((mail) => mail.to === to).length, 1);
  });
});
