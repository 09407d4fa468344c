import { createRequire } from 'node:module';
import { defineScheduledJob, deriveKey, type ServiceContext, type Stoppable } from '@trustplane/kernel';
import { type BiometryConfig, loadBiometryConfig } from './config.js';
import { createApiKeyRepository } from './db/api-key-repository.js';
import { createJobRepository } from './db/job-repository.js';
import type { BiometryDatabase } from './db/tables.js';
import type { BiometryDeps } from './http/deps.js';
import { createJobProcessor, PROCESS_QUEUE, processJob } from './jobs/process-job.js';
import { createJobSubmitter } from './jobs/submit-jobs.js';
import { createServiceKeys } from './keys/service-keys.js';
import { threadedVerifier } from './pipeline/threaded-verifier.js';

const require = createRequire(import.meta.url);
const PURGE_QUEUE = 'biometry.purge-results';

function packageVersion(name: string): string {
  try {
    return String(require(`${name}/package.json`).version);
  } catch {
    return 'unknown';
  }
}

/** Versions of the engines behind the scores, without loading any model. */
export function modelVersions(): Record<string, string> {
  return {
    'face-api': packageVersion('@vladmandic/face-api'),
    tfjs: packageVersion('@tensorflow/tfjs'),
    'tfjs-backend': 'wasm',
    face_detector: 'ssd_mobilenetv1',
    face_recognition: 'face_recognition_model (128-d)',
    'tesseract.js': packageVersion('tesseract.js'),
    tesseract_data: 'eng 4.0.0 (legacy engine)',
    mrz: packageVersion('mrz'),
  };
}

/** Composition root: one set of repositories and engines per service context. */
export function createBiometry(context: ServiceContext, version: string) {
  const config: BiometryConfig = loadBiometryConfig(context.env);
  const database = context.database<BiometryDatabase>();
  const apiKeys = createApiKeyRepository(database.kysely);
  const jobs = createJobRepository(database.kysely);
  const keys = createServiceKeys(apiKeys, {
    sealingKey: deriveKey(context.signingSecret, 'biometry:callback-secrets'),
    legacyCallbackKey: deriveKey(context.signingSecret, 'biometry:legacy-callback-secrets'),
  });
  // Verifications run on the process's vision worker threads, never on the HTTP event loop.
  const verifier = threadedVerifier(config);
  const processor = createJobProcessor({
    database,
    objects: context.objects,
    repository: jobs,
    verifier,
    config,
    webhooks: context.webhooks,
    callbackSecret: (clientId) => keys.callbackSecret(clientId),
    workerId: context.jobs.workerId,
  });
  const processing = processJob({ processor, config });
  const purge = defineScheduledJob({
    name: PURGE_QUEUE,
    cron: '*/15 * * * *',
    retry: { limit: 1, delaySeconds: 60, backoff: false },
    timeoutSeconds: 600,
    run: async () => ({ purged: await jobs.purgeAcked(config.resultRetentionHours) }),
    done: 'acked results purged',
  });
  const submitter = createJobSubmitter({
    database,
    jobs: context.jobs,
    objects: context.objects,
    repository: jobs,
    config,
    processJob: processing,
  });
  const deps: BiometryDeps = {
    context,
    config,
    version,
    keys,
    jobs,
    workers: { countActive: () => context.jobs.liveWorkers(PROCESS_QUEUE) },
    submitter,
    modelVersions: async () => modelVersions(),
  };

  function defineJobs(): void {
    context.jobs.define(processing);
    context.jobs.define(purge);
  }

  async function startWorkers(): Promise<Stoppable> {
    // Models and OCR threads load before the first job is taken, not during it.
    await verifier.warm();
    // Workers, liveness heartbeats and the purge schedule; pg-boss stops them with the platform.
    await context.jobs.work([processing, purge]);
    return {
      async stop() {
        await Promise.all(
          [PROCESS_QUEUE, PURGE_QUEUE].map((queue) => context.jobs.stopWorking(queue).catch(() => undefined)),
        );
      },
    };
  }

  return { config, deps, keys, jobs, processor, defineJobs, startWorkers };
}

export type Biometry = ReturnType<typeof createBiometry>;
