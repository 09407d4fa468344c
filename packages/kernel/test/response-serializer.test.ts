import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serializerCompiler as encodingSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import { isDirectionNeutral, responseSerializerCompiler } from '../src/http/response-serializer.js';
import { testHttpApp } from './support/test-http-app.js';

// The kernel's response serializer checks direction-neutral schemas with zod's `safeParse`
// instead of fastify-type-provider-zod's `safeEncode` (src/http/response-serializer.ts). For every
// schema, the bytes written and the failures must be the library's.

const route = (schema: unknown) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' }) as never;

/** What a serializer makes of `data`: its output, or the kind of error it threw. */
function outcome(serialize: (data: unknown) => string, data: unknown): string {
  try {
    return serialize(data);
  } catch (error) {
    return `threw ${(error as Error).constructor.name}`;
  }
}

const neutral: [string, $ZodType, unknown[]][] = [
  [
    'object of strings, numbers, enums, nullable and optional fields',
    z.object({
      id: z.uuid(),
      name: z.string().trim().max(10),
      size: z.number().int().nonnegative(),
      kind: z.enum(['a', 'b']),
      note: z.string().nullable(),
      extra: z.string().optional(),
      at: z.iso.datetime(),
    }),
    [
      {
        id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        name: '  padded ',
        size: 3,
        kind: 'a',
        note: null,
        at: '2026-01-01T00:00:00Z',
        unknownKey: 'dropped',
      },
      { id: 'nope', name: 'x', size: 1, kind: 'a', note: null, at: '2026-01-01T00:00:00Z' },
      { id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'x', size: -1, kind: 'c', note: 1, at: 'x' },
      null,
    ],
  ],
  [
    'arrays, records, tuples, unions, discriminated unions, literals, readonly',
    z.object({
      items: z.array(z.object({ id: z.string(), tags: z.array(z.string()) })),
      counts: z.record(z.string(), z.number()),
      pair: z.tuple([z.string(), z.number()]),
      either: z.union([z.string(), z.number()]),
      tagged: z.discriminatedUnion('type', [
        z.object({ type: z.literal('one'), a: z.string() }),
        z.object({ type: z.literal('two'), b: z.number() }),
      ]),
      fixed: z.literal('x').readonly(),
      both: z.intersection(z.object({ a: z.string() }), z.object({ b: z.string() })),
    }),
    [
      {
        items: [{ id: '1', tags: ['t'] }],
        counts: { a: 1 },
        pair: ['p', 2],
        either: 3,
        tagged: { type: 'two', b: 1 },
        fixed: 'x',
        both: { a: 'a', b: 'b', c: 'c' },
      },
      {
        items: [{ id: 1 }],
        counts: {},
        pair: ['p'],
        either: true,
        tagged: { type: 'three' },
        fixed: 'y',
        both: {},
      },
    ],
  ],
  ['a plain value', z.string().email(), ['a@b.co', 'not an email', 3]],
];

const directional: [string, $ZodType, unknown[]][] = [
  ['a default', z.object({ a: z.string().default('x') }), [{}, { a: 'y' }]],
  ['a transform', z.object({ a: z.string().transform((value) => value.length) }), [{ a: 'abc' }]],
  [
    'a codec',
    z.object({
      at: z.codec(z.iso.datetime(), z.date(), {
        decode: (text) => new Date(text),
        encode: (date) => date.toISOString(),
      }),
    }),
    [{ at: new Date('2026-01-01T00:00:00Z') }, { at: 'not a date' }],
  ],
  ['a catch', z.object({ a: z.number().catch(0) }), [{ a: 'x' }, { a: 2 }]],
  ['a pipe inside an array', z.array(z.string().pipe(z.string().min(1))), [['a'], ['']]],
];

describe('response serializer', () => {
  test('direction-neutral schemas: the same bytes and the same failures as safeEncode', () => {
    for (const [name, schema, values] of neutral) {
      assert.equal(isDirectionNeutral(schema), true, name);
      const fast = responseSerializerCompiler(route(schema)) as (data: unknown) => string;
      const library = encodingSerializerCompiler(route(schema)) as (data: unknown) => string;
      for (const value of values)
        assert.equal(outcome(fast, value), outcome(library, value), `${name}: ${JSON.stringify(value)}`);
    }
  });

  test('schemas that read differently in each direction are encoded, as the library does', () => {
    for (const [name, schema, values] of directional) {
      assert.equal(isDirectionNeutral(schema), false, name);
      const serialize = responseSerializerCompiler(route(schema)) as (data: unknown) => string;
      const library = encodingSerializerCompiler(route(schema)) as (data: unknown) => string;
      for (const value of values) assert.equal(outcome(serialize, value), outcome(library, value), name);
    }
    // Parsing would have filled the default in and answered; encoding refuses the missing field.
    const withDefault = responseSerializerCompiler(route(directional[0]![1])) as (data: unknown) => string;
    assert.equal(outcome(withDefault, {}), 'threw ResponseSerializationError');
  });

  test('through a route: unknown fields are dropped, a response that breaks its schema is a 500', async () => {
    const app = await testHttpApp();
    const schema = z.object({ id: z.string(), count: z.number() });
    app.get('/good', { schema: { response: { 200: schema } } }, async () => ({
      id: 'a',
      count: 1,
      secret: 's',
    }));
    app.get('/bad', { schema: { response: { 200: schema } } }, async () => ({ id: 'a', count: 'many' }));
    const good = await app.inject({ method: 'GET', url: '/good' });
    const bad = await app.inject({ method: 'GET', url: '/bad' });
    await app.close();
    assert.equal(good.statusCode, 200);
    assert.equal(good.body, '{"id":"a","count":1}');
    assert.equal(bad.statusCode, 500);
    assert.deepEqual(bad.json(), { error: 'internal' });
  });
});
