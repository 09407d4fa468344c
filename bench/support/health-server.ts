// Child process for bench/kernel.ts: serves one health route, either through the whole
// platform stack (`default`, `silent`: LOG_LEVEL is set by the parent) or on a bare Fastify
// instance (`bare`), and sends its port to the parent.
import { mediaService } from '@trustplane/media';
import { bootService } from '@trustplane/kernel/testkit';
import Fastify from 'fastify';

const mode = process.argv[2];
// The parent asks for this process's CPU time around each measurement: CPU per request holds up
// on a machine other work keeps busy, where requests/s alone swings with the load.
process.on('message', (message) => {
  if ((message as { cpu?: boolean }).cpu) {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
});
const portOf = (address: ReturnType<import('node:net').Server['address']>) =>
  typeof address === 'object' && address ? address.port : 0;
if (mode === 'bare') {
  const app = Fastify();
  app.get('/health', async () => ({ status: 'healthy', service: 'media-service' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: portOf(app.server.address()) });
  process.on('SIGTERM', () => {
    app.close().then(() => process.exit(0));
  });
} else {
  const booted = await bootService(mediaService);
  await booted.app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: portOf(booted.app.server.address()) });
  process.on('SIGTERM', () => {
    booted.close().then(() => process.exit(0));
  });
}
