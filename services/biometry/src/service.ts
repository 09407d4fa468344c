import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { deriveKey, type ServiceContext, type Stoppable } from '@trustplane/kernel';
import { type BiometryConfig, loadBiometryConfig } from './config.js';
import { createApiKeyRepository } from './db/api-key-repository.js';
import { createJobRepository } from './db/job-repository.js';
import type { BiometryDatabase } from './db/tables.js';
import { createWorkerRepository } from './db/worker-repository.js';
import type { BiometryDeps } from './http/deps.js';
import {
  createJobProcessor,
  MAX_RETRIES,
  PROCESS_QUEUE,
  type ProcessJobPayload,
  WORKER_ID,
} from './jobs/process-job.js';
import { createJobSubmitter } from './jobs/submit-jobs.js';
import { createServiceKeys } from './keys/service-keys.js';
import { createEngines, type Engines } from './pipeline/engines.js';

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
  const config: BiometryConfig = loadBiometryConfig(process.env);
  const database = context.database<BiometryDatabase>();
  const apiKeys = createApiKeyRepository(database.kysely);
  const jobs = createJobRepository(database.kysely);
  const workers = createWorkerRepository(database.kysely);
  const keys = createServiceKeys(apiKeys, {
    sealingKey: deriveKey(context.signingSecret, 'biometry:callback-secrets'),
    legacyCallbackKey: deriveKey(context.signingSecret, 'biometry:legacy-callback-secrets'),
  });
  const submitter = createJobSubmitter({
    database,
    jobs: context.jobs,
    objects: context.objects,
    repository: jobs,
    config,
  });
  let engines: Engines | undefined;
  const getEngines = () => {
    engines ??= createEngines({ ocrWorkers: config.ocrWorkers });
    return engines;
  };
  const processor = createJobProcessor({
    database,
    objects: context.objects,
    repository: jobs,
    get engines() {
      return getEngines();
    },
    config,
    webhooks: context.webhooks,
    callbackSecret: (clientId) => keys.callbackSecret(clientId),
  });
  const deps: BiometryDeps = {
    context,
    config,
    version,
    keys,
    jobs,
    workers,
    submitter,
    modelVersions: async () => modelVersions(),
  };

  function defineJobs(): void {
    context.jobs.define<ProcessJobPayload>({
      queue: PROCESS_QUEUE,
      retryLimit: MAX_RETRIES,
      retryDelay: 2,
      retryBackoff: true,
      // A run past its own timeout plus a margin means the worker died: pg-boss hands it to another.
      expireInSeconds: config.jobTimeoutSeconds + 30,
      concurrency: config.workerConcurrency,
      pollingIntervalSeconds: 0.5,
      handle: (data, jobContext) => processor.handle(data, jobContext),
    });
    context.jobs.define<{ version: 1 }>({
      queue: PURGE_QUEUE,
      retryLimit: 1,
      handle: async (_data, jobContext) => {
        const purged = await jobs.purgeAcked(config.resultRetentionHours);
        jobContext.logger.info({ purged }, 'acked results purged');
      },
    });
  }

  /** Hands jobs of dead workers back to the queue (once per attempt, whichever live worker sees them first). */
  async function requeueOrphans(): Promise<void> {
    for (const orphan of await jobs.orphaned(config.heartbeatSeconds * 3)) {
      if (orphan.attempts > MAX_RETRIES) {
        // It took down a worker every time: an input that crashes workers must not loop forever.
        if (await processor.abandon(orphan.id, orphan.attempts))
          context.logger.error({ jobId: orphan.id }, 'job abandoned');
        continue;
      }
      const payload: ProcessJobPayload = { version: 1, jobId: orphan.id };
      const sent = await context.jobs.send(PROCESS_QUEUE, payload, {
        priority: orphan.priority === 'high' ? 10 : 0,
        singletonKey: `${orphan.id}:attempt-${orphan.attempts}`,
      });
      if (sent) context.logger.warn({ jobId: orphan.id }, 'job of a dead worker requeued');
    }
    await workers.prune(3600);
  }

  async function startWorkers(): Promise<Stoppable> {
    // Models and OCR threads load before the first job is taken, not during it.
    await Promise.all([getEngines().faces(), getEngines().ocr()]);
    const worker = { id: WORKER_ID, hostname: hostname(), pid: process.pid };
    await workers.heartbeat(worker);
    const beat = async () => {
      await workers.heartbeat(worker);
      await requeueOrphans();
    };
    const timer = setInterval(() => {
      beat().catch((error) => context.logger.warn({ err: error }, 'worker heartbeat failed'));
    }, config.heartbeatSeconds * 1000);
    timer.unref();
    await context.jobs.work([PROCESS_QUEUE, PURGE_QUEUE]);
    await context.jobs.ensureQueue(PURGE_QUEUE);
    await context.jobs.boss.schedule(PURGE_QUEUE, '*/15 * * * *', { version: 1 });
    return {
      async stop() {
        clearInterval(timer);
        await Promise.all(
          [PROCESS_QUEUE, PURGE_QUEUE].map((queue) =>
            context.jobs.boss.offWork(queue).catch(() => undefined),
          ),
        );
        await workers.remove(worker.id).catch(() => undefined);
        await engines?.close();
      },
    };
  }

  return { config, deps, keys, jobs, processor, defineJobs, startWorkers };
}

export type Biometry = ReturnType<typeof createBiometry>;
