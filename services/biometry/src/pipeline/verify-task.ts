/**
 * Runs on a vision worker thread (see `threadedVerifier`): one verification with the engines of
 * that thread (face models, OCR pool), created on its first request and kept for the next.
 */
import type { BiometryConfig } from '../config.js';
import { createEngines, type Engines } from './engines.js';
import { type VerificationInput, type VerificationResult, verifyIdentity } from './verify-identity.js';

let engines: Engines | undefined;

function threadEngines(ocrWorkers: number): Engines {
  engines ??= createEngines({ ocrWorkers });
  return engines;
}

export function verify(input: VerificationInput, config: BiometryConfig): Promise<VerificationResult> {
  return verifyIdentity(input, threadEngines(config.ocrWorkers), config);
}

/** Loads the models and starts the OCR workers of this thread. */
export async function warm(ocrWorkers: number): Promise<void> {
  const loaded = threadEngines(ocrWorkers);
  await Promise.all([loaded.faces(), loaded.ocr()]);
}
