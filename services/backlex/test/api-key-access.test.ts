import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyMayRun, type OrgOperationName } from '../src/auth/roles.js';

const may = (
  scope: 'read-only' | 'deploy' | 'full',
  operation: OrgOperationName,
  mcpTools: string[] | null = null,
) => keyMayRun({ scope, mcpTools }, operation);

test('read-only keys run reads only', () => {
  assert.equal(may('read-only', 'members.list'), true);
  assert.equal(may('read-only', 'projects.list'), true);
  assert.equal(may('read-only', 'projects.create'), false);
  assert.equal(may('read-only', 'webhooks.create'), false);
});

test('deploy keys add project writes, but not deletes or restores', () => {
  for (const name of [
    'projects.create',
    'projects.update',
    'projects.pause',
    'backups.create',
    'branches.create',
  ] as const) {
    assert.equal(may('deploy', name), true, name);
  }
  for (const name of [
    'projects.delete',
    'projects.pitrRestore',
    'backups.restore',
    'branches.delete',
    'webhooks.create',
  ] as const) {
    assert.equal(may('deploy', name), false, name);
  }
});

test('full keys reach everything but the operations reserved to people', () => {
  for (const name of [
    'projects.delete',
    'backups.restore',
    'webhooks.create',
    'integrations.delete',
  ] as const) {
    assert.equal(may('full', name), true, name);
  }
  for (const name of [
    'members.update',
    'members.remove',
    'invitations.create',
    'apiKeys.create',
    'apiKeys.revoke',
    'sso.get',
    'sso.put',
    'scim.mintToken',
    'billing.checkout',
    'org.update',
    'org.delete',
  ] as const) {
    assert.equal(may('full', name), false, name);
  }
});

test('mcpTools narrows a scope to the operations it names, never widens it', () => {
  assert.equal(may('full', 'projects.list', ['projects.list']), true);
  assert.equal(may('full', 'projects.get', ['projects.list']), false);
  assert.equal(may('read-only', 'projects.create', ['projects.create']), false);
});
