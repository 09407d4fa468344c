import { randomUUID } from 'node:crypto';
import { PG_ERROR, pgConstraint, pgErrorCode, randomToken, sha256Hex } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import { revokeAccessToken, revokeSessions } from '../auth/revocations.js';
import type { AccountDeps } from '../deps.js';
import type { AccountDB, AccountRow } from '../db/types.js';
import { errors } from '../errors.js';
import { publishEmailRequested } from '../events/outbox.js';
import type { Principal } from '../http/principal.js';
import { createOrganization } from '../organizations/create-organization.js';
import { slugify } from '../organizations/slug.js';
import { type HumanAccess, type MembershipView, resolveHumanAccess } from './access.js';
import { assertPasswordPolicy } from './password-policy.js';

export interface SessionOrigin extends RequestOrigin {
  deviceFingerprint: string;
}

/** What login, refresh and switch answer (the cookie + CSRF token are added by the route). */
export interface SessionGrant {
  account_id: string;
  email: string;
  display_name: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  organizations: MembershipView[];
  current_org_id: string;
  requires_email_verification: boolean;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

async function findHumanByEmail(db: Kysely<AccountDB>, email: string) {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', normalizeEmail(email)))
    .where('account_type', '=', 'human')
    .executeTakeFirst();
}

export async function getAccount(db: Kysely<AccountDB>, id: string): Promise<AccountRow> {
  const account = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!account) throw errors.UNAUTHORIZED('Account no longer exists');
  return account;
}

async function issueGrant(
  deps: AccountDeps,
  account: AccountRow,
  sessionId: string,
  access: HumanAccess,
  refreshJti: string,
): Promise<SessionGrant> {
  const [accessToken, refreshToken] = await Promise.all([
    deps.tokens.signAccess({
      sub: account.id,
      sid: sessionId,
      orgId: access.currentOrgId,
      permissions: access.permissions,
      organizations: access.organizations,
      principalType: 'human',
    }),
    deps.tokens.signRefresh(account.id, sessionId, access.currentOrgId, refreshJti),
  ]);
  return {
    account_id: account.id,
    email: account.email ?? '',
    display_name: account.display_name,
    access_token: accessToken.token,
    refresh_token: refreshToken.token,
    expires_in: deps.config.accessTokenTtl,
    organizations: access.memberships,
    current_org_id: access.currentOrgId,
    requires_email_verification: account.email_verified_at === null,
  };
}

async function insertSession(
  deps: AccountDeps,
  trx: Kysely<AccountDB>,
  accountId: string,
  orgId: string,
  origin: SessionOrigin,
) {
  const id = randomUUID();
  const refreshJti = randomUUID();
  await trx
    .insertInto('sessions')
    .values({
      id,
      account_id: accountId,
      organization_id: orgId,
      refresh_jti: refreshJti,
      ip_address: origin.ip,
      user_agent: origin.userAgent.slice(0, 500),
      device_fingerprint: origin.deviceFingerprint.slice(0, 200),
      expires_at: new Date(Date.now() + deps.config.refreshTokenTtl * 1000),
    })
    .execute();
  return { id, refreshJti };
}

async function queueVerificationEmail(
  deps: AccountDeps,
  trx: Kysely<AccountDB>,
  account: { id: string; email: string; display_name: string },
  isResend: boolean,
) {
  const token = randomToken(32);
  await trx
    .insertInto('email_verification_tokens')
    .values({
      token_hash: sha256Hex(token),
      account_id: account.id,
      expires_at: new Date(Date.now() + deps.config.emailVerificationTtl * 1000),
    })
    .execute();
  await publishEmailRequested(deps.outbox, trx, {
    to: account.email,
    template: 'email_verification',
    display_name: account.display_name,
    token,
    base_url: deps.config.frontendBaseUrl,
    is_resend: isResend,
  });
}

export interface RegisterInput {
  email: string;
  password: string;
  display_name: string;
  timezone?: string | undefined;
  language?: string | undefined;
}

