import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeError } from '../src/http/errors.js';

test('validation issues tell an absent value from a wrong one and carry what was sent', async () => {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => reply.send(normalizeError(error, request)));
  app.post(
    '/x',
    {
      schema: {
        body: z.object({ a: z.number(), b: z.string(), list: z.array(z.object({ id: z.string() })) }),
      },
    },
    async () => 'ok',
  );
  app.get('/h', { schema: { headers: z.object({ 'x-key': z.string() }) } }, async () => 'ok');

  const body = (
    await app.inject({ method: 'POST', url: '/x', payload: { a: 'str', list: [{ id: 1 }] } })
  ).json();
  assert.deepEqual(
    body.issues.map(({ path, code, message, input }: Record<string, unknown>) => ({
      path,
      code,
      message,
      input,
    })),
    [
      {
        path: ['a'],
        code: 'invalid_type',
        message: 'Invalid input: expected number, received string',
        input: 'str',
      },
      { path: ['b'], code: 'missing', message: 'Field required', input: undefined },
      {
        path: ['list', 0, 'id'],
        code: 'invalid_type',
        message: 'Invalid input: expected string, received number',
        input: 1,
      },
    ],
  );
  const header = (await app.inject({ method: 'GET', url: '/h' })).json();
  assert.deepEqual(header.issues, [
    { location: 'headers', path: ['x-key'], code: 'missing', message: 'Field required' },
  ]);
  await app.close();
});
