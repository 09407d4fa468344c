import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyWebhookSignature } from '@trustplane/kernel';
import type { BootedService, WebhookReceiver } from '@trustplane/kernel/testkit';
import { eventually, startWebhookReceiver } from '@trustplane/kernel/testkit';
import { createJobRepository } from '../src/db/job-repository.js';
import type { BiometryDatabase } from '../src/db/tables.js';
import { bootBiometry, contract, JOB_DEADLINE_MS, jobBody, mintClient, mintKey } from './helpers.js';

interface ResultBody {
  job_id: string;
  outcome: string;
  scores: Record<string, number>;
  cross_validations: Record<string, { passed: boolean }>;
}
interface PollBody {
  results: ResultBody[];
  total_ready: number;
  workers_active: number;
}

describe('biometry jobs through the workers', () => {
  let booted: BootedService;
  let key: string;
  let callbackSecret: string;
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await startWebhookReceiver();
    booted = (await bootBiometry({ workers: true })).booted;
    ({ key, callbackSecret } = await mintClient(booted));
  });
  after(async () => {
    await booted?.close();
    await receiver?.close();
  });

  const get = async (url: string) => {
    const response = await booted.app.inject({ method: 'GET', url, headers: { 'x-service-api-key': key } });
    contract.assertResponse('GET', url.split('?')[0] as string, response);
    return response;
  };

  it('verifies a matching person, rejects a wrong declared name, polls, acks and calls back signed', async () => {
    const good = await booted.app.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers: { 'x-service-api-key': key },
      payload: jobBody({ callback_url: receiver.url }),
    });
    assert.equal(good.statusCode, 202, good.body);
    const wrongName = await booted.app.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers: { 'x-service-api-key': key },
      payload: jobBody({
        citizen_code: 'CIT-WRONG',
        declared_identity: {
          first_name: 'Paul',
          last_name: 'Durand',
          date_of_birth: '1990-02-14',
          gender: 'F',
          nationality: 'FR',
        },
      }),
    });
    assert.equal(wrongName.statusCode, 202);
    // Other tests in this file run alongside and have results of their own: wait for these two.
    const results = await eventually<PollBody>(
      async () => {
        const body = (await get('/jobs/results?limit=100')).json() as PollBody;
        const ids = new Set(body.results.map((result) => result.job_id));
        return ids.has(good.json().job_id) && ids.has(wrongName.json().job_id) ? body : undefined;
      },
      'the results of both jobs',
      JOB_DEADLINE_MS,
      100,
    );
    const byId = new Map(results.results.map((result) => [result.job_id, result]));
    const verified = byId.get(good.json().job_id) as ResultBody;
    assert.equal(verified.outcome, 'verified', JSON.stringify(verified));
    assert.ok((verified.scores.face_similarity ?? 0) > 0.8);
    assert.equal(verified.cross_validations.mrz_check_digits?.passed, true);
    const rejected = byId.get(wrongName.json().job_id) as ResultBody;
    assert.equal(rejected.outcome, 'rejected', JSON.stringify(rejected));
    assert.ok(results.workers_active >= 1);

    const status = await get(`/jobs/${good.json().job_id}`);
    assert.equal(status.json().status, 'completed');
    assert.ok(status.json().worker_id);

    const callback = await eventually(
      async () => receiver.received.find((entry) => entry.body.includes(good.json().job_id)),
      'the callback of the good job',
      JOB_DEADLINE_MS,
      100,
    );
    const keyHash = (
      await booted.context
        .database<{ api_keys: { key_hash: string } }>()
        .kysely.selectFrom('api_keys')
        .select('key_hash')
        .executeTakeFirstOrThrow()
    ).key_hash;
    assert.equal(JSON.parse(callback.body).outcome, 'verified');
    const signature = callback.headers['x-trustplane-signature'] as string | undefined;
    assert.ok(
      verifyWebhookSignature(callbackSecret, callback.body, signature),
      'callback signature verifies with the secret printed at key creation',
    );
    assert.ok(!verifyWebhookSignature(keyHash, callback.body, signature), 'the stored hash cannot sign');

    // Another client sees none of it and cannot ack it.
    const otherKey = await mintKey(booted, 'other client');
    const foreignPoll = await booted.app.inject({
      method: 'GET',
      url: '/jobs/results',
      headers: { 'x-service-api-key': otherKey },
    });
    assert.equal(foreignPoll.json().total_ready, 0);
    const foreignAck = await booted.app.inject({
      method: 'POST',
      url: '/jobs/ack',
      headers: { 'x-service-api-key': otherKey },
      payload: { job_ids: [good.json().job_id] },
    });
    assert.deepEqual(foreignAck.json(), { acked: 0, not_found: 1 });

    // Retention: the images are gone once the outcome is recorded.
    const objectsDir = path.join(booted.dataDir, 'objects');
    const leftovers = await fs.readdir(objectsDir, { recursive: true }).catch(() => [] as string[]);
    assert.equal(
      leftovers.filter(
        (entry) => String(entry).includes(good.json().job_id) && /selfie|recto|verso/.test(String(entry)),
      ).length,
      0,
    );

    const ids = results.results.map((result) => result.job_id);
    // Three concurrent acks of the same ids: each result is acked exactly once overall.
    const acks = await Promise.all(
      [0, 1, 2].map(() =>
        booted.app.inject({
          method: 'POST',
          url: '/jobs/ack',
          headers: { 'x-service-api-key': key },
          payload: { job_ids: ids },
        }),
      ),
    );
    assert.equal(
      acks.reduce((sum, response) => sum + response.json().acked, 0),
      ids.length,
    );
    for (const response of acks) assert.equal(response.json().acked + response.json().not_found, ids.length);
    const again = await booted.app.inject({
      method: 'POST',
      url: '/jobs/ack',
      headers: { 'x-service-api-key': key },
      payload: { job_ids: ids },
    });
    assert.deepEqual(again.json(), { acked: 0, not_found: ids.length });
    assert.equal((await get('/jobs/results')).json().total_ready, 0);

    // Acked results are purged after the retention (0 h here).
    const purged = await createJobRepository(booted.context.database<BiometryDatabase>().kysely).purgeAcked(
      0,
    );
    assert.equal(purged, ids.length);
  });
});
