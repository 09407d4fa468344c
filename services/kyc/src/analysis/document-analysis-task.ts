/**
 * The stages of a document analysis as tasks of vision's worker threads (see
 * `threaded-document-analyzer.ts`). A thread keeps its face models and its OCR pool (started on its
 * first MRZ) between documents.
 */
import { type DocumentRaster, type LazyOcrPool, lazyOcrPool } from '@trustplane/vision';
import {
  decodeDocument as decode,
  detectDocumentPortrait,
  type PortraitStage,
  type ReadingStage,
  readDocument as read,
} from './document-analyzer.js';

let ocr: LazyOcrPool | undefined;

export function decodeDocument(image: Uint8Array): Promise<DocumentRaster> {
  return decode(image);
}

export function detectPortrait(raster: DocumentRaster): Promise<PortraitStage> {
  return detectDocumentPortrait(raster);
}

export function readDocument(
  raster: DocumentRaster,
  readMrz: boolean,
  ocrWorkers: number,
  ocrBudgetMs?: number,
): Promise<ReadingStage> {
  ocr ??= lazyOcrPool({ size: ocrWorkers });
  return read(raster, readMrz, ocr, ocrBudgetMs);
}
