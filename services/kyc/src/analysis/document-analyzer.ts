import {
  type DetectedFace,
  type DocumentRaster,
  decodeDocumentRaster,
  type ElaResult,
  errorLevelAnalysis,
  type ForensicResult,
  type LazyOcrPool,
  lazyOcrPool,
  loadFaceEngine,
  type MrzReading,
  moireAnalysis,
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

/** What the portrait stage hands back (it may run on another thread than the other stages). */
export interface PortraitStage {
  portrait: PortraitResult;
  /** The face engine's model versions, `name@version,…`. */
  inferenceApi: string;
}

/** What the reading stage hands back: the MRZ (when asked for), both forensic measures, the OCR's version. */
export interface ReadingStage {
  mrz: MrzReading | null;
  ela: ElaResult;
  moire: ForensicResult;
  ocrVersion: string | null;
}

/**
 * Decodes the image once (refusing bytes that are not one whole JPEG/PNG/WebP before any engine
 * runs): every stage below reads this raster, whose pixels live in shared memory.
 */
export function decodeDocument(image: Uint8Array): Promise<DocumentRaster> {
  return decodeDocumentRaster(image);
}

/** The face stage: the best face of the document (face-api's SSD, as biometry and liveness match it). */
export async function detectDocumentPortrait(raster: DocumentRaster): Promise<PortraitStage> {
  const engine = await loadFaceEngine();
  const faces = await engine.detect(raster, { minConfidence: 0.5 });
  const best = faces[0];
  const inferenceApi = Object.entries(engine.modelVersions)
    .map(([name, version]) => `${name}@${version}`)
    .join(',');
  if (!best) return { portrait: { found: false, confidence: null, descriptor: null }, inferenceApi };
  return {
    portrait: { found: true, confidence: best.score, descriptor: Array.from(best.descriptor), box: best.box },
    inferenceApi,
  };
}

/**
 * The OCR and forensic stages, together: while Tesseract reads the MRZ in its own thread, ELA and
 * the moiré FFT use this one.
 */
export async function readDocument(
  raster: DocumentRaster,
  readMrzToo: boolean,
  ocr: LazyOcrPool,
  ocrBudgetMs?: number,
): Promise<ReadingStage> {
  const [ela, moire, reading] = await Promise.all([
    errorLevelAnalysis(raster),
    moireAnalysis(raster),
    readMrzToo
      ? ocr.get().then(async (pool) => ({
          mrz: await readMrz(pool, raster, { ocrBudgetMs }),
          version: pool.version,
        }))
      : Promise.resolve(null),
  ]);
  return {
    mrz: reading?.mrz ?? null,
    ela,
    moire,
    ocrVersion: reading ? `tesseract.js ${reading.version}` : null,
  };
}

const BASE_VERSIONS: Record<string, string> = {
  documentApi: ANALYZER_MODEL_ID,
  ela: 'ela-jpeg90-block16+portrait-contrast/2',
  moire: 'moire-fft256-hann/1',
};

/** The analysis from its stages: the ELA localised to the portrait when one was found. */
export function assembleAnalysis(
  reading: ReadingStage,
  portraitStage: PortraitStage | null,
): DocumentAnalysis {
  const globalEla = reading.ela;
  const portrait = portraitStage?.portrait ?? null;
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
  const versions = { ...BASE_VERSIONS };
  if (reading.ocrVersion) versions.ocr = reading.ocrVersion;
  if (portraitStage) versions.inferenceApi = portraitStage.inferenceApi;
  const moire: ForensicScore = {
    score: reading.moire.score,
    heatmap: reading.moire.heatmap,
    details: reading.moire.details,
  };
  return { mrz: reading.mrz, ela, moire, portrait, modelVersions: versions };
}

/**
 * The real analyzer in this thread: Tesseract MRZ OCR + check digits, ELA, moiré FFT and face-api
 * portrait detection over one decode. kyc runs it on vision's worker threads through
 * `createThreadedDocumentAnalyzer`, which spreads the stages over the threads.
 */
export function createVisionDocumentAnalyzer(options: {
  ocrWorkers: number;
  ocrBudgetMs?: number;
}): DocumentAnalyzer {
  const ocr = lazyOcrPool({ size: options.ocrWorkers });
  return {
    async analyze(image, analyzeOptions) {
      const raster = await decodeDocument(image);
      const [reading, portrait] = await Promise.all([
        readDocument(raster, analyzeOptions.readMrz, ocr, options.ocrBudgetMs),
        analyzeOptions.detectPortrait ? detectDocumentPortrait(raster) : Promise.resolve(null),
      ]);
      return assembleAnalysis(reading, portrait);
    },
    close: () => ocr.close(),
  };
}
