import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorFingerprint, normalizeSql } from '../src/projects/sql-fingerprint.js';
import {
  createTemplateRegistry,
  parseTemplateSpec,
  parseTemplateVersion,
} from '../src/projects/templates.js';

test('template specs: name or name@version; anything else is refused', () => {
  assert.deepEqual(parseTemplateSpec('todo'), { name: 'todo', version: undefined });
  assert.deepEqual(parseTemplateSpec('todo@2'), { name: 'todo', version: 2 });
  for (const bad of ['Todo', 'todo@', 'todo@0', 'todo@-1', '@1', 'to do', 'todo@1.0']) {
    assert.equal(parseTemplateSpec(bad), undefined, bad);
  }
  assert.equal(parseTemplateVersion('3'), 3);
  assert.equal(parseTemplateVersion('03'), undefined);
  assert.equal(parseTemplateVersion('1e3'), undefined);
});

test('the registry: versions in order, migrations (from, to], unknown templates', () => {
  const registry = createTemplateRegistry();
  assert.equal(registry.latest('blank'), 1);
  assert.equal(registry.latest('todo'), 2);
  assert.equal(registry.latest('nope'), undefined);
  assert.equal(registry.migrations('todo', 0, 2).length, 3);
  assert.deepEqual(registry.migrations('todo', 1, 2), registry.get('todo')?.versions[1]?.statements);
  assert.deepEqual(registry.migrations('todo', 2, 2), []);
  for (const template of ['blank', 'todo', 'blog']) {
    const versions = registry.get(template)?.versions.map((entry) => entry.version);
    assert.deepEqual(
      versions,
      versions?.map((_, index) => index + 1),
      `${template}: versions 1…n`,
    );
  }
});

test('normalized SQL keeps the shape and drops every literal value and comment', () => {
  assert.equal(
    normalizeSql(
      "SELECT *  FROM t -- note\n WHERE a = 'it''s secret' AND b = 42 AND c = x'ABCD' /* c */ AND d = ?",
    ),
    'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?',
  );
  assert.equal(
    normalizeSql('SELECT "col1", t2.x FROM [t 2] WHERE v = 3.5e2'),
    'SELECT "col1", t2.x FROM [t 2] WHERE v = ?',
  );
  assert.equal(
    errorFingerprint('SQL_ERROR', normalizeSql("SELECT 1 FROM t WHERE a = 'x'")),
    errorFingerprint('SQL_ERROR', normalizeSql("SELECT 2 FROM t WHERE a = 'y'")),
  );
  assert.notEqual(
    errorFingerprint('SQL_ERROR', 'SELECT ?'),
    errorFingerprint('RESULT_TOO_LARGE', 'SELECT ?'),
  );
});
