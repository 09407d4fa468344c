import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { assertError, bearer, Harness, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

async function teamOrg(token: string, name = 'Acme Corp', slug?: string) {
  const response = await h.call({
    method: 'POST',
    url: '/api/v1/organizations',
    headers: bearer(token),
    payload: slug ? { name, slug } : { name },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().data as { org_id: string; slug: string };
}

async function switchTo(token: string, orgId: string) {
  const response = await h.call({
    method: 'POST',
    url: `/api/v1/organizations/${orgId}/switch`,
    headers: bearer(token),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().data as { access_token: string; refresh_token: string; current_org_id: string };
}

/** Owner with a team org, and a second verified user who joined it as member. */
async function teamWithMember() {
  const owner = await h.verifiedUser({ display_name: 'Owner' });
  const org = await teamOrg(owner.accessToken, 'Team', `team-${owner.accountId.slice(0, 8)}`);
  const ownerInTeam = await switchTo(owner.accessToken, org.org_id);
  const member = await h.verifiedUser({ display_name: 'Member' });
  const invite = await h.call({
    method: 'POST',
    url: `/api/v1/organizations/${org.org_id}/members`,
    headers: bearer(ownerInTeam.access_token),
    payload: { email: member.email },
  });
  assert.equal(invite.statusCode, 201, invite.body);
  const token = (await h.lastEmail(member.email, 'organization_invitation')).token as string;
  const accept = await h.call({
    method: 'POST',
    url: '/api/v1/invitations/accept',
    headers: bearer(member.accessToken),
    payload: { token },
    skipContract: true,
  });
  assert.equal(accept.statusCode, 200, accept.body);
  const memberInTeam = await switchTo(member.accessToken, org.org_id);
  return { owner, org, ownerToken: ownerInTeam.access_token, member, memberToken: memberInTeam.access_token };
}

describe('organizations', () => {
  test('create, list, get, update, slug collisions', async () => {
    const user = await h.verifiedUser();
    const org = await teamOrg(user.accessToken, 'Acme Corp', `acme-${user.accountId.slice(0, 8)}`);
    const auto = await teamOrg(user.accessToken, 'Ünïcode Org Name!');
    assert.match(auto.slug, /^unicode-org-name/);
    const clash = await h.call({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: bearer(user.accessToken),
      payload: { name: 'Other', slug: org.slug },
    });
    assertError(clash, 422, 4002, /^slug: /);
    const list = await h.call({
      method: 'GET',
      url: '/api/v1/organizations',
      headers: bearer(user.accessToken),
    });
    assert.equal(list.json().data.total, 3);
    const get = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}`,
      headers: bearer(user.accessToken),
    });
    assert.equal(get.json().data.member_count, 1);
    assert.equal(get.json().data.owner_id, user.accountId);
    const switched = await switchTo(user.accessToken, org.org_id);
    const update = await h.call({
      method: 'PUT',
      url: `/api/v1/organizations/${org.org_id}`,
      headers: bearer(switched.access_token),
      payload: { name: 'Acme Inc.' },
    });
    assert.equal(update.statusCode, 200, update.body);
    assert.equal(update.json().data.name, 'Acme Inc.');
    const check = await h.call({ method: 'GET', url: `/api/v1/organizations/${org.org_id}/check` });
    assert.deepEqual(Object.keys(check.json().data).sort(), ['created_at', 'name', 'org_id']);
    assertError(
      await h.call({
        method: 'GET',
        url: '/api/v1/organizations/00000000-0000-4000-8000-000000000000/check',
      }),
      404,
      4004,
    );
  });

  test('switch keeps the session id and binds the new org', async () => {
    const user = await h.verifiedUser();
    const org = await teamOrg(user.accessToken, 'Switch Co', `switch-${user.accountId.slice(0, 8)}`);
    const switched = await switchTo(user.accessToken, org.org_id);
    assert.equal(switched.current_org_id, org.org_id);
    assert.equal(decodeJwt(switched.access_token).sid, decodeJwt(user.accessToken).sid);
    assert.equal(decodeJwt(switched.access_token).org_id, org.org_id);
    // The refresh continues in the new org.
    const refreshed = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: switched.refresh_token },
    });
    assert.equal(refreshed.json().data.current_org_id, org.org_id);
  });

  test('cross-org: a non-member learns nothing, a member must switch first', async () => {
    const { org, member } = await teamWithMember();
    const stranger = await h.verifiedUser();
    assertError(
      await h.call({
        method: 'GET',
        url: `/api/v1/organizations/${org.org_id}`,
        headers: bearer(stranger.accessToken),
      }),
      404,
      4004,
    );
    assertError(
      await h.call({
        method: 'GET',
        url: `/api/v1/organizations/${org.org_id}/members`,
        headers: bearer(stranger.accessToken),
      }),
      404,
      4004,
    );
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${org.org_id}/switch`,
        headers: bearer(stranger.accessToken),
      }),
      404,
      4004,
    );
    // member.accessToken is still bound to the member's personal org.
    const memberLogin = await h.login(member.email);
    assertError(
      await h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${org.org_id}`,
        headers: bearer(memberLogin.access_token),
        payload: { name: 'Hijack' },
      }),
      401,
      4003,
    );
  });

  test('members: list, permissions enforced, role update, remove, owner protected', async () => {
    const { owner, org, ownerToken, member, memberToken } = await teamWithMember();
    const members = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/members`,
      headers: bearer(memberToken),
    });
    assert.equal(members.json().data.total, 2);
    // A plain member has no members:invite.
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${org.org_id}/members`,
        headers: bearer(memberToken),
        payload: { email: 'x@example.com' },
      }),
      401,
      4003,
      /members:invite/,
    );
    const roles = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/roles`,
      headers: bearer(ownerToken),
    });
    const ownerRole = roles.json().data.items.find((role: { name: string }) => role.name === 'owner');
    assert.equal(ownerRole.is_system, true);
    assert.deepEqual(ownerRole.permissions, ['*']);
    const created = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${org.org_id}/roles`,
      headers: bearer(ownerToken),
      payload: { name: 'inviter', permissions: ['members:invite', 'audit_logs:read'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const roleId = created.json().data.role_id;
    const setRole = await h.call({
      method: 'PUT',
      url: `/api/v1/organizations/${org.org_id}/members/${member.accountId}/role`,
      headers: bearer(ownerToken),
      payload: { role_id: roleId },
    });
    assert.equal(setRole.statusCode, 200, setRole.body);
    // Takes effect on the next rotation.
    const memberLogin = await h.login(member.email);
    const rotated = await switchTo(memberLogin.access_token, org.org_id);
    assert.deepEqual(decodeJwt(rotated.access_token).permissions, [
      'audit_logs:read',
      'members:invite',
      'read:organizations',
      'read:profile',
      'read:sessions',
    ]);
    const invite = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${org.org_id}/members`,
      headers: bearer(rotated.access_token),
      payload: { email: 'newbie@example.com' },
    });
    assert.equal(invite.statusCode, 201);
    const feed = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/activities?action=member.invited`,
      headers: bearer(rotated.access_token),
    });
    assert.ok(feed.json().data.total >= 2);
    assert.ok(
      feed
        .json()
        .data.items.every((item: { organization_id: string }) => item.organization_id === org.org_id),
    );
    // Role in use cannot be deleted; system roles neither.
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${org.org_id}/roles/${roleId}`,
        headers: bearer(ownerToken),
      }),
      422,
      4002,
      /assigned to 1 member/,
    );
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${org.org_id}/roles/${ownerRole.role_id}`,
        headers: bearer(ownerToken),
      }),
      422,
      4002,
    );
    assertError(
      await h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${org.org_id}/roles/${ownerRole.role_id}`,
        headers: bearer(ownerToken),
        payload: { permissions: [] },
      }),
      422,
      4002,
      /read-only/,
    );
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${org.org_id}/members/${owner.accountId}`,
        headers: bearer(ownerToken),
      }),
      422,
      4002,
    );
    const removed = await h.call({
      method: 'DELETE',
      url: `/api/v1/organizations/${org.org_id}/members/${member.accountId}`,
      headers: bearer(ownerToken),
    });
    assert.equal(removed.statusCode, 200);
    const deleted = await h.call({
      method: 'DELETE',
      url: `/api/v1/organizations/${org.org_id}/roles/${roleId}`,
      headers: bearer(ownerToken),
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
  });

  test('roles: duplicate names, ungrantable permissions, update', async () => {
    const user = await h.verifiedUser();
    const role = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${user.orgId}/roles`,
      headers: bearer(user.accessToken),
      payload: {
        name: 'auditor',
        description: 'Read-only',
        permissions: ['read:organizations', 'audit_logs:read'],
      },
    });
    assert.equal(role.statusCode, 201);
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${user.orgId}/roles`,
        headers: bearer(user.accessToken),
        payload: { name: 'Auditor', permissions: [] },
      }),
      422,
      4002,
      /^name: /,
    );
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${user.orgId}/roles`,
        headers: bearer(user.accessToken),
        payload: { name: 'root', permissions: ['*'] },
      }),
      422,
      4002,
      /^permissions: /,
    );
    const updated = await h.call({
      method: 'PUT',
      url: `/api/v1/organizations/${user.orgId}/roles/${role.json().data.role_id}`,
      headers: bearer(user.accessToken),
      payload: { permissions: ['audit_logs:read', 'members:invite'] },
    });
    assert.deepEqual(updated.json().data.permissions, ['audit_logs:read', 'members:invite']);
    const got = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${user.orgId}/roles/${role.json().data.role_id}`,
      headers: bearer(user.accessToken),
    });
    assert.equal(got.json().data.name, 'auditor');
  });

  test('leave (owner cannot), delete (owner only, soft, personal kept)', async () => {
    const { org, ownerToken, member, memberToken } = await teamWithMember();
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${org.org_id}/leave`,
        headers: bearer(ownerToken),
      }),
      422,
      4002,
    );
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${org.org_id}`,
        headers: bearer(memberToken),
      }),
      401,
      4003,
    );
    const left = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${org.org_id}/leave`,
      headers: bearer(memberToken),
    });
    assert.equal(left.statusCode, 200);
    assertError(
      await h.call({
        method: 'GET',
        url: `/api/v1/organizations/${org.org_id}`,
        headers: bearer(memberToken),
      }),
      404,
      4004,
    );
    // Next rotation falls back to the personal org.
    const login = await h.login(member.email);
    assert.equal(login.current_org_id, member.orgId);
    const deleted = await h.call({
      method: 'DELETE',
      url: `/api/v1/organizations/${org.org_id}`,
      headers: bearer(ownerToken),
    });
    assert.equal(deleted.statusCode, 200);
    assertError(await h.call({ method: 'GET', url: `/api/v1/organizations/${org.org_id}/check` }), 404, 4004);
    const personal = decodeJwt(ownerToken).organizations as { id: string; role: string }[];
    const personalId = personal.find((entry) => entry.id !== org.org_id)!.id;
    const personalToken = await switchTo(ownerToken, personalId);
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${personalId}`,
        headers: bearer(personalToken.access_token),
      }),
      422,
      4002,
    );
  });

  test('invitations: wrong recipient refused, duplicate member refused, email event carries the token', async () => {
    const { org, ownerToken, member } = await teamWithMember();
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${org.org_id}/members`,
        headers: bearer(ownerToken),
        payload: { email: member.email },
      }),
      422,
      4002,
      /^email: /,
    );
    const target = 'invitee@example.com';
    await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${org.org_id}/members`,
      headers: bearer(ownerToken),
      payload: { email: target },
    });
    const mail = await h.lastEmail(target, 'organization_invitation');
    const pending = await h.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/invitations`,
      headers: bearer(ownerToken),
    });
    assert.equal(pending.statusCode, 200);
    const invitation = pending.json().data.items.find((item: { email: string }) => item.email === target);
    assert.ok(invitation);
    const intruder = await h.verifiedUser();
    const refused = await h.call({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: bearer(intruder.accessToken),
      payload: { token: mail.token },
      skipContract: true,
    });
    assert.equal(refused.statusCode, 422);
    const cancel = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/organizations/${org.org_id}/invitations/${invitation.invitation_id}`,
      headers: bearer(ownerToken),
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    const invitee = await h.verifiedUser({ email: target });
    const late = await h.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: bearer(invitee.accessToken),
      payload: { token: mail.token },
    });
    assert.equal(late.statusCode, 422);
    const feed = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/activities?action=invitation.cancelled`,
      headers: bearer(ownerToken),
    });
    assert.equal(feed.json().data.total, 1);
  });
});
