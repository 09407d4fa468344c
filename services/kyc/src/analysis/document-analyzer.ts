import { portraitElaContrast } from './portrait-ela.js';
import {
  createOcrPool,
  type DetectedFace,
  errorLevelAnalysis,
  inspectImage,
  loadFaceEngine,
  type MrzReading,
  moireAnalysis,
  type OcrPool,
  readMrz,
} from '@trustplane/vision';

export interface ForensicScore {
  score: number;
  heatmap: Buffer;
  details: Record<string, number>;
}

export interface PortraitResult {
  found: boolean;
  confidence: number | null;
  descriptor: number[] | null;
  box?: DetectedFace['box'];
}

export interface DocumentAnalysis {
  /** Null when the side is not expected to carry an MRZ. */
  mrz: MrzReading | null;
  /**
   * `score` is the portrait-localised ELA contrast when a portrait was found (`details.localized = 1`),
   * otherwise vision's whole-image ELA score; `details.globalScore` always holds the latter.
   */
  ela: ForensicScore;
  moire: ForensicScore;
  /** Null when the side is not expected to carry the portrait. */
  portrait: PortraitResult | null;
  modelVersions: Record<string, string>;
}

export interface AnalyzeOptions {
  readMrz: boolean;
  detectPortrait: boolean;
}

/** The document and face analysis kyc needs, behind one small seam (the engines are `@trustplane/vision`). */
export interface DocumentAnalyzer {
  analyze(image: Uint8Array, options: AnalyzeOptions): Promise<DocumentAnalysis>;
  close(): Promise<void>;
}

export const ANALYZER_MODEL_ID = 'trustplane-vision-document/1';

/** The real analyzer: Tesseract MRZ OCR + check digits, ELA, moiré FFT and face-api portrait detection. */
export function createVisionDocumentAnalyzer(options: { ocrWorkers: number }): DocumentAnalyzer {
  let ocr: Promise<OcrPool> | undefined;
  const pool = () => {
    ocr ??= createOcrPool({ size: options.ocrWorkers }).catch((error) => {
      ocr = undefined;
      throw error;
    });
    return ocr;
  };
  const baseVersions: Record<string, string> = {
    documentApi: ANALYZER_MODEL_ID,
    ela: 'ela-jpeg90-block16+portrait-contrast/1',
    moire: 'moire-fft256-hann/1',
  };
  return {
    async analyze(image, analyzeOptions) {
      const info = await inspectImage(image);
      const [globalEla, moire, mrz, portrait] = await Promise.all([
        errorLevelAnalysis(image),
        moireAnalysis(image),
        analyzeOptions.readMrz ? pool().then((ocrPool) => readMrz(ocrPool, image)) : Promise.resolve(null),
        analyzeOptions.detectPortrait ? detectPortrait(image) : Promise.resolve(null),
      ]);
      let ela: ForensicScore = {
        ...globalEla,
        details: { ...globalEla.details, globalScore: globalEla.score, localized: 0 },
      };
      if (portrait?.box) {
        const local = await portraitElaContrast(globalEla, portrait.box, info);
        ela = {
          score: local.score,
          heatmap: globalEla.heatmap,
          details: {
            ...globalEla.details,
            globalScore: globalEla.score,
            localized: 1,
            portraitError: local.inside,
            backgroundError: local.outside,
            portraitContrast: local.contrast,
          },
        };
      }
      const versions = { ...baseVersions };
      if (analyzeOptions.readMrz) versions.ocr = `tesseract.js ${(await pool()).version}`;
      if (portrait) {
        const engine = await loadFaceEngine();
        versions.inferenceApi = Object.entries(engine.modelVersions)
          .map(([name, version]) => `${name}@${version}`)
          .join(',');
      }
      return { mrz, ela, moire, portrait, modelVersions: versions };
    },
    async close() {
      const current = ocr;
      ocr = undefined;
      if (current) await (await current).close();
    },
  };
}

async function detectPortrait(image: Uint8Array): Promise<PortraitResult> {
  const engine = await loadFaceEngine();
  const faces = await engine.detect(image, { minConfidence: 0.5 });
  const best = faces[0];
  if (!best) return { found: false, confidence: null, descriptor: null };
  return { found: true, confidence: best.score, descriptor: Array.from(best.descriptor), box: best.box };
}
