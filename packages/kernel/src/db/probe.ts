import type pg from 'pg';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** One `SELECT 1` bounded by `timeoutMs`, for health routes. Never throws. */
export async function probeDatabase(pool: pg.Pool, timeoutMs = 2000): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pool.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
