// Child process for bench/kernel.ts: serves one health route, either through the whole
// platform stack (`kernel`) or on a bare Fastify instance (`bare`), and prints its port.
import { mediaService } from '@trustplane/media';
import { bootService } from '@trustplane/kernel/testkit';
import Fastify from 'fastify';

const mode = process.argv[2];
if (mode === 'bare') {
  const app = Fastify();
  app.get('/health', async () => ({ status: 'healthy', service: 'media-service' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
} else {
  const booted = await bootService(mediaService);
  await booted.app.listen({ port: 0, host: '127.0.0.1' });
  const address = booted.app.server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
  process.on('SIGTERM', () => {
    booted.close().then(() => process.exit(0));
  });
}