/** Account + personal org (owner, `*`) + session + verification email, in one transaction. */
export async function register(deps: AccountDeps, input: RegisterInput, origin: SessionOrigin) {
  assertPasswordPolicy('password', input.password);
  const email = normalizeEmail(input.email);
  if (await findHumanByEmail(deps.db, email)) throw errors.VALIDATION('email', 'is already registered');
  const passwordHash = await deps.passwords.hash(input.password);
  const accountId = randomUUID();
  const { account, organization, session } = await deps.db.transaction().execute(async (trx) => {
    let account: AccountRow;
    try {
      account = await trx
        .insertInto('accounts')
        .values({
          id: accountId,
          account_type: 'human',
          email,
          password_hash: passwordHash,
          display_name: input.display_name,
          timezone: input.timezone ?? 'UTC',
          language: input.language ?? 'en',
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (
        pgErrorCode(error) === PG_ERROR.uniqueViolation &&
        pgConstraint(error) === 'accounts_email_unique'
      ) {
        throw errors.VALIDATION('email', 'is already registered');
      }
      throw error;
    }
    const organization = await createOrganization(trx, {
      name: `${input.display_name}'s Personal`,
      slug: `${slugify(input.display_name).slice(0, 40)}-personal-${accountId.slice(0, 8)}`,
      ownerId: accountId,
      isPersonal: true,
    });
    account = await trx
      .updateTable('accounts')
      .set({ default_organization_id: organization.id })
      .where('id', '=', accountId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const session = await insertSession(deps, trx, accountId, organization.id, origin);
    await queueVerificationEmail(
      deps,
      trx,
      { id: accountId, email, display_name: input.display_name },
      false,
    );
    await recordAudit(trx, {
      actorId: accountId,
      organizationId: organization.id,
      action: 'account.registered',
      targetType: 'account',
      targetId: accountId,
      origin,
    });
    await recordAudit(trx, {
      actorId: accountId,
      organizationId: organization.id,
      action: 'organization.created',
      targetType: 'organization',
      targetId: organization.id,
      targetLabel: organization.name,
      origin,
    });
    return { account, organization, session };
  });
  const access = await resolveHumanAccess(deps.db, account, organization.id);
  const grant = await issueGrant(deps, account, session.id, access, session.refreshJti);
  return { grant, personalOrg: access.memberships.find((m) => m.org_id === organization.id)! };
}

/**
 * Email + password, behind per-account and per-IP brute-force guards. The attempt is counted on
 * both before the password is checked (so parallel guesses cannot outrun the counters), and a
 * locked key is refused (429) without checking it; each failure holds the answer for the
 * progressive delay. A success resets the account's counter and gives the IP its attempt back.
 */
export async function login(
  deps: AccountDeps,
  input: { email: string; password: string },
  origin: SessionOrigin,
): Promise<SessionGrant> {
  const email = normalizeEmail(input.email);
  const checked = await deps.passwords.check({
    guards: [
      { name: 'account', guard: deps.limits.accountGuard, key: sha256Hex(email) },
      // An IP is shared by many accounts: a success gives its attempt back, never its failures.
      { name: 'ip', guard: deps.limits.ipGuard, key: origin.ip, onSuccess: 'release' },
    ],
    find: async () => {
      const found = await findHumanByEmail(deps.db, email);
      return found && { account: found, passwordHash: found.password_hash };
    },
    password: input.password,
  });
  if (checked.outcome === 'locked') {
    deps.limits.bruteForce.inc({ event: 'locked_out', scope: checked.guard });
    throw errors.RATE_LIMITED(
      checked.retryAfterSeconds,
      deps.config.bruteForce.maxFailures,
      deps.config.bruteForce.lockoutSeconds,
    );
  }
  if (checked.outcome === 'failed') {
    deps.limits.bruteForce.inc({ event: 'failure', scope: 'account' });
    deps.limits.bruteForce.inc({ event: 'failure', scope: 'ip' });
    const failed = checked.account;
    if (failed) {
      await recordAudit(deps.db, {
        actorId: failed.id,
        organizationId: failed.default_organization_id,
        action: 'auth.login_failed',
        targetType: 'account',
        targetId: failed.id,
        origin,
      });
    }
    throw errors.UNAUTHORIZED('Invalid email or password');
  }
  const account = checked.account;
  if (checked.needsRehash) {
    const rehashed = await deps.passwords.hash(input.password);
    await deps.db
      .updateTable('accounts')
      .set({ password_hash: rehashed })
      .where('id', '=', account.id)
      .execute();
  }
  const access = await resolveHumanAccess(deps.db, account, account.default_organization_id);
  const session = await deps.db.transaction().execute(async (trx) => {
    const session = await insertSession(deps, trx, account.id, access.currentOrgId, origin);
    await recordAudit(trx, {
      actorId: account.id,
      organizationId: access.currentOrgId,
      action: 'auth.login',
      targetType: 'session',
      targetId: session.id,
      origin,
    });
    return session;
  });
  return issueGrant(deps, account, session.id, access, session.refreshJti);
}

const SESSION_GONE = 'Session has been revoked or expired';

/**
 * Rotates the refresh token of a session. Only the session's current refresh JTI is accepted; a
 * valid but older one is a replay of a rotated token, and revokes the whole session.
 */
export async function refresh(
  deps: AccountDeps,
  refreshToken: string,
  origin: SessionOrigin,
): Promise<SessionGrant> {
  const claims = await deps.tokens.verifyRefresh(refreshToken);
  const session = await deps.db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', claims.sid)
    .executeTakeFirst();
  if (!session || session.account_id !== claims.sub) throw errors.UNAUTHORIZED(SESSION_GONE);
  if (session.revoked_at || session.expires_at.getTime() <= Date.now())
    throw errors.UNAUTHORIZED(SESSION_GONE);
  const newJti = randomUUID();
  const rotated = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('sessions')
      .set({
        refresh_jti: newJti,
        last_used_at: new Date(),
        ip_address: origin.ip,
        user_agent: origin.userAgent.slice(0, 500),
        expires_at: new Date(Date.now() + deps.config.refreshTokenTtl * 1000),
      })
      .where('id', '=', session.id)
      .where('refresh_jti', '=', claims.jti)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    // The used refresh token is dead from now on: the session row holds the only usable refresh
    // JTI. Refresh tokens are accepted nowhere else, so they never go on the revocation list.
    if (!row) return undefined;
    await recordAudit(trx, {
      actorId: session.account_id,
      organizationId: session.organization_id,
      action: 'auth.token_refreshed',
      targetType: 'session',
      targetId: session.id,
      origin,
    });
    return row;
  });
  if (!rotated) {
    const revoked = await deps.db.transaction().execute(async (trx) => {
      const sessions = await revokeSessions(deps, trx, { sessionIds: [session.id] }, 'refresh_token_reuse');
      await recordAudit(trx, {
        actorId: session.account_id,
        organizationId: session.organization_id,
        action: 'auth.refresh_reuse_detected',
        targetType: 'session',
        targetId: session.id,
        origin,
      });
      return sessions;
    });
    deps.revocations.announce(revoked);
    throw errors.UNAUTHORIZED('Refresh token has already been used; the session has been revoked');
  }
  const account = await getAccount(deps.db, session.account_id);
  const access = await resolveHumanAccess(deps.db, account, rotated.organization_id);
  if (access.currentOrgId !== rotated.organization_id) {
    await deps.db
      .updateTable('sessions')
      .set({ organization_id: access.currentOrgId })
      .where('id', '=', session.id)
      .execute();
  }
  return issueGrant(deps, account, session.id, access, newJti);
}

/** Same session, new pair bound to another org the caller belongs to. */
export async function switchOrganization(
  deps: AccountDeps,
  principal: Principal & { sessionId: string },
  orgId: string,
  origin: SessionOrigin,
): Promise<SessionGrant> {
  const account = await getAccount(deps.db, principal.accountId);
  const access = await resolveHumanAccess(deps.db, account, orgId);
  if (access.currentOrgId !== orgId) throw errors.NOT_FOUND('Organization');
  const newJti = randomUUID();
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('sessions')
      .set({ organization_id: orgId, refresh_jti: newJti, last_used_at: new Date() })
      .where('id', '=', principal.sessionId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!row) throw errors.UNAUTHORIZED(SESSION_GONE);
    // The token that asked for the switch speaks for the old org; it stops here.
    const asking = await revokeAccessToken(deps, trx, principal, 'organization_switched');
    await recordAudit(trx, {
      actorId: account.id,
      organizationId: orgId,
      action: 'organization.switched',
      targetType: 'organization',
      targetId: orgId,
      origin,
    });
    return asking;
  });
  deps.revocations.announce(revoked);
  return issueGrant(deps, account, principal.sessionId, access, newJti);
}

