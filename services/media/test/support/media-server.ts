// Boots the media service the way `trustplane start media` does (runServices, workers included: they
// sweep what a crash left) and prints its port as one JSON line. Used by the crash test, which kills
// this process with SIGKILL mid-upload.
import type { AddressInfo } from 'node:net';
import { loadPlatformConfig, runServices } from '@trustplane/kernel';
import { createMediaService } from '../../src/index.js';

const config = loadPlatformConfig(process.env);
const running = await runServices([createMediaService()], {
  config: { ...config, host: '127.0.0.1' },
  env: { ...process.env, MEDIA_PORT: '0' },
  listen: true,
  workers: true,
});
const address = running.services[0]!.http!.server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
