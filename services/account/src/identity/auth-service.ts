import { randomUUID } from 'node:crypto';
import {
  type BruteForceGuard,
  type PasswordLogin,
  type RevocationList,
  randomToken,
  sha256Hex,
} from '@trustplane/kernel';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import { revokeAccessToken, revokeSessions } from '../auth/revocations.js';
import type { TokenService } from '../auth/tokens.js';
import type { AccountConfig } from '../config.js';
import type { AccountRepository } from '../db/accounts-repository.js';
import type { Repositories, TransactionRepositories } from '../db/repositories.js';
import type { AccountRow } from '../db/types.js';
import { errors } from '../errors.js';
import { type OutboxPublisher, publishEmailRequested } from '../events/outbox.js';
import { createOrganization } from '../organizations/create-organization.js';
import { slugify } from '../organizations/slug.js';
import { type HumanAccess, type MembershipView, resolveHumanAccess } from './access.js';
import { normalizeEmail } from './email.js';
import { assertPasswordPolicy } from './password-policy.js';
import type { HumanPrincipal } from './principal.js';

/** What sign-in, sessions and passwords need; the composition root's `AccountDeps` provides it. */
export interface IdentityDeps {
  repositories: Repositories;
  config: AccountConfig;
  tokens: TokenService;
  passwords: PasswordLogin;
  revocations: Pick<RevocationList, 'record' | 'announce'>;
  outbox: OutboxPublisher;
  limits: {
    accountGuard: BruteForceGuard;
    ipGuard: BruteForceGuard;
    bruteForce: { inc(labels: { event: string; scope: string }): void };
  };
}

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

function findHumanByEmail(accounts: AccountRepository, email: string) {
  return accounts.findHumanByEmail(normalizeEmail(email));
}

export async function getAccount(accounts: AccountRepository, id: string): Promise<AccountRow> {
  const account = await accounts.find(id);
  if (!account) throw errors.UNAUTHORIZED('Account no longer exists');
  return account;
}

async function issueGrant(
  deps: IdentityDeps,
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
  deps: IdentityDeps,
  tx: TransactionRepositories,
  accountId: string,
  orgId: string,
  origin: SessionOrigin,
) {
  const id = randomUUID();
  const refreshJti = randomUUID();
  await tx.sessions.insert({
    id,
    accountId,
    organizationId: orgId,
    refreshJti,
    client: origin,
    expiresAt: new Date(Date.now() + deps.config.refreshTokenTtl * 1000),
  });
  return { id, refreshJti };
}

