import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import pino from 'pino';
import { createHttpApp } from '../src/http/create-http-app.js';
import {
  catalogueEntries,
  defineErrorCatalogue,
  defineErrorRenderer,
  kernelError,
} from '../src/http/error-catalogue.js';
import { ServiceError } from '../src/http/errors.js';
import {
  checkErrorCatalogue,
  checkServiceErrors,
  markdownErrorTable,
  openApiErrorCodes,
} from '../src/testkit/error-catalogue-check.js';

const errors = defineErrorCatalogue({
  BAD_INPUT: { status: 400, message: 'The request is not valid' },
  HEADER_MISSING: { status: 400, code: 4000, message: 'A header is missing' },
  TOO_BIG: {
    status: 413,
    describe: (limit: number) => ({ message: `Over ${limit} bytes`, details: { limit } }),
  },
  GONE: { status: 404, message: 'Not here' },
  BUSY: { status: 503, message: 'Busy', code: 'UNAVAILABLE' },
  BROKEN: { status: 500, message: 'Internal server error' },
});

const renderer = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    validation: {
      names: ['BAD_INPUT', 'HEADER_MISSING'],
      pick: (error) =>
        error.issues.every((issue) => issue.location === 'headers') ? 'HEADER_MISSING' : 'BAD_INPUT',
    },
    malformed_json: 'BAD_INPUT',
    body_too_large: 'BAD_INPUT',
    unsupported_media_type: 'BAD_INPUT',
    not_found: 'GONE',
    bad_url: 'BAD_INPUT',
    uri_too_long: 'BAD_INPUT',
    request_timeout: 'BAD_INPUT',
    headers_too_large: 'BAD_INPUT',
    client: 'BAD_INPUT',
    database_unavailable: 'BUSY',
    internal: 'BROKEN',
  },
  body: ({ code, message, details }) => ({ code, message, ...details }),
});

describe('defineErrorCatalogue', () => {
  test('a factory takes its status from the catalogue, a message from the caller or the catalogue', () => {
    const plain = errors.BAD_INPUT();
    assert.ok(plain instanceof ServiceError);
    assert.deepEqual(
      [plain.statusCode, plain.code, plain.message],
      [400, 'BAD_INPUT', 'The request is not valid'],
    );
    assert.equal(errors.BAD_INPUT('name: too short').message, 'name: too short');
    const withHeaders = errors.BAD_INPUT({ details: { field: 'name' }, headers: { 'retry-after': '1' } });
    assert.deepEqual(
      [withHeaders.message, withHeaders.details, withHeaders.headers],
      ['The request is not valid', { field: 'name' }, { 'retry-after': '1' }],
    );
    const described = errors.TOO_BIG(10);
    assert.deepEqual(
      [described.statusCode, described.message, described.details],
      [413, 'Over 10 bytes', { limit: 10 }],
    );
  });

  test('entries are listed with their status and wire code', () => {
    const header = errors.HEADER_MISSING();
    // The error carries the code its envelope shows, and the entry it came from.
    assert.deepEqual([header.code, header.entry], ['4000', 'HEADER_MISSING']);
    const entries = catalogueEntries(errors);
    assert.deepEqual(entries.get('HEADER_MISSING'), { name: 'HEADER_MISSING', status: 400, code: 4000 });
    assert.deepEqual(entries.get('GONE'), { name: 'GONE', status: 404, code: 'GONE' });
  });

  test('a status that is not an error status is refused at definition', () => {
    assert.throws(
      () => defineErrorCatalogue({ OK: { status: 200, message: 'fine' } }),
      /not an error status/,
    );
  });

  test('a kind mapped to a name outside the catalogue is refused at definition', () => {
    assert.throws(
      () =>
        defineErrorRenderer({
          catalogue: errors,
          kinds: { ...renderer.kinds, not_found: 'MISSING' as 'GONE' },
          body: () => ({}),
        }),
      /not_found maps to MISSING/,
    );
  });
});

