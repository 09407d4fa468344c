import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createRepositories } from '../src/db/repositories.js';
import type { AccountDB } from '../src/db/types.js';
import { PRUNE_QUEUE, pruneExpired } from '../src/jobs/prune.js';
import { bearer, Harness, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot(undefined, { workers: true });
});
after(async () => {
  await h?.close();
});

test('the prune job is scheduled hourly and deletes only what is spent or past its horizon', async () => {
  const schedules = await h.booted.context.jobs.boss.getSchedules();
  assert.ok(schedules.some((schedule: { name: string }) => schedule.name === PRUNE_QUEUE));
  const db = h.booted.context.database<AccountDB>().kysely as Kysely<AccountDB>;
  const user = await h.register();
  // Verification spends the email token; the session and active key must survive.
  const mail = await h.lastEmail(user.email, 'email_verification');
  await h.app.inject({ method: 'GET', url: `/verify-email?token=${mail.token}` });
  await db
    .updateTable('sessions')
    .set({ expires_at: new Date(Date.now() - 31 * 86_400_000) })
    .where('account_id', '=', user.accountId)
    .execute();
  const deleted = await pruneExpired(createRepositories(db));
  assert.ok((deleted.email_verification_tokens ?? 0) >= 1);
  assert.equal(deleted.sessions, 1);
  const keys = await db.selectFrom('signing_keys').select('kid').where('active', '=', true).execute();
  assert.equal(keys.length, 1);
  // Tokens of the pruned session no longer refresh; other users are untouched.
  const other = await h.register();
  assert.equal(
    (await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(other.accessToken) })).statusCode,
    200,
  );
  const refresh = await h.call({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: user.refreshToken },
  });
  assert.equal(refresh.statusCode, 401);
});
