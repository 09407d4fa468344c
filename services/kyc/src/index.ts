import { defineService, perContext, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { livenessWorkerPool } from '@trustplane/vision';
import { buildKycApp } from './http/app.js';
import { createKyc, type Kyc, type KycOptions } from './kyc.js';

/**
 * The service definition; `options` replace parts of the composition (tests inject a scripted
 * `DocumentAnalyzer` to exercise the orchestration without the vision engines).
 */
export function createKycDefinition(
  options: KycOptions = {},
): ServiceDefinition & { kycFor(context: ServiceContext): Kyc } {
  const kycFor = perContext((context) => createKyc(context, definition.version, options));
  const definition = defineService(new URL('..', import.meta.url), {
    name: 'kyc',
    title: 'KYC verification',
    seed: { file: '000_36c1d14c8e9844b6.txt' },
    credentialHeaders: ['x-verification-token'],
    ports: { http: 4488 },
    buildHttp: (context) => buildKycApp(kycFor(context)),
    defineJobs(context) {
      const { jobs } = kycFor(context);
      context.jobs.define(jobs.analyzeDocument);
      context.jobs.define(jobs.livenessAnalysis);
      context.jobs.define(jobs.sweep);
    },
    async startWorkers(context) {
      const { config, jobs, livenessAnalysis } = kycFor(context);
      if (config.livenessPreload) {
        // The models load in the vision threads while the process starts serving; a video that
        // arrives first waits for them.
        livenessWorkerPool()
          .warm()
          .catch((error: unknown) =>
            context.logger.warn({ err: error }, 'kyc: liveness models not preloaded'),
          );
      }
      // Workers and the sweep's schedule; pg-boss stops them with the platform's job queue.
      await context.jobs.work([jobs.analyzeDocument, jobs.livenessAnalysis, jobs.sweep]);
      return {
        async stop() {
          // No new analyses; the one running (if any) finishes. The vision threads belong to the
          // process (shared with other services) and are unref'd when idle.
          await context.jobs.stopWorking(jobs.livenessAnalysis.name).catch(() => undefined);
          await livenessAnalysis.drain();
        },
      };
    },
    commands: [
      {
        path: ['audit', 'verify'],
        description: 'Recompute the audit-event hash chain and report the first broken link.',
        async run(context) {
          return { ...(await kycFor(context).repositories.auditEvents.verifyChain()) };
        },
      },
    ],
  });
  return { ...definition, kycFor };
}

export const kycService: ServiceDefinition = createKycDefinition();
