import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { defineService, perContext } from '../src/runtime/define-service.js';
import type { ServiceContext } from '../src/runtime/service-definition.js';

describe('defineService', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'define-service-'));
  after(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '3.1.4' }));
  const packageDir = pathToFileURL(`${dir}/`);
  const declaration = {
    name: 'ledger',
    title: 'Ledger',
    ports: { http: 9000 },
    buildHttp: () => Promise.reject(new Error('not built here')),
  };

  test('takes the version from the package, its migrations/ and a schema named after the service', () => {
    const definition = defineService(packageDir, declaration);
    assert.equal(definition.version, '3.1.4');
    assert.equal(definition.migrationsDir, path.join(dir, 'migrations'));
    assert.equal(definition.schema, 'ledger');
    assert.equal(definition.title, 'Ledger');
  });

  test('a declared schema wins', () => {
    assert.equal(defineService(packageDir, { ...declaration, schema: 'books' }).schema, 'books');
  });
});

describe('perContext', () => {
  test('one instance per context, made on first use', () => {
    let made = 0;
    const instance = perContext((context) => ({ service: context.service, serial: ++made }));
    const a = { service: 'a' } as ServiceContext;
    const b = { service: 'b' } as ServiceContext;
    assert.equal(made, 0);
    assert.equal(instance(a), instance(a));
    assert.deepEqual(instance(b), { service: 'b', serial: 2 });
    assert.equal(made, 2);
  });
});
