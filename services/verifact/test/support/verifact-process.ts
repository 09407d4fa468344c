import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeScriptArgs } from '@trustplane/kernel/testkit';

const SERVER_SCRIPT = fileURLToPath(new URL('./verifact-server.ts', import.meta.url));

export interface VerifactProcess {
  process: ChildProcess;
  port: number;
  /** An admin key of the tenant the process made. */
  key: string;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
}

/** The verifact service in its own process (see `verifact-server.ts`), for tests that kill it. */
export async function startVerifactProcess(env: Record<string, string>): Promise<VerifactProcess> {
  const server = spawn(process.execPath, nodeScriptArgs(SERVER_SCRIPT), {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ port: number; key: string }>((resolve, reject) => {
    let buffer = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { port: number; key: string });
    });
    server.once('exit', (code) => reject(new Error(`verifact server exited with ${code}`)));
  });
  return {
    process: server,
    ...ready,
    async kill() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    },
  };
}
