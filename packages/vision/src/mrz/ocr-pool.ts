import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createWorker, OEM, PSM, type RecognizeResult, type Worker } from 'tesseract.js';
import { type CpuClock, processCpuClock, threadCpuClock } from './thread-cpu-clock.js';

const require = createRequire(import.meta.url);

export const MRZ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

/**
 * OCR budget of one image, in ms of CPU (`readMrz` shares it between its passes). A real MRZ band
 * takes a fraction of a second; an image built to make Tesseract segment endless blobs is cut off
 * here, its worker terminated and replaced.
 *
 * Measured as the CPU time of the recognition's own worker thread (`threadCpuClock`, from procfs;
 * the README's "Bounded OCR" says why not the process's or a wall clock): other requests' work in
 * the same process does not eat one image's budget, and unlike a wall-clock timeout it does not
 * cut real documents when the machine is overloaded and the worker gets a fraction of a core.
 * Where the thread's clock cannot be read (not Linux), the process's CPU time is used, which can
 * only cut earlier. Time waiting for a free worker is not counted.
 */
export const OCR_BUDGET_MS = 8000;
/** A recognition is also stopped after this many times its budget in wall-clock time (a starved process). */
export const OCR_WALL_CEILING_FACTOR = 10;
/** How often a running recognition's CPU time is checked against its budget. */
const OCR_BUDGET_POLL_MS = 100;

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

/**
 * A CPU budget (ms) shared by several recognitions (the passes over one image): each may run for
 * what is left, and what it used is taken off. Time queued for a worker does not count.
 */
export interface OcrBudget {
  remainingMs: number;
}

export interface RecognizeOptions {
  /** This recognition's budget; default a fresh one of the pool's `timeoutMs`. */
  budget?: OcrBudget;
}

/** What a pool has done since it started: the budget path is observable without timing anything. */
export interface OcrPoolStats {
  /** Recognitions that returned lines. */
  recognitions: number;
  /** Recognitions cut off by their budget (their worker was terminated). */
  timeouts: number;
  /** Workers started to replace a terminated one. */
  respawns: number;
  /**
   * What budgets are charged on: each worker thread's own CPU time (`thread`, Linux), or the
   * whole process's where the thread's clock cannot be read (`process`: the latest worker started).
   */
  cpuClock: 'thread' | 'process';
}

export interface OcrPool {
  readonly size: number;
  readonly version: string;
  /** Text lines of a (binarised) image, restricted to the MRZ alphabet. Rejects with `OcrTimeoutError` past its budget. */
  recognize(image: Buffer, options?: RecognizeOptions): Promise<OcrLine[]>;
  stats(): OcrPoolStats;
  close(): Promise<void>;
}

export interface OcrPoolOptions {
  /** Tesseract workers (threads) of this process. Default 1. */
  size?: number;
  /** Budget of a recognition given none (ms of CPU). Default `OCR_BUDGET_MS`. */
  budgetMs?: number;
}

/** A recognition ran past its budget: its worker was terminated (and is replaced for the next job). */
export class OcrTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`OCR stopped after ${timeoutMs} ms`);
    this.name = 'OcrTimeoutError';
  }
}

/** tesseract.js's worker script behind one message naming the worker's OS thread (see the file). */
const WORKER_SCRIPT = fileURLToPath(new URL('./ocr-worker-entry.cjs', import.meta.url));

/** A Tesseract worker thread and the clock its recognitions are charged on. */
interface OcrWorker {
  tesseract: Worker;
  /** This thread's own CPU time; `processCpuClock` where the thread's cannot be read. */
  cpu: CpuClock;
}

/** A Tesseract worker (legacy engine, which reads a binarised OCR-B MRZ best) with the English data of `@tesseract.js-data/eng`. */
async function startWorker(): Promise<OcrWorker> {
  const langPath: string = require('@tesseract.js-data/eng').langPath;
  let cpu: CpuClock | null = null;
  const tesseract = await createWorker(
    'eng',
    OEM.TESSERACT_ONLY,
    {
      langPath,
      workerPath: WORKER_SCRIPT,
      gzip: true,
      cacheMethod: 'none',
      legacyCore: true,
      legacyLang: true,
      // The entry script's first message (before any job's answer, so before this call resolves).
      logger: (message: { status: string; thread?: string | null }) => {
        if (message.status === 'trustplane:thread') cpu = threadCpuClock(message.thread ?? null);
      },
    },
    { load_system_dawg: '0', load_freq_dawg: '0' } as never,
  );
  try {
    await tesseract.setParameters({
      user_defined_dpi: '300',
      tessedit_char_whitelist: MRZ_ALPHABET,
      tessedit_pageseg_mode: PSM.SINGLE_BLOCK,
    });
  } catch (error) {
    await tesseract.terminate();
    throw error;
  }
  return { tesseract, cpu: (cpu as CpuClock | null) ?? processCpuClock };
}

function linesOf(result: RecognizeResult): OcrLine[] {
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
}

