import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { accountService } from '../src/index.js';
import { bearer, Harness, testEnv } from './helpers.js';

// The auth hook recognises a keep-alive connection's last verified Authorization header by
// comparing it (src/http/principal.ts). These requests go over one real connection, the way an SDK
// or gateway sends them, to show that recognition never skips what must be checked per request.
testEnv();
let h: Harness;
let base: URL;
before(async () => {
  h = await Harness.boot();
  base = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
});
after(async () => h?.close());

/** One client connection: every request goes over the same keep-alive socket. */
function connection() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set<number>();
  const request = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const outgoing = http.request(
        { host: base.hostname, port: base.port, method, path, agent, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      outgoing.on('socket', (socket) => {
        const record = () => ports.add(socket.localPort ?? 0);
        if (socket.localPort) record();
        else socket.once('connect', record);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  return { request, ports, close: () => agent.destroy() };
}

const whoami = (client: ReturnType<typeof connection>, token: string) =>
  client.request('GET', '/api/v1/auth/whoami', bearer(token));

describe('a verified token on a keep-alive connection', () => {
  test('a logout revokes it for the very next request on the same connection', async () => {
    const user = await h.verifiedUser();
    const client = connection();
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await whoami(client, user.accessToken);
        assert.equal(answer.status, 200);
        assert.equal((answer.body.data as { account_id: string }).account_id, user.accountId);
      }
      const logout = await client.request('POST', '/api/v1/auth/logout', bearer(user.accessToken));
      assert.equal(logout.status, 200);
      const after = await whoami(client, user.accessToken);
      assert.equal(after.status, 401);
      assert.equal(after.body.code, 4003);
      assert.equal(client.ports.size, 1, 'every request went over one connection');
    } finally {
      client.close();
    }
  });

  test("another caller's token on the same connection is its own caller, and a bad one is refused", async () => {
    const first = await h.verifiedUser();
    const second = await h.verifiedUser();
    const client = connection();
    try {
      for (const [user, other] of [
        [first, second],
        [second, first],
        [first, second],
      ] as const) {
        const answer = await whoami(client, user.accessToken);
        assert.equal(answer.status, 200);
        assert.equal((answer.body.data as { account_id: string }).account_id, user.accountId);
        assert.notEqual((answer.body.data as { account_id: string }).account_id, other.accountId);
      }
      // The last verified header differs by one character: verified again, and refused.
      const flipped = first.accessToken.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${first.accessToken.slice(0, -2)}${flipped}${first.accessToken.slice(-1)}`;
      assert.equal((await whoami(client, tampered)).status, 401);
      assert.equal((await whoami(client, first.accessToken)).status, 200);
      assert.equal(client.ports.size, 1);
    } finally {
      client.close();
    }
  });

  test('a signing key revoked (rotate-key --revoke-previous) stops its tokens on the same connection', async () => {
    const user = await h.verifiedUser();
    const client = connection();
    try {
      assert.equal((await whoami(client, user.accessToken)).status, 200);
      const rotate = accountService.commands!.find((entry) => entry.path.join(' ') === 'rotate-key')!;
      await rotate.run(h.booted.context, { json: true, revokePrevious: true });
      // The running app learns of the rotation by NOTIFY: poll until it does (no timing asserted).
      let status = 200;
      for (let attempt = 0; attempt < 100 && status === 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await whoami(client, user.accessToken)).status;
      }
      assert.equal(status, 401);
      assert.equal(client.ports.size, 1);
    } finally {
      client.close();
    }
  });
});
