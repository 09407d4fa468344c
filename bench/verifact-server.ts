// The verifact service as `trustplane start verifact` runs it, in its own process (so the
// benchmark reads this process's RSS and its reader children alone). Makes a tenant and an
// admin key, starts the reader processes, and prints one JSON line: { port, pid, key }.
import type { AddressInfo } from 'node:net';
import { loadPlatformConfig, runServices } from '@trustplane/kernel';
import { verifactDeps, verifactService } from '../services/verifact/src/index.js';

const config = loadPlatformConfig(process.env);
const running = await runServices([verifactService], {
  config: { ...config, host: '127.0.0.1' },
  env: { ...process.env, VERIFACT_PORT: '0' },
  listen: true,
  workers: false,
});
const service = running.services[0]!;
const command = (path: string) => verifactService.commands!.find((entry) => entry.path.join(' ') === path)!;
await command('tenant create').run(service.context, { code: 'BENCH', name: 'Bench Insurance', json: true });
const minted = await command('key create').run(service.context, {
  tenant: 'BENCH',
  scopes: 'admin',
  dailyLimit: '10000000',
  json: true,
});
await verifactDeps(service.context).pool.warm();
const port = (service.http!.server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ port, pid: process.pid, key: minted.key })}\n`);
process.on('SIGTERM', () => {
  running.stop().finally(() => process.exit(0));
});
