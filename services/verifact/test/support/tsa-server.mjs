// An RFC 3161 time-stamping authority for tests: each POSTed TimeStampReq is answered by
// `openssl ts -reply` with the certificate and key in the directory given as argv[2]. Runs in
// its own process because c2pa-node signs synchronously (the test process's event loop is
// blocked while c2pa-rs waits for the token). Prints its port once listening.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const dir = process.argv[2];
const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    const name = randomBytes(6).toString('hex');
    const query = path.join(dir, `${name}.tsq`);
    const reply = path.join(dir, `${name}.tsr`);
    await fs.writeFile(query, Buffer.concat(chunks));
    execFile(
      'openssl',
      [
        'ts',
        '-reply',
        '-config',
        'ts.cnf',
        '-queryfile',
        query,
        '-signer',
        'tsa.crt',
        '-inkey',
        'tsa.key',
        '-chain',
        'ca.crt',
        '-out',
        reply,
      ],
      { cwd: dir },
      async (error) => {
        if (error) {
          response.writeHead(500).end(String(error.message));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/timestamp-reply' });
        response.end(await fs.readFile(reply));
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('disconnect', () => process.exit(0));
