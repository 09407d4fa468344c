import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { AnalysisPipeline } from '../analysis/analysis-pipeline.js';
import type { KycConfig } from '../config.js';

export const ANALYZE_DOCUMENT_QUEUE = 'kyc.analyze-document';

/**
 * Document analysis of one uploaded ID image (OCR/MRZ, ELA, moiré, portrait), sent by
 * upload-complete in the transaction that records the asset: the asset is analysed iff it was
 * recorded. The CPU work runs on a vision worker thread, never on the HTTP event loop. A run that
 * times out or loses its worker is retried; when the job gives up, the asset is `failed`.
 */
export function analyzeDocumentJob(deps: { pipeline: AnalysisPipeline; config: KycConfig }) {
  return defineJob({
    name: ANALYZE_DOCUMENT_QUEUE,
    version: 1,
    payload: z.object({ assetId: z.string().uuid() }),
    dedupe: { key: (payload) => payload.assetId, while: 'queued-or-running' },
    retry: { limit: 2, delaySeconds: 5, backoff: true },
    timeoutSeconds: deps.config.analysisTimeoutSeconds,
    liveness: { heartbeatSeconds: 10 },
    concurrency: deps.config.analysisConcurrency,
    pollingIntervalSeconds: 0.5,
    async handle(payload, job) {
      await deps.pipeline.runQueued(payload.assetId, { signal: job.signal, logger: job.logger });
    },
    async deadLetter(payload, job) {
      await deps.pipeline.giveUp(payload.assetId, job.reason ?? 'analysis did not complete');
    },
  });
}

export type AnalyzeDocumentJob = ReturnType<typeof analyzeDocumentJob>;
