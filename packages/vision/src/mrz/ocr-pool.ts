import { createRequire } from 'node:module';
import { createScheduler, createWorker, OEM, PSM, type Scheduler } from 'tesseract.js';

const require = createRequire(import.meta.url);

export const MRZ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

export interface OcrSymbol {
  text: string;
  confidence: number;
  /** Pixel box in the recognised image. */
  bbox?: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrLine {
  text: string;
  confidence: number;
  symbols: OcrSymbol[];
}

export interface OcrPool {
  readonly size: number;
  readonly version: string;
  /** Text lines of a (binarised) image, restricted to the MRZ alphabet. */
  recognize(image: Buffer): Promise<OcrLine[]>;
  close(): Promise<void>;
}

export interface OcrPoolOptions {
  /** Tesseract workers (threads) of this process. Default 1. */
  size?: number;
}

/**
 * A pool of Tesseract workers (legacy engine, which reads a binarised OCR-B MRZ best) with
 * the English data shipped in `@tesseract.js-data/eng`: no network, no cache files written.
 */
export async function createOcrPool(options: OcrPoolOptions = {}): Promise<OcrPool> {
  const size = Math.max(1, options.size ?? 1);
  const langPath: string = require('@tesseract.js-data/eng').langPath;
  const scheduler: Scheduler = createScheduler();
  try {
    for (let index = 0; index < size; index += 1) {
      const worker = await createWorker(
        'eng',
        OEM.TESSERACT_ONLY,
        {
          langPath,
          gzip: true,
          cacheMethod: 'none',
          legacyCore: true,
          legacyLang: true,
        },
        { load_system_dawg: '0', load_freq_dawg: '0' } as never,
      );
      await worker.setParameters({
        user_defined_dpi: '300',
        tessedit_char_whitelist: MRZ_ALPHABET,
        tessedit_pageseg_mode: PSM.SINGLE_BLOCK,
      });
      scheduler.addWorker(worker);
    }
  } catch (error) {
    await scheduler.terminate();
    throw error;
  }
  const version: string = require('tesseract.js/package.json').version;
  let closed = false;
  return {
    size,
    version,
    async recognize(image) {
      if (closed) throw new Error('OCR pool is closed');
      const result = await scheduler.addJob('recognize', image, {}, { blocks: true, text: true });
      const lines: OcrLine[] = [];
      for (const block of result.data.blocks ?? []) {
        for (const paragraph of block.paragraphs) {
          for (const line of paragraph.lines) {
            const symbols = line.words.flatMap((word) =>
              word.symbols.map((symbol) => ({
                text: symbol.text,
                confidence: symbol.confidence,
                bbox: symbol.bbox,
              })),
            );
            lines.push({
              text: symbols.map((symbol) => symbol.text).join(''),
              confidence: line.confidence,
              symbols,
            });
          }
        }
      }
      return lines;
    },
    async close() {
      if (closed) return;
      closed = true;
      await scheduler.terminate();
    },
  };
}

/** One process's OCR pool, started on first use and shared by every caller. */
export interface LazyOcrPool {
  /** The pool; a pool that failed to start is started again on the next call. */
  get(): Promise<OcrPool>;
  /** Terminates the pool if it was started; a later `get()` starts a new one. */
  close(): Promise<void>;
}

/** Tesseract workers take seconds and tens of MB to start: start them when the first document arrives, once. */
export function lazyOcrPool(options: OcrPoolOptions = {}): LazyOcrPool {
  let pool: Promise<OcrPool> | undefined;
  return {
    get() {
      pool ??= createOcrPool(options).catch((error) => {
        pool = undefined;
        throw error;
      });
      return pool;
    },
    async close() {
      const current = pool;
      pool = undefined;
      // A pool that never started has nothing to terminate.
      const started = await current?.catch(() => undefined);
      await started?.close();
    },
  };
}
