import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  method: string;
  /** The request's path (and query). */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** How the receiver answers one request. */
export interface WebhookAnswer {
  status: number;
  body?: string;
}

export interface WebhookReceiver {
  /** Its `/hook` URL. */
  url: string;
  /** `http://127.0.0.1:<port>`, for other paths (one per case: `${origin}/hook/fresh`). */
  origin: string;
  /** Every request, in arrival order. */
  received: ReceivedWebhook[];
  /** Answers the next requests with what `answer` decides (a vendor's 400, a failing 500). */
  answerWith(answer: (request: ReceivedWebhook) => WebhookAnswer): void;
  /** Closes the port: connections are refused until `up()`. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint recording every request delivered to it (a webhook receiver, or a vendor
 * API standing in for Slack, GitHub…). It answers 204 unless `answer` (or `answerWith`) decides
 * per request; `down()`/`up()` take it away and bring it back on the same port.
 */
export async function startWebhookReceiver(
  answer: (request: ReceivedWebhook) => WebhookAnswer = () => ({ status: 204 }),
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
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
      const entry: ReceivedWebhook = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        json,
      };
      received.push(entry);
      const { status, body: answerBody } = decide(entry);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(answerBody ?? '');
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
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `${origin}/hook`,
    origin,
    received,
    answerWith(next) {
      decide = next;
    },
    down: stop,
    up: () => listen(port),
    close: stop,
  };
}
