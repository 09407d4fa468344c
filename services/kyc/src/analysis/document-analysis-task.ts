/**
 * Runs on a vision worker thread (see `threaded-document-analyzer.ts`): the document analyzer of
 * that thread, created on its first request, with its own OCR pool and face models.
 */
import {
  type AnalyzeOptions,
  createVisionDocumentAnalyzer,
  type DocumentAnalysis,
  type DocumentAnalyzer,
} from './document-analyzer.js';

let analyzer: DocumentAnalyzer | undefined;

function threadAnalyzer(ocrWorkers: number): DocumentAnalyzer {
  analyzer ??= createVisionDocumentAnalyzer({ ocrWorkers });
  return analyzer;
}

export function analyzeDocument(
  image: Uint8Array,
  options: AnalyzeOptions,
  ocrWorkers: number,
): Promise<DocumentAnalysis> {
  return threadAnalyzer(ocrWorkers).analyze(image, options);
}
