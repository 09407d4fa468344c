import { setTimeout as sleep } from 'node:timers/promises';
import type { BruteForceAttempt, BruteForceGuard } from '../ratelimit/brute-force-guard.js';
import { randomToken } from '../secrets/api-keys.js';
import {
  hashPassword,
  needsRehash,
  PASSWORD_HASH_PARAMETERS,
  type PasswordHashParameters,
  verifyPassword,
} from '../secrets/passwords.js';

/** One brute-force guard a password check is counted on. */
export interface PasswordGuardSlot {
  /** Named in a `locked` result (`account`, `ip`). */
  name: string;
  guard: BruteForceGuard;
  key: string;
  /**
   * On a right password: `reset` forgets the key's failures (the account's own counter, the
   * default); `release` only gives this attempt back (a key many accounts share, such as an IP).
   */
  onSuccess?: 'reset' | 'release';
}

export interface PasswordCheck<A> {
  /** Every guard is reserved before the password is checked; at least one. */
  guards: readonly PasswordGuardSlot[];
  /** The account and its stored hash; undefined, or a null hash, when there is none to check. */
  find(): Promise<{ account: A; passwordHash: string | null } | undefined>;
  password: string;
}

export type PasswordCheckResult<A> =
  /** A guard refused: the password was not checked, no attempt stays counted on the others. */
  | { outcome: 'locked'; guard: string; retryAfterSeconds: number }
  /** Wrong password or no such account (then `account` is undefined); the progressive delay has been held. */
  | { outcome: 'failed'; account: A | undefined }
  /** Right password. `needsRehash`: the stored hash was made with other parameters; store a new one. */
  | { outcome: 'verified'; account: A; needsRehash: boolean };

export interface PasswordLoginOptions {
  /** The parameters new hashes are made with; the decoy is hashed with them too. */
  parameters?: PasswordHashParameters;
}

// One decoy per parameter set, for the life of the process: made once, verified against on every
// unknown account, so that path costs one argon2 verify with the same parameters as a real one.
const decoys = new Map<string, Promise<string>>();

function decoyHash(parameters: PasswordHashParameters): Promise<string> {
  const key = `${parameters.memoryCost}:${parameters.timeCost}:${parameters.parallelism}`;
  let decoy = decoys.get(key);
  if (!decoy) {
    decoy = hashPassword(randomToken(24), parameters);
    decoys.set(key, decoy);
    decoy.catch(() => decoys.delete(key));
  }
  return decoy;
}

async function settleAll(
  attempts: readonly BruteForceAttempt[],
  settle: (attempt: BruteForceAttempt, index: number) => Promise<unknown>,
) {
  await Promise.all(attempts.map((attempt, index) => settle(attempt, index)));
}

/**
 * Password login as every service does it: the attempt is counted on each guard *before* the
 * hash runs (`BruteForceGuard.reserve`, atomic in the store, so parallel guesses cannot outrun the
 * counters), a locked key is refused without checking anything, an unknown account is verified
 * against a decoy hash (same argon2 cost, so timing does not tell which emails exist), and a
 * failure holds its answer for the guards' progressive delay.
 */
export class PasswordLogin {
  readonly parameters: PasswordHashParameters;

  constructor(options: PasswordLoginOptions = {}) {
    this.parameters = options.parameters ?? PASSWORD_HASH_PARAMETERS;
    // Made now, so the first unknown-account login does not pay for the decoy's hash.
    decoyHash(this.parameters).catch(() => undefined);
  }

  /** A new hash of `password` with this login's parameters. */
  hash(password: string): Promise<string> {
    return hashPassword(password, this.parameters);
  }

  async check<A>(input: PasswordCheck<A>): Promise<PasswordCheckResult<A>> {
    if (input.guards.length === 0) throw new TypeError('a password check needs at least one guard');
    const reserved = await Promise.allSettled(input.guards.map((slot) => slot.guard.reserve(slot.key)));
    const attempts = reserved.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const storeFailure = reserved.find((result) => result.status === 'rejected');
    if (storeFailure) {
      await settleAll(attempts, (attempt) => attempt.release());
      throw storeFailure.reason;
    }
    const refused = attempts.findIndex((attempt) => !attempt.allowed);
    if (refused >= 0) {
      // The other guards' attempts were never checked: they must not count.
      await settleAll(attempts, (attempt) => attempt.release());
      return {
        outcome: 'locked',
        guard: (input.guards[refused] as PasswordGuardSlot).name,
        retryAfterSeconds: (attempts[refused] as BruteForceAttempt).retryAfterSeconds,
      };
    }
    let found: Awaited<ReturnType<PasswordCheck<A>['find']>>;
    let valid: boolean;
    try {
      found = await input.find();
      valid = found?.passwordHash
        ? await verifyPassword(found.passwordHash, input.password)
        : (await verifyPassword(await decoyHash(this.parameters), input.password)) && false;
    } catch (error) {
      await settleAll(attempts, (attempt) => attempt.release()).catch(() => undefined);
      throw error;
    }
    if (!found || !valid) {
      const statuses = await Promise.all(attempts.map((attempt) => attempt.fail()));
      const delayMs = Math.max(0, ...statuses.map((status) => status.delayMs));
      if (delayMs > 0) await sleep(delayMs);
      return { outcome: 'failed', account: found?.account };
    }
    await settleAll(attempts, (attempt, index) =>
      input.guards[index]?.onSuccess === 'release' ? attempt.release() : attempt.succeed(),
    );
    return {
      outcome: 'verified',
      account: found.account,
      needsRehash: needsRehash(found.passwordHash as string, this.parameters),
    };
  }
}