describe('entries that answer the kernel’s failures', () => {
  const definitions = {
    INVALID: { status: 422, message: 'Invalid', answers: ['validation', 'malformed_json', 'client'] },
    TOO_LONG: kernelError('uri_too_long'),
    PAGE_GONE: kernelError('not_found', { code: 'page_gone', message: 'No such page' }),
    TOO_BIG: kernelError('body_too_large', { status: 400 }),
    ODD_TYPE: kernelError('unsupported_media_type'),
    BAD_URL: kernelError('bad_url'),
    SLOW: kernelError('request_timeout'),
    HEADERS: kernelError('headers_too_large'),
    DOWN: kernelError('database_unavailable'),
    BROKEN: kernelError('internal'),
  } as const;
  const answering = defineErrorCatalogue(definitions);

  test("kernelError takes the kernel's status and message for its kind; the service may set its own", () => {
    assert.deepEqual(
      [...catalogueEntries(answering).values()].map(({ name, status, code, answers }) => [
        name,
        status,
        code,
        answers,
      ]),
      [
        ['INVALID', 422, 'INVALID', ['validation', 'malformed_json', 'client']],
        ['TOO_LONG', 414, 'TOO_LONG', ['uri_too_long']],
        ['PAGE_GONE', 404, 'page_gone', ['not_found']],
        ['TOO_BIG', 400, 'TOO_BIG', ['body_too_large']],
        ['ODD_TYPE', 415, 'ODD_TYPE', ['unsupported_media_type']],
        ['BAD_URL', 400, 'BAD_URL', ['bad_url']],
        ['SLOW', 408, 'SLOW', ['request_timeout']],
        ['HEADERS', 431, 'HEADERS', ['headers_too_large']],
        ['DOWN', 503, 'DOWN', ['database_unavailable']],
        ['BROKEN', 500, 'BROKEN', ['internal']],
      ],
    );
    assert.equal(answering.TOO_LONG().message, 'A path parameter is too long');
    assert.equal(answering.PAGE_GONE().message, 'No such page');
  });

  test('the renderer sends each kind to the entry that answers it, and maps only the rest', () => {
    const render = defineErrorRenderer({ catalogue: answering, body: ({ code }) => ({ code }) });
    assert.equal(render.kinds.uri_too_long, 'TOO_LONG');
    assert.equal(render.kinds.client, 'INVALID');
    const rendered = render({ kind: 'not_found', statusCode: 404, message: 'Route not found' }, {} as never);
    assert.deepEqual(rendered, { statusCode: 404, body: { code: 'page_gone' } });
  });

  test('a kind answered twice, mapped again, or not answered at all is refused at definition', () => {
    const twice = defineErrorCatalogue({ ...definitions, AGAIN: kernelError('internal') });
    assert.throws(
      () => defineErrorRenderer({ catalogue: twice, body: () => ({}) }),
      /kind internal is answered by both BROKEN and AGAIN/,
    );
    assert.throws(
      () => defineErrorRenderer({ catalogue: answering, kinds: { internal: 'DOWN' }, body: () => ({}) }),
      /kind internal is answered by BROKEN; the renderer maps it again/,
    );
    const partial = defineErrorCatalogue({ ONLY: kernelError('internal') });
    assert.throws(
      () => defineErrorRenderer({ catalogue: partial, body: () => ({}) }),
      /no catalogue entry answers validation, malformed_json, body_too_large/,
    );
  });
});

describe('defineErrorRenderer in an app', () => {
  test('service errors, kernel kinds and stray codes all leave with the catalogue status and code', async () => {
    const logged: string[] = [];
    const logger = pino(
      { level: 'error' },
      {
        write: (line: string) => {
          logged.push(line);
        },
      },
    );
    const app = await createHttpApp({
      service: 't',
      title: 't',
      version: '0',
      logger,
      renderError: renderer,
      docs: false,
    });
    app.get('/big', async () => {
      throw errors.TOO_BIG(5);
    });
    // A status the catalogue does not give this code is not what is sent.
    app.get('/lying', async () => {
      throw new ServiceError(418, 'GONE', 'Not here');
    });
    app.get('/stray', async () => {
      throw new ServiceError(409, 'MADE_UP', 'Invented on the spot');
    });
    const big = await app.inject({ method: 'GET', url: '/big' });
    assert.deepEqual(
      [big.statusCode, big.json()],
      [413, { code: 'TOO_BIG', message: 'Over 5 bytes', limit: 5 }],
    );
    const lying = await app.inject({ method: 'GET', url: '/lying' });
    assert.deepEqual([lying.statusCode, lying.json().code], [404, 'GONE']);
    const stray = await app.inject({ method: 'GET', url: '/stray' });
    assert.deepEqual(
      [stray.statusCode, stray.json()],
      [500, { code: 'BROKEN', message: 'Internal server error' }],
    );
    assert.ok(logged.some((line) => line.includes('error MADE_UP is not in the service catalogue')));
    const unknown = await app.inject({ method: 'GET', url: '/nowhere' });
    assert.deepEqual([unknown.statusCode, unknown.json().code], [404, 'GONE']);
    await app.close();
  });
});

