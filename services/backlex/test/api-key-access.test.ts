import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyMayCall, unknownOperationNames } from '../src/api-keys/key-access.js';
import { operationByName, operationForRoute, orgOperations } from '../src/api-keys/operations.js';

const SEED = JSON.parse(
  await import('node:fs').then((fs) =>
    fs.readFileSync(new URL('../../../../shared/seeds/003_ed5fbb156ace5f76.txt', import.meta.url), 'utf8'),
  ),
) as { paths: Record<string, Record<string, unknown>> };

function op(name: string) {
  const operation = operationByName(name);
  assert.ok(operation, name);
  return operation;
}

test('the catalogue names every seed operation under /org/{slug}, and only those', () => {
  const seedOrgRoutes = Object.entries(SEED.paths)
    .filter(([path]) => path.startsWith('/org/{slug}'))
    .flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
  assert.deepEqual(
    orgOperations.map((operation) => `${operation.method} ${operation.path}`).sort(),
    seedOrgRoutes,
  );
  assert.equal(new Set(orgOperations.map((operation) => operation.name)).size, orgOperations.length);
});

test('a Fastify route url maps to its operation', () => {
  assert.equal(operationForRoute('GET', '/api/org/:slug/members')?.name, 'members.list');
  assert.equal(
    operationForRoute('post', '/api/org/:slug/projects/:projectSlug/backups/:id/restore')?.name,
    'backups.restore',
  );
  assert.equal(operationForRoute('GET', '/api/orgs'), undefined);
});

test('read-only keys call GETs only', () => {
  const grant = { scope: 'read-only', mcpTools: null } as const;
  assert.equal(keyMayCall(grant, op('members.list')), true);
  assert.equal(keyMayCall(grant, op('projects.list')), true);
  assert.equal(keyMayCall(grant, op('projects.create')), false);
  assert.equal(keyMayCall(grant, op('webhooks.create')), false);
});

test('deploy keys add project writes, but not deletes or restores', () => {
  const grant = { scope: 'deploy', mcpTools: null } as const;
  for (const name of [
    'projects.create',
    'projects.update',
    'projects.pause',
    'backups.create',
    'branches.create',
  ]) {
    assert.equal(keyMayCall(grant, op(name)), true, name);
  }
  for (const name of [
    'projects.delete',
    'projects.restore',
    'backups.restore',
    'branches.delete',
    'webhooks.create',
  ]) {
    assert.equal(keyMayCall(grant, op(name)), false, name);
  }
});

test('full keys reach everything but the routes reserved to people', () => {
  const grant = { scope: 'full', mcpTools: null } as const;
  for (const name of [
    'projects.delete',
    'backups.restore',
    'webhooks.create',
    'integrations.delete',
    'org.export',
  ]) {
    assert.equal(keyMayCall(grant, op(name)), true, name);
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
  ]) {
    assert.equal(keyMayCall(grant, op(name)), false, name);
  }
});

test('an mcpTools allowlist narrows the scope to the operations it names', () => {
  const grant = { scope: 'full', mcpTools: ['projects.list'] } as const;
  assert.equal(keyMayCall(grant, op('projects.list')), true);
  assert.equal(keyMayCall(grant, op('projects.get')), false);
  // The allowlist never widens a scope.
  assert.equal(
    keyMayCall({ scope: 'read-only', mcpTools: ['projects.create'] }, op('projects.create')),
    false,
  );
  assert.deepEqual(unknownOperationNames(['projects.list', 'projects.nuke', 'members.update']), [
    'projects.nuke',
  ]);
});
