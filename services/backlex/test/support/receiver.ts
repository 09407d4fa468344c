import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: unknown;
}

export interface Answer {
  status: number;
  body?: string;
}

/**
 * A local HTTP receiver standing in for a webhook endpoint or a vendor API: it records every
 * request and answers with what `answer` decides (per request, so a test can check a vendor's
 * wire format and answer 400 the way the vendor would). `down()` closes the port (connections
 * refused), `up()` listens again on the same port.
 */
export async function startReceiver(answer: (request: ReceivedRequest) => Answer = () => ({ status: 204 })) {
  const received: ReceivedRequest[] = [];
  let decide = answer;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const entry: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        json,
      };
      received.push(entry);
      const { status, body: responseBody } = decide(entry);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(responseBody ?? '');
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answerWith(next: (request: ReceivedRequest) => Answer) {
      decide = next;
    },
    async down() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    up: () => listen(port),
    async stop() {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