export async function logout(
  deps: AccountDeps,
  principal: Principal & { sessionId: string },
  origin: RequestOrigin,
) {
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const sessions = await revokeSessions(deps, trx, { sessionIds: [principal.sessionId] }, 'logout');
    const token = await revokeAccessToken(deps, trx, principal, 'logout');
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: principal.orgId,
      action: 'auth.logout',
      targetType: 'session',
      targetId: principal.sessionId,
      origin,
    });
    return [...sessions, ...token];
  });
  deps.revocations.announce(revoked);
}

export async function logoutAll(
  deps: AccountDeps,
  principal: Principal & { sessionId: string },
  origin: RequestOrigin,
) {
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const sessions = await revokeSessions(deps, trx, { accountId: principal.accountId }, 'logout_all');
    const token = await revokeAccessToken(deps, trx, principal, 'logout_all');
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: principal.orgId,
      action: 'auth.logout',
      targetType: 'account',
      targetId: principal.accountId,
      metadata: { all_sessions: true, sessions_revoked: sessions.length },
      origin,
    });
    return [...sessions, ...token];
  });
  deps.revocations.announce(revoked);
}

export async function revokeOwnSession(
  deps: AccountDeps,
  principal: Principal & { sessionId: string },
  sessionId: string,
  origin: RequestOrigin,
) {
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const session = await trx
      .selectFrom('sessions')
      .select(['id'])
      .where('id', '=', sessionId)
      .where('account_id', '=', principal.accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    if (!session) throw errors.NOT_FOUND('Session');
    const sessions = await revokeSessions(deps, trx, { sessionIds: [sessionId] }, 'revoked_by_user');
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: principal.orgId,
      action: 'auth.session_revoked',
      targetType: 'session',
      targetId: sessionId,
      origin,
    });
    return sessions;
  });
  deps.revocations.announce(revoked);
}