interface Job {
  image: Buffer;
  budget: OcrBudget;
  resolve(lines: OcrLine[]): void;
  reject(error: unknown): void;
}

/**
 * A pool of Tesseract workers (worker threads) with a per-recognition time budget: no network, no
 * cache files written. tesseract.js has no timeout or cancel for a running job; `terminate()` kills
 * the worker thread (and the WASM recognition in it), so a job past its budget is rejected with
 * `OcrTimeoutError`, its worker terminated, and a fresh worker started for the next job. Jobs wait
 * in one FIFO queue for a free worker.
 */
export async function createOcrPool(options: OcrPoolOptions = {}): Promise<OcrPool> {
  const size = Math.max(1, options.size ?? 1);
  const defaultTimeout = options.budgetMs ?? OCR_BUDGET_MS;
  const idle: OcrWorker[] = [];
  /** Running workers, with their job and its budget's timer (cleared and rejected on close). */
  const busy = new Map<OcrWorker, { job: Job; timer: NodeJS.Timeout; spent: () => number }>();
  const queue: Job[] = [];
  const stats: OcrPoolStats = { recognitions: 0, timeouts: 0, respawns: 0, cpuClock: 'thread' };
  const started = (worker: OcrWorker) => {
    stats.cpuClock = worker.cpu === processCpuClock ? 'process' : 'thread';
    return worker;
  };
  /** Workers being started to replace terminated ones. */
  let starting = 0;
  let closed = false;
  try {
    for (let index = 0; index < size; index += 1) idle.push(started(await startWorker()));
  } catch (error) {
    await Promise.all(idle.map((worker) => worker.tesseract.terminate()));
    throw error;
  }
  const version: string = require('tesseract.js/package.json').version;

  const replace = () => {
    if (closed) return;
    starting += 1;
    stats.respawns += 1;
    startWorker().then(
      (worker) => {
        starting -= 1;
        if (closed) return void worker.tesseract.terminate();
        idle.push(started(worker));
        dispatch();
      },
      (error) => {
        starting -= 1;
        // No worker could be started: the queued jobs would wait for ever.
        for (const job of queue.splice(0)) job.reject(error);
      },
    );
  };

  const run = (worker: OcrWorker, job: Job) => {
    let expire: (error: OcrTimeoutError) => void = () => {};
    const timeout = new Promise<never>((_, reject) => {
      expire = reject;
    });
    const allowed = Math.max(0, job.budget.remainingMs);
    // The worker thread's own CPU time: other threads' work (other requests) is not charged here.
    const cpuFrom = worker.cpu();
    const wallFrom = performance.now();
    const spent = () => worker.cpu() - cpuFrom;
    const check = () => {
      if (spent() >= allowed || performance.now() - wallFrom >= allowed * OCR_WALL_CEILING_FACTOR)
        expire(new OcrTimeoutError(allowed));
    };
    busy.set(worker, { job, timer: setInterval(check, OCR_BUDGET_POLL_MS), spent });
    check();
    Promise.race([worker.tesseract.recognize(job.image, {}, { blocks: true, text: true }), timeout]).then(
      (result) => {
        if (!settle(worker)) return;
        stats.recognitions += 1;
        idle.push(worker);
        job.resolve(linesOf(result));
        dispatch();
      },
      (error) => {
        if (!settle(worker)) return;
        if (error instanceof OcrTimeoutError) {
          stats.timeouts += 1;
          // tesseract.js cannot cancel a job: the thread is killed, and a new one serves the queue.
          void worker.tesseract.terminate();
          replace();
        } else idle.push(worker);
        job.reject(error);
        dispatch();
      },
    );
  };

  /** Frees a worker's slot and charges its budget; false when the pool was closed meanwhile (the job was already rejected). */
  const settle = (worker: OcrWorker) => {
    const running = busy.get(worker);
    if (!running) return false;
    clearInterval(running.timer);
    running.job.budget.remainingMs -= running.spent();
    busy.delete(worker);
    return true;
  };

  const dispatch = () => {
    while (!closed && idle.length && queue.length) run(idle.pop() as OcrWorker, queue.shift() as Job);
  };

  return {
    size,
    version,
    recognize(image, recognizeOptions = {}) {
      if (closed) return Promise.reject(new Error('OCR pool is closed'));
      return new Promise<OcrLine[]>((resolve, reject) => {
        const budget = recognizeOptions.budget ?? { remainingMs: defaultTimeout };
        queue.push({ image, budget, resolve, reject });
        if (!idle.length && !busy.size && !starting) replace();
        dispatch();
      });
    },
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('OCR pool is closed'));
      const running = [...busy];
      busy.clear();
      for (const [, { job, timer }] of running) {
        clearInterval(timer);
        job.reject(new Error('OCR pool is closed'));
      }
      await Promise.all(
        [...idle.splice(0), ...running.map(([worker]) => worker)].map((worker) =>
          worker.tesseract.terminate(),
        ),
      );
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
