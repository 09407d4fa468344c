import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { closeLivenessWorkers, livenessWorkerPool } from '@trustplane/vision';
import { buildKycApp } from './http/app.js';
import { SWEEP_QUEUE, SWEEP_SCHEDULE, sweepJob } from './jobs/sweep-expired-objects.js';
import { createKyc, type Kyc, type KycOptions } from './kyc.js';
import { LIVENESS_ANALYSIS_QUEUE, livenessAnalysisJob } from './liveness/liveness-analysis.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

/**
 * The service definition; `options` replace parts of the composition (tests inject a scripted
 * `DocumentAnalyzer` to exercise the orchestration without the vision engines).
 */
export function createKycDefinition(
  options: KycOptions = {},
): ServiceDefinition & { kycFor(context: ServiceContext): Kyc } {
  // One composition per context (a process may hold several contexts in tests).
  const instances = new WeakMap<ServiceContext, Kyc>();
  const kycFor = (context: ServiceContext): Kyc => {
    let instance = instances.get(context);
    if (!instance) {
      instance = createKyc(context, version, options);
      instances.set(context, instance);
    }
    return instance;
  };
  return {
    name: 'kyc',
    title: 'KYC verification',
    version,
    schema: 'kyc',
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    ports: { http: 4488 },
    kycFor,
    buildHttp: (context) => buildKycApp(kycFor(context)),
    defineJobs(context) {
      context.jobs.define(sweepJob(context));
      context.jobs.define(livenessAnalysisJob(() => kycFor(context).livenessAnalysis));
    },
    async startWorkers(context) {
      const { config } = kycFor(context);
      if (config.livenessPreload) {
        // The models load in the worker threads while the process starts serving; a video that
        // arrives first waits for them.
        livenessWorkerPool()
          .warm()
          .catch((error: unknown) =>
            context.logger.warn({ err: error }, 'kyc: liveness models not preloaded'),
          );
      }
      await context.jobs.work([SWEEP_QUEUE, LIVENESS_ANALYSIS_QUEUE]);
      await context.jobs.boss.schedule(SWEEP_QUEUE, SWEEP_SCHEDULE, { version: 1 });
      return {
        async stop() {
          // No new analyses; the one running (if any) finishes before the worker threads go.
          await context.jobs.boss.offWork(LIVENESS_ANALYSIS_QUEUE).catch(() => undefined);
          await kycFor(context).livenessAnalysis.drain();
          await closeLivenessWorkers();
        },
      };
    },
    commands: [
      {
        path: ['audit', 'verify'],
        description: 'Recompute the audit-event hash chain and report the first broken link.',
        async run(context) {
          return { ...(await kycFor(context).audit.verifyChain()) };
        },
      },
    ],
  };
}

export const kycService: ServiceDefinition = createKycDefinition();
