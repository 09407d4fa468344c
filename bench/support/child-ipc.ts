import type { ChildProcess } from 'node:child_process';

/** Sends `request` to a benchmark's child process and resolves with `field` of the first reply carrying it. */
export function askChild<T>(child: ChildProcess, request: object, field: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      const value = (message as Record<string, unknown>)[field];
      if (value === undefined) return;
      child.off('message', onMessage);
      resolve(value as T);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}
