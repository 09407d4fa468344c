import { type VisionWorkerPool, visionWorkerPool, workerTask } from '@trustplane/vision';
import type { BiometryConfig } from '../config.js';
import type * as task from './verify-task.js';
import type { VerificationInput, VerificationResult } from './verify-identity.js';

const TASK_MODULE = new URL('./verify-task.ts', import.meta.url);
const VERIFY = workerTask<typeof task.verify>(TASK_MODULE, 'verify');
const WARM = workerTask<typeof task.warm>(TASK_MODULE, 'warm');

/** Runs one verification (faces, OCR, forensics): where, is the verifier's business. */
export interface Verifier {
  verify(input: VerificationInput, signal?: AbortSignal): Promise<VerificationResult>;
  /** Loads what the first verification would (models, OCR workers). */
  warm(): Promise<void>;
}

/**
 * Verifications on the process's vision worker threads: face detection, OCR and FFT never run on
 * the event loop that serves HTTP. A verification whose job ran out of time is abandoned with its
 * thread (`signal`).
 */
export function threadedVerifier(config: BiometryConfig, pool?: VisionWorkerPool): Verifier {
  const workers = () => pool ?? visionWorkerPool();
  return {
    verify: (input, signal) => workers().run(VERIFY, [input, config], signal ? { signal } : {}),
    async warm() {
      await Promise.all(
        workers()
          .all()
          .map((entry) => workers().call(entry, WARM, [config.ocrWorkers])),
      );
    },
  };
}
