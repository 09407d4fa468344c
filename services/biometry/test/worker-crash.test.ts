import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { BootedService } from '@trustplane/kernel/testkit';
import { eventually, nodeScriptArgs } from '@trustplane/kernel/testkit';
import { bootBiometry, JOB_DEADLINE_MS, jobBody, mintKey } from './helpers.js';

const WORKER = fileURLToPath(new URL('./support/worker-process.ts', import.meta.url));

describe('worker crash mid-job', () => {
  let booted: BootedService;
  const children: ChildProcess[] = [];

  const startWorker = async (): Promise<ChildProcess> => {
    // Node itself, not the tsx wrapper: SIGKILL must reach the process doing the work.
    const child = spawn(process.execPath, nodeScriptArgs(WORKER), {
      env: {
        ...process.env,
        DATABASE_URL: booted.database.url,
        TRUSTPLANE_DATA_DIR: booted.dataDir,
        LOG_LEVEL: 'silent',
        BIOMETRY_HEARTBEAT_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    await eventually(
      async () => (output.includes('ready') ? true : undefined),
      'the worker process to be ready',
      // Loading the service and its vision workers in a fresh process takes long on a busy machine.
      180_000,
      100,
    );
    return child;
  };

  before(async () => {
    booted = (await bootBiometry()).booted;
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await booted?.close();
  });

  it('retries the job on another worker and records its result exactly once', async () => {
    const key = await mintKey(booted);
    const headers = { 'x-service-api-key': key };
    const first = await startWorker();
    const submitted = await booted.app.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers,
      payload: jobBody(),
    });
    assert.equal(submitted.statusCode, 202);
    const jobId = submitted.json().job_id as string;
    const processing = await eventually(
      async () => {
        const status = (await booted.app.inject({ method: 'GET', url: `/jobs/${jobId}`, headers })).json();
        return status.status === 'processing' ? status : undefined;
      },
      'the job to be processing',
      JOB_DEADLINE_MS,
      100,
    );
    first.kill('SIGKILL');
    await once(first, 'exit');

    await startWorker();
    const done = await eventually(
      async () => {
        const status = (await booted.app.inject({ method: 'GET', url: `/jobs/${jobId}`, headers })).json();
        return status.status === 'completed' ? status : undefined;
      },
      'the job to finish',
      JOB_DEADLINE_MS,
      100,
    );
    assert.notEqual(done.worker_id, processing.worker_id);
    const results = (await booted.app.inject({ method: 'GET', url: '/jobs/results', headers })).json();
    assert.equal(results.total_ready, 1);
    assert.equal(results.results[0].job_id, jobId);
    assert.equal(results.results[0].outcome, 'verified');
    const rows = await booted.context
      .database<{ jobs: { id: string; attempts: number } }>()
      .kysely.selectFrom('jobs')
      .select(['id', 'attempts'])
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.attempts, 2);
  });
});