export async function listSessions(deps: AccountDeps, accountId: string) {
  return deps.db
    .selectFrom('sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .execute();
}

/**
 * Verifies the current password, stores the new one, and ends every other session. The check is
 * a guess at the same secret as a login, so it counts on the account's brute-force guard (a stolen
 * access token must not become an unthrottled password oracle).
 */
export async function changePassword(
  deps: AccountDeps,
  principal: Principal & { sessionId: string },
  input: { current_password: string; new_password: string },
  origin: RequestOrigin,
) {
  const account = await getAccount(deps.db, principal.accountId);
  if (!account.password_hash) throw errors.UNAUTHORIZED('Current password is incorrect');
  const checked = await deps.passwords.check({
    guards: [
      {
        name: 'account',
        guard: deps.limits.accountGuard,
        key: sha256Hex(normalizeEmail(account.email ?? '')),
      },
    ],
    find: async () => ({ account, passwordHash: account.password_hash }),
    password: input.current_password,
  });
  if (checked.outcome === 'locked') {
    deps.limits.bruteForce.inc({ event: 'locked_out', scope: 'account' });
    throw errors.RATE_LIMITED(
      checked.retryAfterSeconds,
      deps.config.bruteForce.maxFailures,
      deps.config.bruteForce.lockoutSeconds,
    );
  }
  if (checked.outcome === 'failed') {
    deps.limits.bruteForce.inc({ event: 'failure', scope: 'account' });
    throw errors.UNAUTHORIZED('Current password is incorrect');
  }
  assertPasswordPolicy('new_password', input.new_password);
  const passwordHash = await deps.passwords.hash(input.new_password);
  const revoked = await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', account.id)
      .execute();
    const sessions = await revokeSessions(
      deps,
      trx,
      { accountId: account.id, exceptSessionId: principal.sessionId },
      'password_changed',
    );
    await recordAudit(trx, {
      actorId: account.id,
      organizationId: principal.orgId,
      action: 'auth.password_changed',
      targetType: 'account',
      targetId: account.id,
      origin,
    });
    return sessions;
  });
  deps.revocations.announce(revoked);
}

