import {
  type DetectedFace,
  errorLevelAnalysis,
  inspectImage,
  loadFaceEngine,
  type MrzReading,
  moireAnalysis,
  lazyOcrPool,
  portraitElaContrast,
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
  /** `signal` ends an analysis that is no longer awaited (its job ran out of time). */
  analyze(image: Uint8Array, options: AnalyzeOptions, signal?: AbortSignal): Promise<DocumentAnalysis>;
  close(): Promise<void>;
}

export const ANALYZER_MODEL_ID = 'trustplane-vision-document/1';

/** The real analyzer: Tesseract MRZ OCR + check digits, ELA, moiré FFT and face-api portrait detection. */
export function createVisionDocumentAnalyzer(options: { ocrWorkers: number }): DocumentAnalyzer {
  const ocr = lazyOcrPool({ size: options.ocrWorkers });
  const baseVersions: Record<string, string> = {
    documentApi: ANALYZER_MODEL_ID,
    ela: 'ela-jpeg90-block16+portrait-contrast/2',
    moire: 'moire-fft256-hann/1',
  };
  return {
    async analyze(image, analyzeOptions) {
      // Refuses bytes that are not one whole JPEG/PNG/WebP before any engine runs.
      await inspectImage(image);
      const [globalEla, moire, mrz, portrait] = await Promise.all([
        errorLevelAnalysis(image),
        moireAnalysis(image),
        analyzeOptions.readMrz ? ocr.get().then((pool) => readMrz(pool, image)) : Promise.resolve(null),
        analyzeOptions.detectPortrait ? detectPortrait(image) : Promise.resolve(null),
      ]);
      let ela: ForensicScore = {
        score: globalEla.score,
        heatmap: globalEla.heatmap,
        details: { ...globalEla.details, globalScore: globalEla.score, localized: 0 },
      };
      if (portrait?.box) {
        const local = portraitElaContrast(globalEla, portrait.box);
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
      if (analyzeOptions.readMrz) versions.ocr = `tesseract.js ${(await ocr.get()).version}`;
      if (portrait) {
        const engine = await loadFaceEngine();
        versions.inferenceApi = Object.entries(engine.modelVersions)
          .map(([name, version]) => `${name}@${version}`)
          .join(',');
      }
      return { mrz, ela, moire, portrait, modelVersions: versions };
    },
    close: () => ocr.close(),
  };
}

async function detectPortrait(image: Uint8Array): Promise<PortraitResult> {
  const engine = await loadFaceEngine();
  const faces = await engine.detect(image, { minConfidence: 0.5 });
  const best = faces[0];
  if (!best) return { found: false, confidence: null, descriptor: null };
  return { found: true, confidence: best.score, descriptor: Array.from(best.descriptor), box: best.box };
}
