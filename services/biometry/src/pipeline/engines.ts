import { createOcrPool, type FaceEngine, loadFaceEngine, type OcrPool } from '@trustplane/vision';

/** The heavy engines of one process, created on first use and shared by every job it runs. */
export interface Engines {
  faces(): Promise<FaceEngine>;
  ocr(): Promise<OcrPool>;
  close(): Promise<void>;
}

export function createEngines(options: { ocrWorkers: number }): Engines {
  let ocr: Promise<OcrPool> | undefined;
  return {
    faces: () => loadFaceEngine(),
    ocr() {
      ocr ??= createOcrPool({ size: options.ocrWorkers }).catch((error) => {
        ocr = undefined;
        throw error;
      });
      return ocr;
    },
    async close() {
      const pool = ocr;
      ocr = undefined;
      if (pool) await (await pool).close();
    },
  };
}
