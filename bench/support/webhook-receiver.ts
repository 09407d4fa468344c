// Child process for bench/webhooks.ts: the local receiver both senders POST to. It checks every
// request's signature (`X-Trustplane-Signature`, v1) and counts the requests of each round
// (`X-Bench-Round`); when a round has all it was told to expect, it tells the parent. Answers 204.
import http from 'node:http';
import { verifyWebhookSignature } from '@trustplane/kernel';

const secret = process.argv[2] as string;
const expected = new Map<string, number>();
const received = new Map<string, number>();
let badSignatures = 0;

process.on('message', (message: { expect?: { round: string; count: number }; cpu?: boolean }) => {
  if (message.expect) expected.set(message.expect.round, message.expect.count);
  if (message.cpu) {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system, badSignatures });
  }
});

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = request.headers['x-trustplane-signature'];
    if (!verifyWebhookSignature(secret, body, typeof signature === 'string' ? signature : undefined)) {
      badSignatures += 1;
      response.writeHead(401).end();
      return;
    }
    response.writeHead(204).end();
    const round = String(request.headers['x-bench-round']);
    const count = (received.get(round) ?? 0) + 1;
    received.set(round, count);
    if (count === expected.get(round)) process.send?.({ done: round });
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => process.exit(0));
