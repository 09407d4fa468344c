import { type BruteForceGuard, PasswordLogin, randomToken, sha256Hex } from '@trustplane/kernel';
import type { KycConfig } from '../config.js';
import type { KycRepositories } from '../db/repositories.js';
import type { UserRow } from '../db/users-repository.js';
import { errors } from '../errors.js';

export interface UserPublic {
  id: string;
  email: string;
  fullName: string;
}

export function toUserPublic(user: UserRow): UserPublic {
  return { id: user.id, email: user.email, fullName: user.full_name };
}

export interface IssuedSession {
  token: string;
  /** Seconds; undefined for a browser-session cookie. */
  cookieMaxAge: number | undefined;
}

/** Operator accounts and their server-side sessions (the cookie carries only a random token). */
export function createOperatorAuth(
  repositories: Pick<KycRepositories, 'users' | 'operatorSessions'>,
  config: KycConfig,
  guard: BruteForceGuard,
) {
  const { users, operatorSessions } = repositories;
  const passwords = new PasswordLogin({ parameters: config.passwordHash });
  return {
    async signup(input: { fullName: string; email: string; password: string }): Promise<UserPublic> {
      const passwordHash = await passwords.hash(input.password);
      const user = await users.insert({ email: input.email, fullName: input.fullName, passwordHash });
      return toUserPublic(user);
    },

    async login(input: {
      email: string;
      password: string;
      rememberDevice: boolean;
    }): Promise<{ user: UserPublic; session: IssuedSession }> {
      // Per-account throttling: a locked account answers like a wrong password (the seed lists no 429
      // for login). Unknown emails cost the same argon2 verify (the kernel's decoy hash).
      const checked = await passwords.check({
        guards: [{ name: 'account', guard, key: `email:${input.email.trim().toLowerCase()}` }],
        find: async () => {
          const found = await users.findByEmail(input.email);
          return found && { account: found, passwordHash: found.password_hash };
        },
        password: input.password,
      });
      if (checked.outcome === 'locked') {
        throw errors.INVALID_CREDENTIALS({
          message: 'Too many failed attempts; try again later',
          headers: { 'retry-after': String(checked.retryAfterSeconds) },
        });
      }
      if (checked.outcome === 'failed') throw errors.INVALID_CREDENTIALS();
      const user = checked.account;
      const token = randomToken(32);
      const ttl = input.rememberDevice ? config.rememberDeviceTtlSeconds : config.operatorSessionTtlSeconds;
      await operatorSessions.insert({
        userId: user.id,
        tokenHash: sha256Hex(token),
        rememberDevice: input.rememberDevice,
        expiresAt: new Date(Date.now() + ttl * 1000),
      });
      return {
        user: toUserPublic(user),
        session: { token, cookieMaxAge: input.rememberDevice ? ttl : undefined },
      };
    },

    async authenticate(token: string | undefined): Promise<UserRow | undefined> {
      if (!token) return undefined;
      return operatorSessions.findUser(sha256Hex(token));
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await operatorSessions.delete(sha256Hex(token));
    },
  };
}

export type OperatorAuth = ReturnType<typeof createOperatorAuth>;