/** Always the same answer; only an unverified human account gets a new email. */
export async function resendVerification(deps: AccountDeps, email: string) {
  const account = await findHumanByEmail(deps.db, email);
  if (!account || account.email_verified_at || !account.email) return;
  await deps.db.transaction().execute(async (trx) => {
    await queueVerificationEmail(
      deps,
      trx,
      { id: account.id, email: account.email!, display_name: account.display_name },
      true,
    );
  });
}

/** Marks the email verified; the next token issued carries the role's full permissions. */
export async function verifyEmail(deps: AccountDeps, token: string): Promise<{ email: string }> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('email_verification_tokens')
      .set({ used_at: new Date() })
      .where('token_hash', '=', sha256Hex(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning(['account_id'])
      .executeTakeFirst();
    if (!row) throw errors.VALIDATION('token', 'is invalid, expired or already used');
    const account = await trx
      .updateTable('accounts')
      .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(new Date())) }))
      .where('id', '=', row.account_id)
      .returning(['id', 'email', 'default_organization_id'])
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actorId: account.id,
      organizationId: account.default_organization_id,
      action: 'account.email_verified',
      targetType: 'account',
      targetId: account.id,
    });
    return { email: account.email ?? '' };
  });
}

/** Always succeeds; a known human account gets a single-use 1-hour reset JWT by email. */
export async function requestPasswordReset(deps: AccountDeps, email: string) {
  const account = await findHumanByEmail(deps.db, email);
  if (!account?.email) return;
  const jti = randomUUID();
  const issued = await deps.tokens.signPasswordReset(account.id, jti);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('password_reset_tokens')
      .values({
        jti,
        account_id: account.id,
        token_hash: sha256Hex(issued.token),
        expires_at: issued.expiresAt,
      })
      .execute();
    await publishEmailRequested(deps.outbox, trx, {
      to: account.email!,
      template: 'password_reset',
      display_name: account.display_name,
      token: issued.token,
      base_url: deps.config.frontendBaseUrl,
    });
  });
}

/** Signature + exp + unused JTI; then new hash, every session revoked, lockout cleared. */
export async function confirmPasswordReset(
  deps: AccountDeps,
  input: { token: string; new_password: string },
  origin: RequestOrigin,
) {
  let claims: Awaited<ReturnType<typeof deps.tokens.verifyPasswordReset>>;
  try {
    claims = await deps.tokens.verifyPasswordReset(input.token);
  } catch {
    throw errors.UNAUTHORIZED('Reset token is invalid or expired');
  }
  if (!claims.permissions?.includes('password:reset'))
    throw errors.UNAUTHORIZED('Reset token is invalid or expired');
  // Checked before the token is spent: a weak password must not burn the link.
  assertPasswordPolicy('new_password', input.new_password);
  const passwordHash = await deps.passwords.hash(input.new_password);
  const { email, revoked } = await deps.db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable('password_reset_tokens')
      .set({ used_at: new Date() })
      .where('jti', '=', claims.jti)
      .where('account_id', '=', claims.sub)
      .where('token_hash', '=', sha256Hex(input.token))
      .where('used_at', 'is', null)
      .returning('jti')
      .executeTakeFirst();
    if (!used) throw errors.UNAUTHORIZED('Reset token is invalid or has already been used');
    const account = await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', claims.sub)
      .returning(['id', 'email', 'default_organization_id'])
      .executeTakeFirstOrThrow();
    const sessions = await revokeSessions(deps, trx, { accountId: account.id }, 'password_reset');
    await recordAudit(trx, {
      actorId: account.id,
      organizationId: account.default_organization_id,
      action: 'auth.password_reset',
      targetType: 'account',
      targetId: account.id,
      origin,
    });
    return { email: account.email ?? '', revoked: sessions };
  });
  deps.revocations.announce(revoked);
  await deps.limits.accountGuard.succeed(sha256Hex(normalizeEmail(email)));
}
