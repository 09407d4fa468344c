import type { Transaction } from 'kysely';
import type { UserPrincipal } from '../auth/principal.js';
import {
  type AccountRepository,
  type AccountRow,
  PreferencesTooLargeError,
} from '../db/account-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import { fieldInvalid } from '../orgs/orgs.js';

/** The seed's `Account`. */
export interface AccountView {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  title: string | null;
  timezone: string | null;
  preferences: Record<string, unknown>;
}

export interface AccountPatch {
  name?: string | undefined;
  title?: string | undefined;
  timezone?: string | undefined;
  preferences?: Record<string, unknown> | undefined;
}

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** An IANA time zone name ICU knows (`Europe/Istanbul`, `UTC`); offsets and abbreviations are not. */
export function isIanaTimeZone(value: string): boolean {
  if (!IANA_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function view(row: AccountRow): AccountView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.emailVerified,
    title: row.title,
    timezone: row.timezone,
    preferences: row.preferences ?? {},
  };
}

export interface AccountDeps {
  accounts: AccountRepository;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
}

export function createAccount(deps: AccountDeps) {
  return {
    async get(user: UserPrincipal): Promise<AccountView> {
      const row = await deps.accounts.byUserId(user.userId);
      if (!row) throw errors.UNAUTHORIZED();
      return view(row);
    },

    /** `preferences` is merged shallowly: a key set to null is removed; at most 16 KB once merged. */
    async update(user: UserPrincipal, patch: AccountPatch): Promise<void> {
      if (patch.timezone !== undefined && !isIanaTimeZone(patch.timezone)) {
        throw fieldInvalid('timezone', 'not an IANA time zone name (e.g. Europe/Istanbul)');
      }
      const set: Record<string, unknown> = {};
      const remove: string[] = [];
      for (const [key, value] of Object.entries(patch.preferences ?? {})) {
        if (value === null) remove.push(key);
        else set[key] = value;
      }
      try {
        await deps.transaction(async (trx) => {
          if (patch.name !== undefined) await deps.accounts.updateName(trx, user.userId, patch.name);
          await deps.accounts.updateProfile(trx, user.userId, {
            ...(patch.title !== undefined ? { title: patch.title } : {}),
            ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
            set,
            remove,
          });
        });
      } catch (error) {
        if (error instanceof PreferencesTooLargeError) {
          throw fieldInvalid('preferences', 'preferences exceed 16 KB once merged');
        }
        throw error;
      }
    },
  };
}

export type Account = ReturnType<typeof createAccount>;