describe('checkErrorCatalogue', () => {
  const sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalogue-check-'));
  fs.writeFileSync(
    path.join(sourceDir, 'routes.ts'),
    'throw errors.TOO_BIG(limit);\nif (!header) throw errors.HEADER_MISSING();\n',
  );
  const readme = (rows: string) =>
    markdownErrorTable(`| code | status | when |\n| --- | --- | --- |\n${rows}`, 'README', true);
  const fullReadme = [
    '| `BAD_INPUT` | 400 | |',
    '| `4000` | 400 | |',
    '| `TOO_BIG` | 413 | |',
    '| `GONE` | 404 | |',
    '| `UNAVAILABLE` | 503 | |',
    '| `BROKEN` | 500 | |',
  ].join('\n');

  test('a catalogue raised or mapped everywhere and documented both ways passes', () => {
    assert.deepEqual(checkErrorCatalogue({ renderer, sourceDir, documented: [readme(fullReadme)] }), []);
  });

  test("checkServiceErrors reads a service package's src/ and README table (and stale rows fail it)", () => {
    const packageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-errors-'));
    fs.cpSync(sourceDir, path.join(packageDir, 'src'), { recursive: true });
    const write = (rows: string) =>
      fs.writeFileSync(
        path.join(packageDir, 'README.md'),
        `# t\n\n## Errors\n\n| code | status | when |\n| --- | --- | --- |\n${rows}\n`,
      );
    const service = { name: 't' };
    const check = () =>
      checkServiceErrors(service, { renderer, packageDir: pathToFileURL(`${packageDir}/`) });
    write(fullReadme);
    assert.deepEqual(check(), []);
    write(`${fullReadme}\n| \`STALE\` | 418 | |`);
    assert.deepEqual(check(), [
      'README "## Errors" lists STALE, which is neither sent nor in unused',
      'README "## Errors" lists status 418, which no entry has and unusedStatuses does not explain',
    ]);
    fs.rmSync(packageDir, { recursive: true, force: true });
  });

  test('each disagreement is named', () => {
    const seed = openApiErrorCodes(
      {
        paths: {
          '/items': {
            post: {
              responses: {
                '400': { description: 'Bad (`BAD_INPUT`)' },
                '409': { $ref: '#/components/responses/Conflict' },
              },
            },
          },
        },
        components: {
          responses: {
            Conflict: {
              description: 'Taken',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ConflictError' } } },
            },
          },
          schemas: {
            ConflictError: {
              allOf: [
                { type: 'object', properties: { error: { type: 'string', example: 'GONE' } } },
                { properties: { error: { enum: ['TAKEN', 'TOO_BIG'] } } },
              ],
            },
          },
        },
      },
      ['error'],
    );
    assert.deepEqual(
      seed.codes,
      new Map([
        ['BAD_INPUT', new Set([400])],
        ['GONE', new Set()],
        ['TAKEN', new Set([409])],
        ['TOO_BIG', new Set([409])],
      ]),
    );
    const withoutBusy = fullReadme.replace('| `UNAVAILABLE` | 503 | |', '| `STALE` | 418 | |');
    const problems = checkErrorCatalogue({
      renderer,
      sourceDir,
      documented: [seed, readme(withoutBusy)],
      unused: { NEVER_LISTED: 'a reason' },
    });
    assert.deepEqual(
      problems.sort(),
      [
        'README lists STALE, which is neither sent nor in unused',
        'README lists status 418, which no entry has and unusedStatuses does not explain',
        'NEVER_LISTED is listed as unused but no document lists it',
        'TOO_BIG is sent with 413; seed lists TOO_BIG under 409',
        'UNAVAILABLE (503) is missing from README',
        'seed lists TAKEN, which is neither sent nor in unused',
        'seed lists status 409, which no entry has and unusedStatuses does not explain',
      ].sort(),
    );
  });

  test('an entry nobody raises, and a hand-built ServiceError, are found', () => {
    const lonely = defineErrorCatalogue({
      ...Object.fromEntries([]),
      NEVER: { status: 400, message: 'x' },
      BROKEN: { status: 500, message: 'x' },
    });
    const lonelyRenderer = defineErrorRenderer({
      catalogue: lonely,
      kinds: Object.fromEntries(
        Object.keys(renderer.kinds).map((kind) => [kind, 'BROKEN']),
      ) as typeof renderer.kinds as never,
      body: () => ({}),
    });
    fs.writeFileSync(path.join(sourceDir, 'bad.ts'), "throw new ServiceError(400, 'NEVER', 'x');\n");
    const problems = checkErrorCatalogue({ renderer: lonelyRenderer, sourceDir, documented: [] });
    fs.rmSync(path.join(sourceDir, 'bad.ts'));
    assert.deepEqual(problems, [
      'NEVER is never raised (no .NEVER( in the sources, no kind maps to it)',
      'the sources build a ServiceError outside the catalogue',
    ]);
  });
});
