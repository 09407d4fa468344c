import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ServiceDefinition } from '@trustplane/kernel';
import { type BootedService, bootService, Contract } from '@trustplane/kernel/testkit';
import { loadServices } from '../src/services.js';

const allServices = await loadServices();

/**
 * Requests that fail inside Fastify's router or Node's HTTP parser, before any route runs, must
 * still answer in each service's own error envelope (never Fastify's `{statusCode, code: FST_…}`).
 */

type EnvelopeCheck = (statusCode: number, body: unknown) => string[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** For envelopes the seed does not describe (the service README documents them): required string fields. */
function requireStrings(value: unknown, fields: string[], where: string): string[] {
  if (!isRecord(value)) return [`${where} is not an object`];
  return fields
    .filter((field) => typeof value[field] !== 'string')
    .map((field) => `${where}.${field} is not a string`);
}

const contractOf = (name: string) =>
  Contract.forService(allServices.find((definition) => definition.name === name) as ServiceDefinition);

/** Each service's error envelope: from its seed where the seed describes one, else from its README. */
const ENVELOPES: Record<string, EnvelopeCheck> = {
  kyc: (_status, body) => contractOf('kyc').validateSchema('#/components/schemas/ApiError', body).errors,
  biometry: (status, body) =>
    status === 422
      ? contractOf('biometry').validateSchema('#/components/schemas/HTTPValidationError', body).errors
      : // FastAPI's HTTPException body, which the seed's framework renders for every other status.
        requireStrings(body, ['detail'], 'body'),
  verifact: (_status, body) =>
    contractOf('verifact').validateSchema('#/components/schemas/Error', body).errors,
  backlex: (_status, body) =>
    contractOf('backlex').validateSchema('#/components/schemas/AppError', body).errors,
  account: (status, body) => contractOf('account').validateFailureEnvelope(status, body).errors,
  // media and notification: the 004 sections document no error body; their READMEs do.
  media: (_status, body) =>
    isRecord(body)
      ? requireStrings(body.error, ['code', 'message', 'request_id'], 'body.error')
      : ['not an object'],
  notification: (_status, body) => requireStrings(body, ['error', 'message'], 'body'),
};

/** Statuses a service deliberately maps differently (account answers only the statuses of its seed's table). */
const STATUS_OVERRIDES: Record<string, Partial<Record<number, number>>> = {
  account: { 414: 400, 431: 400 },
};

function rawRequest(
  port: number,
  bytes: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = response.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

/** A documented route with a path parameter, taken from the service's own OpenAPI document. */
async function parametricRoute(booted: BootedService): Promise<{ method: string; path: string } | undefined> {
  const document = (await booted.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
    servers?: { url: string }[];
  };
  // Documented paths are relative to the server URL's path (backlex: `/api`).
  const serverUrl = document.servers?.[0]?.url;
  const base = serverUrl ? new URL(serverUrl, 'http://base.invalid').pathname.replace(/\/$/, '') : '';
  for (const [path, item] of Object.entries(document.paths)) {
    if (!/\{[^}]+\}/.test(path)) continue;
    const method = ['get', 'delete', 'post', 'put', 'patch'].find((candidate) => candidate in item);
    if (method) return { method: method.toUpperCase(), path: `${base}${path}` };
  }
  return undefined;
}

for (const definition of allServices) {
  const service = definition.name;
  const check = ENVELOPES[service];
  if (!check) throw new Error(`${service}: no envelope check`);
  const envelope: EnvelopeCheck = check;
  const expectStatus = (status: number) => STATUS_OVERRIDES[service]?.[status] ?? status;

  describe(`${service}: framework errors in the service's envelope`, () => {
    let booted: BootedService;
    let port: number;
    before(async () => {
      booted = await bootService(definition);
      await booted.app.listen({ port: 0, host: '127.0.0.1' });
      port = (booted.app.server.address() as net.AddressInfo).port;
    });
    after(async () => {
      await booted.close();
    });

    function assertEnvelope(
      statusCode: number,
      rawBody: string,
      headers: Record<string, unknown>,
      what: string,
    ) {
      assert.doesNotMatch(rawBody, /FST_ERR/, `${what}: Fastify's own body leaked`);
      const body = JSON.parse(rawBody) as unknown;
      assert.deepEqual(envelope(statusCode, body), [], `${what}: ${statusCode} ${rawBody}`);
      assert.match(String(headers['content-type']), /^application\/json/, what);
      assert.ok(headers['x-request-id'], `${what}: carries a request id`);
    }

    test('bad percent-encoding in the path is 400', async () => {
      const route = await parametricRoute(booted);
      const urls = ['/%E0%A4%A', '/api/%zz/x'];
      if (route) urls.push(route.path.replace(/\{[^}]+\}/, '%E0%A4%A'));
      for (const url of urls) {
        const response = await booted.app.inject({ method: route?.method ?? 'GET', url });
        assert.equal(response.statusCode, expectStatus(400), `${url}: ${response.body}`);
        assertEnvelope(response.statusCode, response.body, response.headers, url);
      }
    });

    test('an over-long path parameter is 414 (or a 404 where no route has a parameter)', async () => {
      const route = await parametricRoute(booted);
      const url = (route?.path ?? '/missing/{id}').replace(/\{[^}]+\}/, 'a'.repeat(300));
      const response = await booted.app.inject({ method: route?.method ?? 'GET', url });
      assert.equal(response.statusCode, route ? expectStatus(414) : 404, `${url}: ${response.body}`);
      assertEnvelope(response.statusCode, response.body, response.headers, url);
    });

    test('an unparseable Content-Type answers in the envelope', async () => {
      const document = (await booted.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
      const posts = Object.entries(document.paths).filter(
        ([path, item]) => 'post' in item && !path.includes('{'),
      );
      for (const [path] of posts.slice(0, 3)) {
        const response = await booted.app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': ';;;' },
          payload: '{}',
        });
        assert.ok(
          response.statusCode >= 400 && response.statusCode < 500,
          `${path}: ${response.statusCode} ${response.body}`,
        );
        assertEnvelope(response.statusCode, response.body, response.headers, `POST ${path}`);
      }
    });

    test('a request Node cannot parse, and oversized headers, answer in the envelope', async () => {
      const malformed = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      assert.equal(malformed.status, 400, malformed.body);
      assertEnvelope(malformed.status, malformed.body, malformed.headers, 'malformed header');
      const oversized = await rawRequest(
        port,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      assert.equal(oversized.status, expectStatus(431), oversized.body);
      assertEnvelope(oversized.status, oversized.body, oversized.headers, 'header overflow');
    });
  });
}
