// The baseline for bench/media-transfer.ts: a bare node:http server in its own process, written the
// way one would without a framework. POST writes the request body (the same multipart bytes the
// service receives) straight to a file and fsyncs it once, as the store does; GET streams the file
// named by `?file=` (the service's own stored blob, so both read the same bytes from the same page
// cache) with `fs.createReadStream`'s defaults. Prints one JSON line on fd 3: { port, pid }; then GC counts on SIGUSR2.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { reportGcOnSignal } from './support/gc-counter.js';

reportGcOnSignal();
const dir = process.env.BARE_DIR ?? process.cwd();
const uploadFile = path.join(dir, 'bare-upload.bin');
const server = http.createServer((request, response) => {
  (async () => {
    if (request.method === 'POST') {
      await pipeline(request, fs.createWriteStream(uploadFile));
      const handle = await fs.promises.open(uploadFile, 'r+');
      await handle.sync();
      await handle.close();
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    } else {
      const file = new URL(request.url ?? '/', 'http://bare').searchParams.get('file') ?? uploadFile;
      const { size } = await fs.promises.stat(file);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      await pipeline(fs.createReadStream(file), response);
    }
  })().catch(() => response.destroy());
});
server.listen(0, '127.0.0.1', () => {
  fs.writeSync(3, `${JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
