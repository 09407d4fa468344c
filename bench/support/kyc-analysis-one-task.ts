/**
 * kyc's document analysis as it ran before issue 14, for `bench/kyc-bench.ts` to measure beside the
 * current one in the same run: the whole analysis as one task of one vision thread, each stage
 * decoding the encoded bytes itself (a full decode to validate, then ELA, moiré, MRZ and face each
 * their own). The engines are the same as today's.
 */
import {
  errorLevelAnalysis,
  inspectImage,
  type LazyOcrPool,
  lazyOcrPool,
  loadFaceEngine,
  moireAnalysis,
  readMrz,
} from '@trustplane/vision';

let ocr: LazyOcrPool | undefined;

export async function analyzeInOneTask(image: Uint8Array): Promise<{ mrzValid: boolean; faces: number }> {
  ocr ??= lazyOcrPool({ size: 1 });
  await inspectImage(image);
  const [, , mrz, faces] = await Promise.all([
    errorLevelAnalysis(image),
    moireAnalysis(image),
    ocr.get().then((pool) => readMrz(pool, image)),
    loadFaceEngine().then((engine) => engine.detect(image, { minConfidence: 0.5 })),
  ]);
  return { mrzValid: mrz.valid, faces: faces.length };
}
