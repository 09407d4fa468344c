// Boots verifact the way `trustplane start verifact` does (runServices, no workers), makes a tenant
// and an admin key, and prints one JSON line { port, pid, key, tenant }. Used by tests that kill
// this process with SIGKILL at a chosen moment, and by bench/verifact.ts (which reads this
// process's RSS and its reader children alone, so it warms the readers first).
//   VERIFACT_SERVER_TENANT       tenant code (default CRASH<pid>)
//   VERIFACT_SERVER_TENANT_NAME  its name (default Crash Insurance)
//   VERIFACT_SERVER_DAILY_LIMIT  the key's daily limit (default the service's)
//   VERIFACT_SERVER_WARM=1       start the reader processes before printing
import type { AddressInfo } from 'node:net';
import { loadPlatformConfig, runServices } from '@trustplane/kernel';
import { verifactDeps, verifactService } from '../../src/index.js';

const config = loadPlatformConfig(process.env);
const running = await runServices([verifactService], {
  config: { ...config, host: '127.0.0.1' },
  env: { ...process.env, VERIFACT_PORT: '0' },
  listen: true,
  workers: false,
});
const service = running.services[0]!;
const command = (path: string) => verifactService.commands!.find((entry) => entry.path.join(' ') === path)!;
const tenant = process.env.VERIFACT_SERVER_TENANT ?? `CRASH${process.pid}`;
const dailyLimit = process.env.VERIFACT_SERVER_DAILY_LIMIT;
await command('tenant create').run(service.context, {
  code: tenant,
  name: process.env.VERIFACT_SERVER_TENANT_NAME ?? 'Crash Insurance',
  json: true,
});
const minted = await command('key create').run(service.context, {
  tenant,
  scopes: 'admin',
  ...(dailyLimit ? { dailyLimit } : {}),
  json: true,
});
if (process.env.VERIFACT_SERVER_WARM === '1') await verifactDeps(service.context).pool.warm();
const port = (service.http!.server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ port, pid: process.pid, key: minted.key, tenant })}\n`);
process.on('SIGTERM', () => {
  running.stop().finally(() => process.exit(0));
});
