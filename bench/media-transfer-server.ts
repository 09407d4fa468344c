// The media service as `trustplane start media` runs it, in its own process (so the benchmark can
// read this process's RSS and CPU alone), plus a stand-in for account's JWKS endpoint. The log
// level comes from LOG_LEVEL (the parent sends stdout, the log stream, to a file). Prints one JSON
// line on fd 3: { port, pid, token, objectsDir }; then GC counts on SIGUSR2.
import { writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { generateSigningKey, JwtKeyRing, loadPlatformConfig, runServices } from '@trustplane/kernel';
import { createMediaService } from '../services/media/src/index.js';
import { reportGcOnSignal } from './support/gc-counter.js';

reportGcOnSignal();

const key = await generateSigningKey({ alg: 'RS256' });
const ring = new JwtKeyRing({ active: key });
const keyServer = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(ring.jwks()));
});
await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
const keyPort = (keyServer.address() as AddressInfo).port;

const config = loadPlatformConfig(process.env);
const running = await runServices(
  [createMediaService({ accountServiceUrl: `http://127.0.0.1:${keyPort}`, jwtIssuer: 'bench' })],
  {
    config: { ...config, host: '127.0.0.1' },
    env: { ...process.env, MEDIA_PORT: '0' },
    listen: true,
    workers: false,
  },
);
const token = await ring.sign(
  { org_id: 'bench-org', permissions: ['*'], token_use: 'access' },
  { issuer: 'bench', subject: 'bench-user', expiresInSeconds: 3600 },
);
const port = (running.services[0]!.http!.server.address() as AddressInfo).port;
// Where the local store keeps media's blobs: the bare server streams the very same file.
const objectsDir = path.join(config.dataDir, 'objects', 'media');
writeSync(3, `${JSON.stringify({ port, pid: process.pid, token, objectsDir })}\n`);
process.on('SIGTERM', () => {
  running.stop().finally(() => process.exit(0));
});
