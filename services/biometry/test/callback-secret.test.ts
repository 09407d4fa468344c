import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Hex, verifyWebhookSignature } from '@trustplane/kernel';
import type { BootedService, WebhookReceiver } from '@trustplane/kernel/testkit';
import { eventually, startWebhookReceiver } from '@trustplane/kernel/testkit';
import type { BiometryDatabase } from '../src/db/tables.js';
import { PROCESS_QUEUE } from '../src/jobs/process-job.js';
import { bootBiometry, JOB_DEADLINE_MS, jobBody, mintClient, runCommand } from './helpers.js';

/**
 * Callbacks are signed with a per-client secret shown once at key creation and sealed at rest:
 * someone holding a copy of the database cannot sign (forge) a callback. The jobs here end in
 * `error` (their images are removed before a worker takes them), which exercises the same
 * signed-callback path as a verified job without loading the face and OCR models.
 */
describe('biometry callback secrets', () => {
  let booted: BootedService;
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await startWebhookReceiver();
    booted = (await bootBiometry()).booted;
    await booted.platform.startBackground(); // webhook delivery
  });
  after(async () => {
    await booted?.close();
    await receiver?.close();
  });

  const db = () => booted.context.database<BiometryDatabase>().kysely;
  /** The callback delivered to `hook`, with its signature header. */
  const received = (hook: string) => {
    const entry = receiver.received.find((candidate) => candidate.path === hook);
    return (
      entry && {
        path: entry.path,
        body: entry.body,
        signature: entry.headers['x-trustplane-signature'] as string | undefined,
      }
    );
  };

  async function submit(key: string, hook: string): Promise<string> {
    const response = await booted.app.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers: { 'x-service-api-key': key },
      payload: jobBody({ callback_url: `${receiver.origin}${hook}` }),
    });
    assert.equal(response.statusCode, 202, response.body);
    return response.json().job_id;
  }

  /** Every value of the client's key row, and its SHA-256: none of it may sign a callback. */
  async function derivableFromRow(clientId: string): Promise<string[]> {
    const row = await db()
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', clientId)
      .executeTakeFirstOrThrow();
    const values = Object.values(row)
      .filter((value): value is string => typeof value === 'string')
      .flatMap((value) => [value, sha256Hex(value)]);
    assert.ok(values.length >= 8);
    return values;
  }

  async function clientIdOf(jobId: string): Promise<string> {
    return (
      await db().selectFrom('jobs').select('client_id').where('id', '=', jobId).executeTakeFirstOrThrow()
    ).client_id;
  }

  it('signs with the secret printed at creation, never with anything stored; legacy and rotated keys too', async () => {
    // A new key: `key create --json` prints the key and its callback secret once.
    const fresh = await mintClient(booted, 'fresh client');
    assert.match(fresh.callbackSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    // A key minted before callback secrets existed (the column the migration added is empty).
    const legacy = await mintClient(booted, 'legacy client');
    // A legacy key whose operator then rotated its callback secret.
    const rotated = await mintClient(booted, 'rotated client');
    const legacyIds = await db()
      .updateTable('api_keys')
      .set({ callback_secret_sealed: null })
      .where('name', 'in', ['legacy client', 'rotated client'])
      .returning(['id', 'display_prefix', 'name'])
      .execute();
    const rotatedRow = legacyIds.find((row) => row.name === 'rotated client')!;
    const rotation = await runCommand(booted, 'key rotate-callback-secret', {
      id: rotatedRow.display_prefix,
    });
    assert.equal(rotation.id, rotatedRow.id);
    const rotatedSecret = String(rotation.callbackSecret);
    assert.notEqual(rotatedSecret, rotated.callbackSecret);
    await assert.rejects(
      runCommand(booted, 'key rotate-callback-secret', { id: 'bio_nope' }),
      /no active key/,
    );

    const { keys } = (await runCommand(booted, 'key list')) as {
      keys: { name: string; callback_secret: string }[];
    };
    assert.deepEqual(Object.fromEntries(keys.map((key) => [key.name, key.callback_secret])), {
      'fresh client': 'sealed',
      'legacy client': 'legacy',
      'rotated client': 'sealed',
    });
    const stored = await db().selectFrom('api_keys').select('callback_secret_sealed').execute();
    for (const row of stored) {
      for (const secret of [fresh.callbackSecret, rotatedSecret]) {
        assert.ok(
          !String(row.callback_secret_sealed).includes(secret.slice(6)),
          'sealed, not stored in clear',
        );
      }
    }

    // Submitted while no worker runs; the images go before one does, so each job ends in `error`.
    const jobs = {
      fresh: await submit(fresh.key, '/hook/fresh'),
      legacy: await submit(legacy.key, '/hook/legacy'),
      rotated: await submit(rotated.key, '/hook/rotated'),
    };
    for (const job of await db().selectFrom('jobs').select('image_keys').execute()) {
      for (const key of Object.values(job.image_keys as unknown as Record<string, string>)) {
        await booted.context.objects.delete(key);
      }
    }
    await booted.context.jobs.work([PROCESS_QUEUE]);

    const callback = (hook: string) =>
      eventually(() => received(hook), `the callback to ${hook}`, JOB_DEADLINE_MS, 100);
    const freshCallback = await callback('/hook/fresh');
    const legacyCallback = await callback('/hook/legacy');
    const rotatedCallback = await callback('/hook/rotated');
    assert.equal(JSON.parse(freshCallback.body).job_id, jobs.fresh);
    assert.equal(JSON.parse(freshCallback.body).status, 'error');

    assert.ok(verifyWebhookSignature(fresh.callbackSecret, freshCallback.body, freshCallback.signature));
    assert.ok(verifyWebhookSignature(rotatedSecret, rotatedCallback.body, rotatedCallback.signature));
    assert.ok(
      !verifyWebhookSignature(rotated.callbackSecret, rotatedCallback.body, rotatedCallback.signature),
      'the secret replaced by the rotation no longer verifies',
    );
    assert.ok(legacyCallback.signature, 'a legacy key still gets signed callbacks');
    assert.ok(
      !verifyWebhookSignature(legacy.callbackSecret, legacyCallback.body, legacyCallback.signature),
      'the legacy key signs with a secret derived from the platform secret',
    );

    for (const [job, entry] of [
      [jobs.fresh, freshCallback],
      [jobs.legacy, legacyCallback],
      [jobs.rotated, rotatedCallback],
    ] as const) {
      for (const candidate of await derivableFromRow(await clientIdOf(job))) {
        assert.ok(
          !verifyWebhookSignature(candidate, entry.body, entry.signature),
          `${entry.path}: a value of the database row signs the callback`,
        );
      }
    }
  });
});
