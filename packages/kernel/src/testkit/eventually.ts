import { setTimeout as sleep } from 'node:timers/promises';

/** What `eventually` keeps waiting on. */
type NotYet = undefined | null | false;

/**
 * Polls `probe` every `intervalMs` until it gives a value (anything but `undefined`, `null` or
 * `false`) and returns that value: how a test waits for work that completes asynchronously (a job,
 * a delivery, a callback). The deadline only keeps a broken test from hanging; it is never what a
 * test asserts (`what` names the wait in the failure).
 */
export async function eventually<T>(
  probe: () => T | NotYet | Promise<T | NotYet>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
