import { type VisionWorkerPool, visionWorkerPool, workerTask } from '@trustplane/vision';
import type * as task from './document-analysis-task.js';
import { assembleAnalysis, type DocumentAnalyzer } from './document-analyzer.js';

const TASK_MODULE = new URL('./document-analysis-task.ts', import.meta.url);
const DECODE = workerTask<typeof task.decodeDocument>(TASK_MODULE, 'decodeDocument');
const PORTRAIT = workerTask<typeof task.detectPortrait>(TASK_MODULE, 'detectPortrait');
const READ = workerTask<typeof task.readDocument>(TASK_MODULE, 'readDocument');

/** A buffer comes back from a thread as a plain Uint8Array (structured clone drops Buffer). */
const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The vision analyzer on the process's vision worker threads: OCR, ELA, moiré and face detection
 * never run on the event loop that serves HTTP (`npm start` runs every service in one process).
 * The image is decoded once, in a thread, into shared memory; then the face stage and the reading
 * stage (MRZ OCR, ELA, moiré) run at the same time on two threads, both reading that raster.
 * An analysis whose job ran out of time is abandoned with its threads (`signal`).
 */
export function createThreadedDocumentAnalyzer(options: {
  ocrWorkers: number;
  /** OCR budget of one image's MRZ reading (ms of CPU); default vision's `OCR_BUDGET_MS`. */
  ocrBudgetMs?: number;
  pool?: VisionWorkerPool;
}): DocumentAnalyzer {
  const pool = () => options.pool ?? visionWorkerPool();
  return {
    async analyze(image, analyzeOptions, signal) {
      const call = signal ? { signal } : {};
      const raster = await pool().run(DECODE, [image], call);
      // The face stage is sent first: it is the longest, and the least busy thread takes it.
      const [portrait, reading] = await Promise.all([
        analyzeOptions.detectPortrait ? pool().run(PORTRAIT, [raster], call) : null,
        pool().run(READ, [raster, analyzeOptions.readMrz, options.ocrWorkers, options.ocrBudgetMs], call),
      ]);
      const analysis = assembleAnalysis(
        {
          ...reading,
          ela: { ...reading.ela, heatmap: toBuffer(reading.ela.heatmap) },
          moire: { ...reading.moire, heatmap: toBuffer(reading.moire.heatmap) },
        },
        portrait,
      );
      return analysis;
    },
    // The threads belong to the process (shared with other services) and are unref'd when idle.
    async close() {},
  };
}
