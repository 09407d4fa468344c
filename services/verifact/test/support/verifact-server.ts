// Boots verifact the way `trustplane start verifact` does (runServices, no workers), makes a tenant
// and an admin key, and prints one JSON line { port, key, tenant }. Used by tests that kill this
// process with SIGKILL at a chosen moment.
import type { AddressInfo } from 'node:net';
import { loadPlatformConfig, runServices } from '@trustplane/kernel';
import { verifactService } from '../../src/index.js';

const config = loadPlatformConfig(process.env);
const running = await runServices([verifactService], {
  config: { ...config, host: '127.0.0.1' },
  env: { ...process.env, VERIFACT_PORT: '0' },
  listen: true,
  workers: false,
});
const service = running.services[0]!;
const command = (path: string) => verifactService.commands!.find((entry) => entry.path.join(' ') === path)!;
const tenant = `CRASH${process.pid}`;
await command('tenant create').run(service.context, { code: tenant, name: 'Crash Insurance', json: true });
const minted = await command('key create').run(service.context, { tenant, scopes: 'admin', json: true });
const port = (service.http!.server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ port, key: minted.key, tenant })}\n`);