async function queueVerificationEmail(
  deps: IdentityDeps,
  tx: TransactionRepositories,
  account: { id: string; email: string; display_name: string },
  isResend: boolean,
) {
  const token = randomToken(32);
  await tx.emailVerificationTokens.insert({
    tokenHash: sha256Hex(token),
    accountId: account.id,
    expiresAt: new Date(Date.now() + deps.config.emailVerificationTtl * 1000),
  });
  await publishEmailRequested(deps.outbox, tx.executor, {
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
export async function register(deps: IdentityDeps, input: RegisterInput, origin: SessionOrigin) {
  assertPasswordPolicy('password', input.password);
  const email = normalizeEmail(input.email);
  const repos = deps.repositories;
  if (await findHumanByEmail(repos.accounts, email))
    throw errors.VALIDATION('email', 'is already registered');
  const passwordHash = await deps.passwords.hash(input.password);
  const accountId = randomUUID();
  const { account, organization, session } = await repos.transaction(async (tx) => {
    await tx.accounts.insertHuman({
      id: accountId,
      email,
      passwordHash,
      displayName: input.display_name,
      timezone: input.timezone ?? 'UTC',
      language: input.language ?? 'en',
    });
    const organization = await createOrganization(tx, {
      name: `${input.display_name}'s Personal`,
      slug: `${slugify(input.display_name).slice(0, 40)}-personal-${accountId.slice(0, 8)}`,
      ownerId: accountId,
      isPersonal: true,
    });
    const account = await tx.accounts.setDefaultOrganization(accountId, organization.id);
    const session = await insertSession(deps, tx, accountId, organization.id, origin);
    await queueVerificationEmail(deps, tx, { id: accountId, email, display_name: input.display_name }, false);
    await recordAudit(tx.auditLogs, {
      actorId: accountId,
      organizationId: organization.id,
      action: 'account.registered',
      targetType: 'account',
      targetId: accountId,
      origin,
    });
    await recordAudit(tx.auditLogs, {
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
  const access = await resolveHumanAccess(repos.memberships, account, organization.id);
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
  deps: IdentityDeps,
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
      const found = await findHumanByEmail(deps.repositories.accounts, email);
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
      await recordAudit(deps.repositories.auditLogs, {
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
    await deps.repositories.accounts.rehashPassword(account.id, rehashed);
  }
  const access = await resolveHumanAccess(
    deps.repositories.memberships,
    account,
    account.default_organization_id,
  );
  const session = await deps.repositories.transaction(async (tx) => {
    const session = await insertSession(deps, tx, account.id, access.currentOrgId, origin);
    await recordAudit(tx.auditLogs, {
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
  deps: IdentityDeps,
  refreshToken: string,
  origin: SessionOrigin,
): Promise<SessionGrant> {
  const claims = await deps.tokens.verifyRefresh(refreshToken);
  const repos = deps.repositories;
  const session = await repos.sessions.find(claims.sid);
  if (!session || session.account_id !== claims.sub) throw errors.UNAUTHORIZED(SESSION_GONE);
  if (session.revoked_at || session.expires_at.getTime() <= Date.now())
    throw errors.UNAUTHORIZED(SESSION_GONE);
  const newJti = randomUUID();
  const rotated = await repos.transaction(async (tx) => {
    const row = await tx.sessions.rotate(session.id, claims.jti, {
      jti: newJti,
      client: origin,
      expiresAt: new Date(Date.now() + deps.config.refreshTokenTtl * 1000),
    });
    // The used refresh token is dead from now on: the session row holds the only usable refresh
    // JTI. Refresh tokens are accepted nowhere else, so they never go on the revocation list.
    if (!row) return undefined;
    await recordAudit(tx.auditLogs, {
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
    const revoked = await repos.transaction(async (tx) => {
      const sessions = await revokeSessions(deps, tx, { sessionIds: [session.id] }, 'refresh_token_reuse');
      await recordAudit(tx.auditLogs, {
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
  const account = await getAccount(repos.accounts, session.account_id);
  const access = await resolveHumanAccess(repos.memberships, account, rotated.organization_id);
  if (access.currentOrgId !== rotated.organization_id) {
    await repos.sessions.setOrganization(session.id, access.currentOrgId);
  }
  return issueGrant(deps, account, session.id, access, newJti);
}

/** Same session, new pair bound to another org the caller belongs to. */
export async function switchOrganization(
  deps: IdentityDeps,
  principal: HumanPrincipal,
  orgId: string,
  origin: SessionOrigin,
): Promise<SessionGrant> {
  const repos = deps.repositories;
  const account = await getAccount(repos.accounts, principal.accountId);
  const access = await resolveHumanAccess(repos.memberships, account, orgId);
  if (access.currentOrgId !== orgId) throw errors.NOT_FOUND('Organization');
  const newJti = randomUUID();
  const revoked = await repos.transaction(async (tx) => {
    if (!(await tx.sessions.switchOrganization(principal.sessionId, orgId, newJti))) {
      throw errors.UNAUTHORIZED(SESSION_GONE);
    }
    // The token that asked for the switch speaks for the old org; it stops here.
    const asking = await revokeAccessToken(deps, tx, principal, 'organization_switched');
    await recordAudit(tx.auditLogs, {
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

export async function logout(deps: IdentityDeps, principal: HumanPrincipal, origin: RequestOrigin) {
  const revoked = await deps.repositories.transaction(async (tx) => {
    const sessions = await revokeSessions(deps, tx, { sessionIds: [principal.sessionId] }, 'logout');
    const token = await revokeAccessToken(deps, tx, principal, 'logout');
    await recordAudit(tx.auditLogs, {
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

export async function logoutAll(deps: IdentityDeps, principal: HumanPrincipal, origin: RequestOrigin) {
  const revoked = await deps.repositories.transaction(async (tx) => {
    const sessions = await revokeSessions(deps, tx, { accountId: principal.accountId }, 'logout_all');
    const token = await revokeAccessToken(deps, tx, principal, 'logout_all');
    await recordAudit(tx.auditLogs, {
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
  deps: IdentityDeps,
  principal: HumanPrincipal,
  sessionId: string,
  origin: RequestOrigin,
) {
  const revoked = await deps.repositories.transaction(async (tx) => {
    if (!(await tx.sessions.findLive(sessionId, principal.accountId))) throw errors.NOT_FOUND('Session');
    const sessions = await revokeSessions(deps, tx, { sessionIds: [sessionId] }, 'revoked_by_user');
    await recordAudit(tx.auditLogs, {
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

export function listSessions(deps: Pick<IdentityDeps, 'repositories'>, accountId: string) {
  return deps.repositories.sessions.listLive(accountId);
}

/**
 * Verifies the current password, stores the new one, and ends every other session. The check is
 * a guess at the same secret as a login, so it counts on the account's brute-force guard (a stolen
 * access token must not become an unthrottled password oracle).
 */
export async function changePassword(
  deps: IdentityDeps,
  principal: HumanPrincipal,
  input: { current_password: string; new_password: string },
  origin: RequestOrigin,
) {
  const account = await getAccount(deps.repositories.accounts, principal.accountId);
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
  const revoked = await deps.repositories.transaction(async (tx) => {
    await tx.accounts.setPassword(account.id, passwordHash);
    const sessions = await revokeSessions(
      deps,
      tx,
      { accountId: account.id, exceptSessionId: principal.sessionId },
      'password_changed',
    );
    await recordAudit(tx.auditLogs, {
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
export async function resendVerification(deps: IdentityDeps, email: string) {
  const account = await findHumanByEmail(deps.repositories.accounts, email);
  if (!account || account.email_verified_at || !account.email) return;
  await deps.repositories.transaction(async (tx) => {
    await queueVerificationEmail(
      deps,
      tx,
      { id: account.id, email: account.email!, display_name: account.display_name },
      true,
    );
  });
}

/** Marks the email verified; the next token issued carries the role's full permissions. */
export async function verifyEmail(deps: IdentityDeps, token: string): Promise<{ email: string }> {
  return deps.repositories.transaction(async (tx) => {
    const accountId = await tx.emailVerificationTokens.consume(sha256Hex(token));
    if (!accountId) throw errors.VALIDATION('token', 'is invalid, expired or already used');
    const account = await tx.accounts.markEmailVerified(accountId);
    await recordAudit(tx.auditLogs, {
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
export async function requestPasswordReset(deps: IdentityDeps, email: string) {
  const account = await findHumanByEmail(deps.repositories.accounts, email);
  if (!account?.email) return;
  const jti = randomUUID();
  const issued = await deps.tokens.signPasswordReset(account.id, jti);
  await deps.repositories.transaction(async (tx) => {
    await tx.passwordResetTokens.insert({
      jti,
      accountId: account.id,
      tokenHash: sha256Hex(issued.token),
      expiresAt: issued.expiresAt,
    });
    await publishEmailRequested(deps.outbox, tx.executor, {
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
  deps: IdentityDeps,
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
  const { email, revoked } = await deps.repositories.transaction(async (tx) => {
    const used = await tx.passwordResetTokens.consume({
      jti: claims.jti,
      accountId: claims.sub,
      tokenHash: sha256Hex(input.token),
    });
    if (!used) throw errors.UNAUTHORIZED('Reset token is invalid or has already been used');
    const account = await tx.accounts.setPassword(claims.sub, passwordHash);
    const sessions = await revokeSessions(deps, tx, { accountId: account.id }, 'password_reset');
    await recordAudit(tx.auditLogs, {
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
