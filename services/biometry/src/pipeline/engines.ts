import { type FaceEngine, lazyOcrPool, loadFaceEngine, type OcrPool } from '@trustplane/vision';

/** The heavy engines of one process, created on first use and shared by every job it runs. */
export interface Engines {
  faces(): Promise<FaceEngine>;
  ocr(): Promise<OcrPool>;
  close(): Promise<void>;
}

export function createEngines(options: { ocrWorkers: number }): Engines {
  const ocr = lazyOcrPool({ size: options.ocrWorkers });
  return {
    faces: () => loadFaceEngine(),
    ocr: () => ocr.get(),
    close: () => ocr.close(),
  };
}
