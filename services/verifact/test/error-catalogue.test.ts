import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { NormalizedHttpError } from '@trustplane/kernel';
import { seedPath } from '@trustplane/kernel/testkit';
import { errors, SEED_ERROR_CODES, VERIFACT_ERROR_STATUS, type VerifactErrorCode } from '../src/errors.js';
import { renderVerifactError } from '../src/http/errors.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

const SRC = new URL('../src/', import.meta.url);
const TESTS = new URL('./', import.meta.url);
const README = new URL('../README.md', import.meta.url);

/** Codes no test drives through the service, each with why. */
const NOT_DRIVEN: Partial<Record<VerifactErrorCode, string>> = {
  METHOD_NOT_ALLOWED:
    'the kernel routes an unknown method like an unknown path (404); kept for its renderer kind',
  REQUEST_TIMEOUT: "Node's request timeout (300 s); checked at the renderer here",
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

/** The README's extension table: `| \`CODE\` | status | when |`. */
function readmeExtensions(): Map<string, number> {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Error codes');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const table = new Map<string, number>();
  for (const match of section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) {
    assert.ok(!table.has(match[1] as string), `${match[1]} listed twice`);
    table.set(match[1] as string, Number(match[2]));
  }
  return table;
}

/** Codes the seed documents: `code` examples and enums anywhere in the document. */
function seedCodes(): Map<string, number> {
  const seed = JSON.parse(readFileSync(seedPath('verifact'), 'utf8'));
  const codes = new Map<string, number>();
  const walk = (node: unknown, status: number | undefined) => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, status);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'code' && typeof value === 'object' && value !== null) {
        const property = value as { example?: unknown; enum?: unknown[] };
        for (const code of [property.example, ...(property.enum ?? [])]) {
          if (typeof code === 'string') codes.set(code, status ?? 0);
        }
      }
      walk(value, /^\d{3}$/.test(key) ? Number(key) : status);
    }
  };
  walk(seed, undefined);
  // The example sits in the shared `Error` schema; the seed describes it under its 402 response.
  const capExceeded = seed.components.responses.CapExceeded.description as string;
  assert.match(capExceeded, /Monthly claim cap/);
  if (codes.has('MONTHLY_CLAIM_CAP_EXCEEDED')) codes.set('MONTHLY_CLAIM_CAP_EXCEEDED', 402);
  return codes;
}

/** Each `errors.<factory>` with the code it raises. */
function factoryCodes(): Map<string, VerifactErrorCode> {
  const out = new Map<string, VerifactErrorCode>();
  for (const [name, factory] of Object.entries(errors)) {
    const raised = (factory as (...args: unknown[]) => { code: string })('x', 1);
    out.set(name, raised.code as VerifactErrorCode);
  }
  return out;
}

/** Every normalized error the kernel can hand the renderer (one per kind, and the client statuses). */
const NORMALIZED: NormalizedHttpError[] = [
  { kind: 'validation', statusCode: 400, issues: [], message: 'm' },
  { kind: 'malformed_json', statusCode: 400, message: 'm' },
  { kind: 'body_too_large', statusCode: 413, message: 'm' },
  { kind: 'unsupported_media_type', statusCode: 415, message: 'm' },
  { kind: 'not_found', statusCode: 404, message: 'm' },
  { kind: 'method_not_allowed', statusCode: 405, message: 'm' },
  { kind: 'bad_url', statusCode: 400, message: 'm' },
  { kind: 'uri_too_long', statusCode: 414, message: 'm' },
  { kind: 'internal', statusCode: 500, message: 'm' },
  ...[400, 406, 408, 411, 413, 415, 416, 418, 431, 451].map(
    (statusCode) => ({ kind: 'client', statusCode, message: 'm' }) as const,
  ),
];

describe('the catalogue, the README and the seed', () => {
  test('every seed code is in the catalogue with the seed status; the README lists exactly the others', () => {
    const seed = seedCodes();
    assert.deepEqual([...seed.keys()].sort(), [...SEED_ERROR_CODES].sort());
    for (const [code, status] of seed) assert.equal(VERIFACT_ERROR_STATUS[code as VerifactErrorCode], status);
    const extensions = readmeExtensions();
    const catalogue = new Map(Object.entries(VERIFACT_ERROR_STATUS));
    for (const code of SEED_ERROR_CODES) catalogue.delete(code);
    assert.deepEqual(
      [...extensions].sort(([a], [b]) => a.localeCompare(b)),
      [...catalogue].sort(([a], [b]) => a.localeCompare(b)),
    );
  });

  test('the renderer only ever emits catalogue codes, with their catalogue status', () => {
    const emitted = new Set<string>();
    for (const error of NORMALIZED) {
      const { statusCode, body } = renderVerifactError(error, {} as never);
      const code = (body as { code: VerifactErrorCode }).code;
      assert.ok(code in VERIFACT_ERROR_STATUS, `${error.kind} ${error.statusCode} → ${code}`);
      assert.equal(statusCode, VERIFACT_ERROR_STATUS[code], code);
      emitted.add(code);
    }
    assert.equal(
      renderVerifactError({ kind: 'client', statusCode: 431, message: 'm' }, {} as never).statusCode,
      431,
    );
    // A service error with a code outside the catalogue cannot leak out under its own name.
    const stray = renderVerifactError(
      {
        kind: 'service',
        statusCode: 418,
        message: 'm',
        error: { code: 'SOMETHING_ELSE', details: {} } as never,
      },
      {} as never,
    );
    assert.deepEqual([stray.statusCode, (stray.body as { code: string }).code], [500, 'INTERNAL_ERROR']);
  });

  test('every catalogue code is raised somewhere in the source (a used factory or a renderer kind)', () => {
    const source = files(SRC)
      .filter((url) => url.pathname.endsWith('.ts') && !url.pathname.endsWith('/src/errors.ts'))
      .map((url) => readFileSync(url, 'utf8'))
      .join('\n');
    const reachable = new Set<string>();
    for (const [name, code] of factoryCodes()) {
      if (new RegExp(`\\berrors\\.${name}\\(`).test(source)) reachable.add(code);
    }
    for (const error of NORMALIZED) {
      reachable.add((renderVerifactError(error, {} as never).body as { code: string }).code);
    }
    const unreached = Object.keys(VERIFACT_ERROR_STATUS).filter((code) => !reachable.has(code));
    assert.deepEqual(unreached, []);
    const unusedFactories = [...factoryCodes().keys()].filter(
      (name) => !new RegExp(`\\berrors\\.${name}\\(`).test(source),
    );
    assert.deepEqual(unusedFactories, []);
  });

  test('every code is asserted by some test through the HTTP door, or listed here with why not', () => {
    const tests = files(TESTS)
      .filter(
        (url) => url.pathname.endsWith('.test.ts') && !url.pathname.endsWith('/error-catalogue.test.ts'),
      )
      .map((url) => readFileSync(url, 'utf8'))
      .join('\n');
    const undriven = Object.keys(VERIFACT_ERROR_STATUS).filter(
      (code) => !DRIVEN_HERE.includes(code as VerifactErrorCode) && !tests.includes(`'${code}'`),
    );
    assert.deepEqual(undriven.sort(), Object.keys(NOT_DRIVEN).sort());
  });
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
