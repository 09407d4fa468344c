import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the Stripe SDK made: method, path (with query) and its form fields, flattened. */
export interface StripeCall {
  method: string;
  path: string;
  form: Record<string, string>;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
}

/**
 * A local stand-in for the few Stripe API endpoints backlex calls (the SDK is pointed at it with
 * `host`/`port`/`protocol`): Checkout Sessions, PaymentIntents (retrieve with the card expanded,
 * off-session create that succeeds or is declined), Billing Portal sessions.
 */
export async function startStripeStub() {
  const calls: StripeCall[] = [];
  let sequence = 0;
  let declineCharges = false;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const url = new URL(request.url ?? '/', 'http://stub');
    calls.push({
      method: request.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      form,
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      authorization: request.headers.authorization,
    });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++sequence}` });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const id = `cs_test_${++sequence}`;
      return send(200, {
        id,
        object: 'checkout.session',
        mode: form.mode,
        url: `https://checkout.stripe.com/c/pay/${id}`,
        metadata: { checkoutId: form['metadata[checkoutId]'], orgId: form['metadata[orgId]'] },
      });
    }
    const intent = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && intent) {
      return send(200, {
        id: intent[1],
        object: 'payment_intent',
        status: 'succeeded',
        payment_method: {
          id: 'pm_card_visa',
          object: 'payment_method',
          card: { brand: 'visa', last4: '4242' },
        },
      });
    }
    if (request.method === 'POST' && url.pathname === '/v1/payment_intents') {
      if (declineCharges)
        return send(402, {
          error: {
            type: 'card_error',
            code: 'card_declined',
            decline_code: 'generic_decline',
            message: 'Your card was declined.',
          },
        });
      return send(200, {
        id: `pi_${++sequence}`,
        object: 'payment_intent',
        status: 'succeeded',
        amount: Number(form.amount),
      });
    }
    if (request.method === 'POST' && url.pathname === '/v1/billing_portal/sessions') {
      return send(200, {
        id: `bps_${++sequence}`,
        object: 'billing_portal.session',
        url: 'https://billing.stripe.com/p/session/test_portal',
      });
    }
    send(404, {
      error: { type: 'invalid_request_error', message: `stub has no ${request.method} ${url.pathname}` },
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    declineCharges(value: boolean) {
      declineCharges = value;
    },
    async stop() {
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
}
