import net from 'node:net';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Runs `check` bounded by `timeoutMs`: whether it succeeded and how long it took. Never throws. */
export async function probe(check: () => Promise<unknown>, timeoutMs = 2000): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens (and closes) a TCP connection to the broker of an `amqp(s)://` URL: enough to tell a
 * dead broker from a live one without a session of its own. Never throws.
 */
export function probeAmqp(url: string, timeoutMs = 2000): Promise<ProbeResult> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672));
  return probe(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: parsed.hostname, port });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', (error) => {
          socket.destroy();
          reject(error);
        });
        // The probe's deadline gives up on the socket too.
        setTimeout(() => socket.destroy(), timeoutMs).unref();
      }),
    timeoutMs,
  );
}
