import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BruteForceGuard,
  hashPassword,
  randomToken,
  sha256Hex,
  verifyPassword,
} from '@trustplane/kernel';
import type { KycConfig } from '../config.js';
import type { UserRow, UsersRepository } from '../db/users-repository.js';
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

// A real hash to verify against when the email is unknown, so both paths cost one argon2 verify.
let decoyHash: Promise<string> | undefined;

/** Operator accounts and their server-side sessions (the cookie carries only a random token). */
export function createOperatorAuth(users: UsersRepository, config: KycConfig, guard: BruteForceGuard) {
  decoyHash ??= hashPassword(randomToken(24), config.passwordHash);
  return {
    async signup(input: { fullName: string; email: string; password: string }): Promise<UserPublic> {
      const passwordHash = await hashPassword(input.password, config.passwordHash);
      const user = await users.insert({ email: input.email, fullName: input.fullName, passwordHash });
      return toUserPublic(user);
    },

    async login(input: {
      email: string;
      password: string;
      rememberDevice: boolean;
    }): Promise<{ user: UserPublic; session: IssuedSession }> {
      // Per-account throttling: a locked account answers like a wrong password (the seed lists no 429
      // for login). The attempt is counted before the hash runs, so parallel guesses cannot outrun it.
      const key = `email:${input.email.trim().toLowerCase()}`;
      const attempt = await guard.reserve(key);
      if (!attempt.allowed) {
        throw errors.INVALID_CREDENTIALS({
          message: 'Too many failed attempts; try again later',
          headers: { 'retry-after': String(attempt.retryAfterSeconds) },
        });
      }
      let user: UserRow | undefined;
      let ok: boolean;
      try {
        user = await users.findByEmail(input.email);
        ok = await verifyPassword(
          user?.password_hash ?? (await (decoyHash as Promise<string>)),
          input.password,
        );
      } catch (error) {
        await attempt.release().catch(() => undefined);
        throw error;
      }
      if (!user || !ok) {
        const failed = await attempt.fail();
        if (failed.delayMs > 0) await sleep(failed.delayMs);
        throw errors.INVALID_CREDENTIALS();
      }
      await attempt.succeed();
      const token = randomToken(32);
      const ttl = input.rememberDevice ? config.rememberDeviceTtlSeconds : config.operatorSessionTtlSeconds;
      await users.createSession({
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
      return users.findBySessionHash(sha256Hex(token));
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await users.deleteSession(sha256Hex(token));
    },
  };
}

export type OperatorAuth = ReturnType<typeof createOperatorAuth>;
