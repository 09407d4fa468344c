import { type VisionWorkerPool, visionWorkerPool, workerTask } from '@trustplane/vision';
import type * as task from './document-analysis-task.js';
import type { DocumentAnalysis, DocumentAnalyzer } from './document-analyzer.js';

const TASK_MODULE = new URL('./document-analysis-task.ts', import.meta.url);
const ANALYZE = workerTask<typeof task.analyzeDocument>(TASK_MODULE, 'analyzeDocument');

/** A heatmap comes back from the thread as a plain Uint8Array (structured clone drops Buffer). */
const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The vision analyzer on the process's vision worker threads: OCR, ELA, moiré and face detection
 * never run on the event loop that serves HTTP (`npm start` runs every service in one process).
 * An analysis whose job ran out of time is abandoned with its thread (`signal`).
 */
export function createThreadedDocumentAnalyzer(options: {
  ocrWorkers: number;
  pool?: VisionWorkerPool;
}): DocumentAnalyzer {
  const pool = () => options.pool ?? visionWorkerPool();
  return {
    async analyze(image, analyzeOptions, signal) {
      const analysis: DocumentAnalysis = await pool().run(
        ANALYZE,
        [image, analyzeOptions, options.ocrWorkers],
        signal ? { signal } : {},
      );
      return {
        ...analysis,
        ela: { ...analysis.ela, heatmap: toBuffer(analysis.ela.heatmap) },
        moire: { ...analysis.moire, heatmap: toBuffer(analysis.moire.heatmap) },
      };
    },
    // The threads belong to the process (shared with other services) and are unref'd when idle.
    async close() {},
  };
}
