import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
before(async () => {
  h = await BacklexHarness.boot();
});
after(async () => h?.close());

type MemberEntry = { id: string; email: string; role: string; status: string; userId: string | null };

async function membersOf(org: TestOrg, as?: TestUser): Promise<MemberEntry[]> {
  const response = await h.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/members`,
    as: as ?? org.owner,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().members;
}

const patchRole = (org: TestOrg, id: string, role: string, as: TestUser) =>
  h.inject({ method: 'PATCH', url: `/api/org/${org.slug}/members/${id}`, as, payload: { role } });
const removeMember = (org: TestOrg, id: string, as: TestUser) =>
  h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/members/${id}`, as });
const resend = (org: TestOrg, id: string, as: TestUser) =>
  h.inject({ method: 'POST', url: `/api/org/${org.slug}/members/${id}/resend`, as });

describe('invitations', () => {
  let org: TestOrg;
  before(async () => {
    org = await h.org();
  });

  test('an invitation is listed as status "invited", mailed with a ?token= link, and stored only as a sha-256', async () => {
    const invitee = await h.user();
    const response = await h.invite(org, invitee.email, 'developer');
    assert.equal(response.statusCode, 201, response.body);
    const { invite } = response.json();
    assert.deepEqual(invite, { id: invite.id, email: invitee.email, role: 'developer' });
    const listed = (await membersOf(org)).find((member) => member.id === invite.id);
    assert.equal(listed?.status, 'invited');
    assert.equal(listed?.userId, null);
    const [mail] = (await h.mailsTo(invitee.email)).filter((m) => /invitation/i.test(m.subject));
    assert.match(mail?.subject ?? '', new RegExp(org.name));
    const token = await h.invitationToken(invitee.email);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const { rows } = await h.service.booted.context
      .database()
      .pool.query('SELECT "tokenHash" FROM invitation WHERE id = $1', [invite.id]);
    assert.match(rows[0].tokenHash, /^[0-9a-f]{64}$/);
    assert.notEqual(rows[0].tokenHash, token);
  });

  test('inviting a member or an address already invited is 409', async () => {
    const invitee = await h.user();
    assert.equal((await h.invite(org, invitee.email, 'viewer')).statusCode, 201);
    const again = await h.invite(org, invitee.email.toUpperCase(), 'admin');
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error.code, 'ALREADY_INVITED');
    const self = await h.invite(org, org.owner.email, 'viewer');
    assert.equal(self.statusCode, 409);
    assert.equal(self.json().error.code, 'ALREADY_MEMBER');
  });

  test('an invitation cannot be for owner (422); viewers and developers cannot invite (403)', async () => {
    const owner = await h.invite(org, 'someone@example.com', 'owner');
    assert.equal(owner.statusCode, 422);
    const developer = await h.member(org, 'developer');
    const refused = await h.invite(org, 'another@example.com', 'viewer', developer);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error.code, 'FORBIDDEN');
  });

  test('accept: the session email must match (403); then joins with the role, verifies, and is single use (409)', async () => {
    const invitee = await h.user();
    const other = await h.user();
    assert.equal((await h.invite(org, invitee.email, 'admin')).statusCode, 201);
    const token = await h.invitationToken(invitee.email);
    const wrong = await h.accept(other, token);
    assert.equal(wrong.statusCode, 403, wrong.body);
    const accepted = await h.accept(invitee, token);
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.deepEqual(accepted.json(), { orgSlug: org.slug });
    const joined = (await membersOf(org)).find((member) => member.email === invitee.email);
    assert.equal(joined?.status, 'active');
    assert.equal(joined?.role, 'admin');
    const orgs = (await h.inject({ method: 'GET', url: '/api/orgs', as: invitee })).json().orgs;
    assert.equal(orgs[0].role, 'admin');
    const reused = await h.accept(invitee, token);
    assert.equal(reused.statusCode, 409);
    assert.equal(reused.json().error.code, 'INVITATION_USED');
  });

  test('two parallel accepts of one token: exactly one joins, the other is 409', async () => {
    const invitee = await h.user();
    assert.equal((await h.invite(org, invitee.email, 'viewer')).statusCode, 201);
    const token = await h.invitationToken(invitee.email);
    const results = await Promise.all([h.accept(invitee, token), h.accept(invitee, token)]);
    assert.deepEqual(results.map((response) => response.statusCode).sort(), [200, 409]);
    assert.equal((await membersOf(org)).filter((member) => member.email === invitee.email).length, 1);
  });

  test('unknown and cancelled tokens are 404; an expired one is 409 INVITATION_EXPIRED', async () => {
    const invitee = await h.user();
    assert.equal((await h.accept(invitee, 'no-such-token')).statusCode, 404);
    const created = await h.invite(org, invitee.email, 'viewer');
    const token = await h.invitationToken(invitee.email);
    const cancelled = await removeMember(org, created.json().invite.id, org.owner);
    assert.equal(cancelled.statusCode, 204, cancelled.body);
    assert.equal(
      (await membersOf(org)).some((member) => member.id === created.json().invite.id),
      false,
    );
    assert.equal((await h.accept(invitee, token)).statusCode, 404);

    const late = await h.user();
    const invited = await h.invite(org, late.email, 'viewer');
    const lateToken = await h.invitationToken(late.email);
    // Seven days pass.
    await h.service.booted.context
      .database()
      .pool.query(`UPDATE invitation SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [
        invited.json().invite.id,
      ]);
    const expired = await h.accept(late, lateToken);
    assert.equal(expired.statusCode, 409, expired.body);
    assert.equal(expired.json().error.code, 'INVITATION_EXPIRED');
  });

  test('PATCH on an invitation sets its role; resend voids the old token, once a minute; on a member it is 409', async () => {
    const invitee = await h.user();
    const { invite } = (await h.invite(org, invitee.email, 'viewer')).json();
    assert.equal((await patchRole(org, invite.id, 'developer', org.owner)).statusCode, 200);
    assert.equal((await patchRole(org, invite.id, 'owner', org.owner)).statusCode, 422);
    const oldToken = await h.invitationToken(invitee.email);
    const tooSoon = await resend(org, invite.id, org.owner);
    assert.equal(tooSoon.statusCode, 429, tooSoon.body);
    assert.ok(Number(tooSoon.headers['retry-after']) >= 1);
    // A minute passes since the last mail.
    await h.service.booted.context
      .database()
      .pool.query(`UPDATE invitation SET "lastSentAt" = now() - interval '61 seconds' WHERE id = $1`, [
        invite.id,
      ]);
    const resent = await resend(org, invite.id, org.owner);
    assert.equal(resent.statusCode, 200, resent.body);
    const newToken = await h.invitationToken(invitee.email);
    assert.notEqual(newToken, oldToken);
    assert.equal((await h.accept(invitee, oldToken)).statusCode, 404);
    const joined = await h.accept(invitee, newToken);
    assert.equal(joined.statusCode, 200, joined.body);
    assert.equal((await membersOf(org)).find((member) => member.email === invitee.email)?.role, 'developer');
    const member = (await membersOf(org)).find((entry) => entry.email === invitee.email) as MemberEntry;
    const onMember = await resend(org, member.id, org.owner);
    assert.equal(onMember.statusCode, 409);
    assert.equal(onMember.json().error.code, 'NOT_PENDING');
  });

  test('an id of another org is 404 on PATCH, DELETE and resend', async () => {
    const otherOrg = await h.org();
    const { invite } = (await h.invite(otherOrg, 'x@example.com', 'viewer')).json();
    const [ownerOfOther] = await membersOf(otherOrg);
    for (const id of [invite.id, (ownerOfOther as MemberEntry).id]) {
      assert.equal((await patchRole(org, id, 'viewer', org.owner)).statusCode, 404);
      assert.equal((await removeMember(org, id, org.owner)).statusCode, 404);
      assert.equal((await resend(org, id, org.owner)).statusCode, 404);
    }
  });

  test('30 invitation mails an hour per org: the 31st is 429', async () => {
    const busy = await h.org();
    for (let i = 0; i < 30; i += 1) {
      const response = await h.invite(busy, `bulk-${i}@example.com`, 'viewer');
      assert.equal(response.statusCode, 201, `${i}: ${response.body}`);
    }
    const over = await h.invite(busy, 'bulk-31@example.com', 'viewer');
    assert.equal(over.statusCode, 429, over.body);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal((await membersOf(busy)).filter((member) => member.status === 'invited').length, 30);
  });
});

describe('roles and owners', () => {
  let org: TestOrg;
  let admin: TestUser & { memberId: string };
  let developer: TestUser & { memberId: string };
  let viewer: TestUser & { memberId: string };
  before(async () => {
    org = await h.org();
    admin = await h.member(org, 'admin');
    developer = await h.member(org, 'developer');
    viewer = await h.member(org, 'viewer');
  });

  test('every member reads the list; only admins change roles (403 for developer and viewer)', async () => {
    for (const user of [admin, developer, viewer]) assert.equal((await membersOf(org, user)).length, 4);
    for (const user of [developer, viewer]) {
      const response = await patchRole(org, viewer.memberId, 'developer', user);
      assert.equal(response.statusCode, 403, response.body);
    }
    assert.equal((await patchRole(org, viewer.memberId, 'developer', admin)).statusCode, 200);
    assert.equal((await patchRole(org, viewer.memberId, 'viewer', admin)).statusCode, 200);
  });

  test("admins can't touch owners: no promotion to owner, no demotion or removal of one (403)", async () => {
    const ownerId = (await membersOf(org)).find((member) => member.role === 'owner')?.id as string;
    assert.equal((await patchRole(org, developer.memberId, 'owner', admin)).statusCode, 403);
    assert.equal((await patchRole(org, ownerId, 'admin', admin)).statusCode, 403);
    assert.equal((await removeMember(org, ownerId, admin)).statusCode, 403);
  });

  test('audit (admins) is 403 for developers and viewers', async () => {
    for (const user of [developer, viewer]) {
      const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/audit`, as: user });
      assert.equal(response.statusCode, 403, response.body);
    }
    const events = (
      await h.inject({ method: 'GET', url: `/api/org/${org.slug}/audit?action=member.*`, as: admin })
    ).json().events as { action: string }[];
    assert.ok(events.some((event) => event.action === 'member.joined'));
    assert.ok(events.some((event) => event.action === 'member.role_changed'));
  });

  test('org PATCH is for admins, DELETE for owners only (403)', async () => {
    const byDeveloper = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: developer,
      payload: { name: 'Dev rename' },
    });
    assert.equal(byDeveloper.statusCode, 403);
    const byAdmin = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: admin,
      payload: { name: 'Admin rename' },
    });
    assert.equal(byAdmin.statusCode, 200, byAdmin.body);
    const deleteByAdmin = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}`, as: admin });
    assert.equal(deleteByAdmin.statusCode, 403);
  });

  test('anyone may leave; a removed member loses access (404)', async () => {
    const leaver = await h.member(org, 'viewer');
    const left = await removeMember(org, leaver.memberId, leaver);
    assert.equal(left.statusCode, 204, left.body);
    assert.equal(
      (await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: leaver })).statusCode,
      404,
    );
    const removed = await h.member(org, 'developer');
    assert.equal((await removeMember(org, removed.memberId, admin)).statusCode, 204);
    assert.equal(
      (await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: removed })).statusCode,
      404,
    );
  });

  test('the last owner can be neither demoted nor removed, nor leave (409 LAST_OWNER)', async () => {
    const solo = await h.org();
    const [me] = await membersOf(solo);
    const id = (me as MemberEntry).id;
    const demote = await patchRole(solo, id, 'admin', solo.owner);
    assert.equal(demote.statusCode, 409, demote.body);
    assert.equal(demote.json().error.code, 'LAST_OWNER');
    assert.equal((await removeMember(solo, id, solo.owner)).statusCode, 409);
    assert.equal((await membersOf(solo))[0]?.role, 'owner');
  });

  test('two owners demoting each other at once: one succeeds, the other is 409, one owner remains', async () => {
    for (let round = 0; round < 3; round += 1) {
      const pair = await h.org();
      const second = await h.member(pair, 'owner');
      const firstId = (await membersOf(pair)).find((member) => member.email === pair.owner.email)
        ?.id as string;
      const results = await Promise.all([
        patchRole(pair, second.memberId, 'admin', pair.owner),
        patchRole(pair, firstId, 'admin', second),
      ]);
      const statuses = results.map((response) => response.statusCode).sort();
      // The loser was demoted first, so it may also be 403 (no longer an owner) instead of 409.
      assert.equal(statuses[0], 200, results.map((response) => response.body).join(' '));
      assert.ok(statuses[1] === 409 || statuses[1] === 403, String(statuses[1]));
      const owners = (await membersOf(pair)).filter((member) => member.role === 'owner');
      assert.equal(owners.length, 1);
    }
  });
});
