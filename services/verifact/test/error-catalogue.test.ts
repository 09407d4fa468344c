import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { catalogueEntries } from '@trustplane/kernel';
import { errors } from '../src/errors.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

/**
 * errors.test.ts checks the catalogue against the seed and the README (kernel checkErrorCatalogue);
 * this file checks that every code is also seen on the wire: asserted by some test through HTTP,
 * driven below, or listed with why not.
 */
const TESTS = new URL('./', import.meta.url);
const CODES = [...catalogueEntries(errors).values()].map((entry) => String(entry.code));
type VerifactErrorCode = string;

/** Codes no test drives through the service, each with why. */
const NOT_DRIVEN: Record<VerifactErrorCode, string> = {
  REQUEST_TIMEOUT: "Node's request timeout (300 s); the kernel's framework-error tests cover the kind",
  INTERNAL_ERROR: 'only a bug reaches it: nothing a client sends may produce a 500',
};

/** Codes this file drives through the service below. */
const DRIVEN_HERE: VerifactErrorCode[] = [
  'NOT_FOUND',
  'URI_TOO_LONG',
  'EMAIL_TAKEN',
  'UNPROCESSABLE',
  'NO_UPDATABLE_FIELDS',
  'INVALID_PHOTO',
  'ATTESTATION_NOT_PROVISIONED',
  'HEADERS_TOO_LARGE',
];

function files(dir: URL): URL[] {
  return readdirSync(dir).flatMap((name) => {
    const url = new URL(name, dir);
    return statSync(url).isDirectory() ? files(new URL(`${name}/`, dir)) : [url];
  });
}

test('every code is asserted by some test through the HTTP door, or listed here with why not', () => {
  const tests = files(TESTS)
    .filter((url) => url.pathname.endsWith('.test.ts') && !url.pathname.endsWith('/error-catalogue.test.ts'))
    .map((url) => readFileSync(url, 'utf8'))
    .join('\n');
  const undriven = CODES.filter((code) => !DRIVEN_HERE.includes(code) && !tests.includes(`'${code}'`));
  assert.deepEqual(undriven.sort(), Object.keys(NOT_DRIVEN).sort());
});

describe('codes no other test drives', () => {
  let h: Harness;
  let tenant: TestTenant;
  before(async () => {
    h = await Harness.boot();
    tenant = await h.tenant();
  });
  after(() => h?.close());

  const expectCode = async (
    request: Parameters<Harness['call']>[0],
    status: number,
    code: VerifactErrorCode,
  ) => {
    const response = await h.call(request);
    assert.deepEqual([response.statusCode, response.json().code], [status, code], response.body);
  };

  test('404, 414, 409, 422, 400s of users, photos and attestation 503', async () => {
    await expectCode(
      { method: 'GET', url: '/api/v1/nothing-here', key: tenant.admin, skipContract: true },
      404,
      'NOT_FOUND',
    );
    // A known path with a method it does not serve is routed like an unknown path (no 405).
    await expectCode(
      { method: 'GET', url: '/api/v1/verify', key: tenant.admin, skipContract: true },
      404,
      'NOT_FOUND',
    );
    await expectCode(
      { method: 'GET', url: `/api/v1/users/usr_${'a'.repeat(120)}`, key: tenant.admin, skipContract: true },
      414,
      'URI_TOO_LONG',
    );
    const payload = { email: `dup-${Date.now()}@example.com`, name: 'A', role: 'siu' };
    assert.equal(
      (await h.call({ method: 'POST', url: '/api/v1/users', key: tenant.admin, payload })).statusCode,
      201,
    );
    await expectCode(
      { method: 'POST', url: '/api/v1/users', key: tenant.admin, payload, skipContract: true },
      409,
      'EMAIL_TAKEN',
    );
    await expectCode(
      {
        method: 'POST',
        url: '/api/v1/users',
        key: tenant.admin,
        payload: { email: `s-${Date.now()}@example.com`, name: 'S', role: 'surveyor' },
        skipContract: true,
      },
      422,
      'UNPROCESSABLE',
    );
    const siu = await tenant.user('siu');
    await expectCode(
      { method: 'PATCH', url: `/api/v1/users/${siu}`, key: tenant.admin, payload: {}, skipContract: true },
      400,
      'NO_UPDATABLE_FIELDS',
    );
    await expectCode(
      {
        method: 'POST',
        url: '/api/v1/verify',
        key: tenant.admin,
        ...multipart([{ name: 'photo', value: Buffer.from('plain text, no image'), filename: 'a.jpg' }]),
      },
      400,
      'INVALID_PHOTO',
    );
    await expectCode(
      { method: 'GET', url: '/api/v1/attestation-key', skipContract: true },
      503,
      'ATTESTATION_NOT_PROVISIONED',
    );
  });

  test('431: oversized headers are refused by Node and still answered in the Error envelope', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as net.AddressInfo;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`GET /api/v1/plan HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    assert.deepEqual([body.code, typeof body.error], ['HEADERS_TOO_LARGE', 'string']);
  });
});
