// Child process for bench/webhooks.ts and bench/backlex-webhooks.ts: the local receiver both senders
// POST to. It checks every request's signature (`X-Trustplane-Signature`, v1) against the secret of
// argv[2] or one added later (`{ addSecret }`, a webhook's secret known once it is created) and counts
// the requests of each round (`X-Bench-Round`, else the last segment of the path, for senders whose
// headers are fixed); when a round has all it was told to expect, it tells the parent. Answers 204.
import http from 'node:http';
import { verifyWebhookSignature } from '@trustplane/kernel';

const secrets = [process.argv[2] as string];
const expected = new Map<string, number>();
const received = new Map<string, number>();
let badSignatures = 0;

process.on(
  'message',
  (message: { expect?: { round: string; count: number }; cpu?: boolean; addSecret?: string }) => {
    if (message.addSecret) secrets.push(message.addSecret);
    if (message.expect) expected.set(message.expect.round, message.expect.count);
    if (message.cpu) {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system, badSignatures });
    }
  },
);

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = request.headers['x-trustplane-signature'];
    const header = typeof signature === 'string' ? signature : undefined;
    if (!secrets.some((secret) => verifyWebhookSignature(secret, body, header))) {
      badSignatures += 1;
      response.writeHead(401).end();
      return;
    }
    response.writeHead(204).end();
    const round = String(request.headers['x-bench-round'] ?? request.url?.split('/').pop());
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
