// The transport ceiling for bench/media-transfer.ts: a bare node:http server in its own process that
// writes the request body straight to a file (fsync'd, like the store) and streams a file back.
// Prints one JSON line: { port, pid }.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.env.BARE_DIR ?? process.cwd();
const file = path.join(dir, 'bare.bin');
const server = http.createServer((request, response) => {
  (async () => {
    if (request.method === 'POST') {
      const out = fs.createWriteStream(file);
      await pipeline(request, out);
      const handle = await fs.promises.open(file, 'r+');
      await handle.sync();
      await handle.close();
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    } else {
      const { size } = await fs.promises.stat(file);
      response.writeHead(200, { 'content-length': String(size) });
      await pipeline(fs.createReadStream(file), response);
    }
  })().catch(() => response.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid })}\n`,
  );
});
