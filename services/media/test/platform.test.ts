import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { captureLogs } from '@trustplane/kernel/testkit';
import { errorCode, type Harness, startHarness } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

describe('platform surface', () => {
  test('shared-link secrets (token in the path, password in query or header) never reach the logs', async () => {
    const logs = captureLogs();
    const logged = await startHarness({}, {}, { logger: logs.logger });
    let token = '';
    try {
      const owner = await logged.user();
      const upload = await logged.upload(owner, {
        name: 'a.txt',
        type: 'text/plain',
        data: Buffer.from('hello'),
      });
      const media = upload.json() as { id: string };
      const link = (
        await logged.call({
          method: 'POST',
          url: `/media/${media.id}/share`,
          headers: owner.auth,
          payload: { visibility: 'public', password: 'hunter2-secret' },
        })
      ).json() as { token: string };
      token = link.token;
      const opened = await logged.call({
        method: 'GET',
        url: `/share/${link.token}?password=hunter2-secret`,
      });
      assert.equal(opened.statusCode, 200);
      await logged.call({
        method: 'GET',
        url: `/share/${link.token}`,
        headers: { 'x-share-password': 'hunter2-secret' },
      });
      // A path no route matches is logged, its query credentials masked.
      await logged.booted.app.inject({ method: 'GET', url: '/nowhere?password=hunter2-secret' });
    } finally {
      await logged.close();
    }
    const requests = logs.lines.filter((line) => line.msg === 'request completed');
    assert.ok(
      requests.some((line) => line.route === '/share/:token' && line.statusCode === 200),
      'the shared-link request is logged by its route pattern',
    );
    assert.ok(
      requests.some((line) => line.route === null && line.url === '/nowhere?password=%5Bredacted%5D'),
    );
    assert.ok(token.length > 0);
    assert.ok(!logs.text().includes(token), 'the share token is never logged');
    assert.doesNotMatch(logs.text(), /hunter2-secret/);
  });

  test('every seed operation is served and documented; unknown routes use the envelope', async () => {
    const response = await h.booted.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    // Every seed operation has a route (the kernel's one coverage check); the document is made from the routes.
    h.service.assertSeedOperationsServed();
    const doc = response.json();
    assert.deepEqual(doc.paths['/media'].get.security, [{ bearer: [] }]);
    // Opened anonymously, or with a token for `restricted`/`organization` links.
    assert.deepEqual(doc.paths['/share/{token}'].get.security, [{ bearer: [] }, {}]);
    assert.deepEqual(doc.paths['/health'].get.security, []);
    assert.deepEqual(doc.paths['/media/{id}'].get.security, [{ bearer: [] }, {}]);
    assert.deepEqual(doc.paths['/media/{id}'].delete.security, [{ bearer: [] }]);
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    const missing = await h.booted.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing), 'not_found');
    assert.ok(missing.headers['x-request-id']);
  });

  test('operator commands: quota set and sweep', async () => {
    const commands = h.booted.context && (await import('../src/index.js')).mediaService.commands!;
    const quota = commands.find((command) => command.path.join(' ') === 'quota set')!;
    const sweep = commands.find((command) => command.path.join(' ') === 'sweep')!;
    const user = await h.user();
    const result = await quota.run(h.booted.context, { owner: user.sub, maxBytes: '5' });
    assert.deepEqual(result, { quota: { owner_id: user.sub, used_bytes: 0, max_bytes: 5 } });
    const refused = await h.upload(user, {
      name: 'a.txt',
      type: 'text/plain',
      data: Buffer.from('too long'),
    });
    assert.equal(refused.statusCode, 413);
    await quota.run(h.booted.context, { owner: user.sub, maxBytes: '100' });
    const ok = await h.upload(user, { name: 'a.txt', type: 'text/plain', data: Buffer.from('fits now') });
    assert.equal(ok.statusCode, 201);
    await assert.rejects(quota.run(h.booted.context, { owner: user.sub, maxBytes: '1' }), /already uses/);
    await assert.rejects(quota.run(h.booted.context, { owner: user.sub, maxBytes: '-1' }));
    assert.deepEqual(await sweep.run(h.booted.context, {}), {
      staged_files_removed: 0,
      abandoned_uploads_removed: 0,
    });
  });
});
