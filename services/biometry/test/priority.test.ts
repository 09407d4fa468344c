import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Stoppable } from '@trustplane/kernel';
import type { BootedService } from '@trustplane/kernel/testkit';
import { biometryService } from '../src/index.js';
import { bootBiometry, jobBody, mintKey } from './helpers.js';

describe('priority', () => {
  let booted: BootedService;
  let workers: Stoppable | undefined;
  before(async () => {
    // One job at a time: with a slot per vision thread the high job and the oldest normal one are
    // fetched together and either may finish first; the order of the queue is what is tested here.
    booted = (await bootBiometry({ env: { BIOMETRY_WORKER_CONCURRENCY: '1' } })).booted;
  });
  after(async () => {
    await workers?.stop();
    await booted?.close();
  });

  it('processes a high-priority job before normal ones queued earlier', async () => {
    const key = await mintKey(booted);
    const headers = { 'x-service-api-key': key };
    const submit = async (citizen: string, priority: 'normal' | 'high') => {
      const response = await booted.app.inject({
        method: 'POST',
        url: '/jobs/submit',
        headers,
        payload: jobBody({ citizen_code: citizen, priority }),
      });
      assert.equal(response.statusCode, 202);
      return response.json().job_id as string;
    };
    // No worker yet: the three jobs wait in the queue.
    const normal1 = await submit('N1', 'normal');
    const normal2 = await submit('N2', 'normal');
    const high = await submit('H1', 'high');
    workers = await biometryService.startWorkers?.(booted.context);
    const deadline = Date.now() + 120_000;
    let results: { job_id: string; completed_at: string }[] = [];
    while (results.length < 3 && Date.now() < deadline) {
      results = (await booted.app.inject({ method: 'GET', url: '/jobs/results', headers })).json().results;
      if (results.length < 3) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(results.length, 3);
    // Results come oldest first: the high job finished first.
    assert.equal(results[0]?.job_id, high);
    assert.deepEqual(new Set(results.slice(1).map((result) => result.job_id)), new Set([normal1, normal2]));
  });
});
