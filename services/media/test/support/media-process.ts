import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeScriptArgs } from '@trustplane/kernel/testkit';

const SERVER_SCRIPT = fileURLToPath(new URL('./media-server.ts', import.meta.url));

export interface MediaProcess {
  process: ChildProcess;
  port: number;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * The media service in its own process, booted like `trustplane start media`: for tests that
 * kill it, or whose requests might block its event loop (the test's own timers keep running).
 */
export async function startMediaProcess(env: Record<string, string>): Promise<MediaProcess> {
  const server = spawn(process.execPath, nodeScriptArgs(SERVER_SCRIPT), {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    server.once('exit', (code) => reject(new Error(`media server exited with ${code}`)));
  });
  return {
    process: server,
    port,
    async kill() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    },
  };
}
