import { hashPassword, type Mailer, openSecret, randomToken, sealSecret } from '@trustplane/kernel';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { newId } from '../db/ids.js';
import type { UserRole, VerifactDatabase } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import { EmailTakenError, type UserRepository, type UserRow } from '../db/user-repository.js';
import type { WelcomeMailRepository } from '../db/welcome-mail-repository.js';
import { errors } from '../errors.js';

export function userJson(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    district: user.district,
    surveyorLicense: user.surveyor_license,
    active: user.active,
    createdAt: user.created_at.toISOString(),
  };
}

export interface CreateUserInput {
  email: string;
  name: string;
  role: 'surveyor' | 'adjuster' | 'siu';
  district?: string | undefined;
  surveyorLicense?: string | undefined;
}

export interface UpdateUserInput {
  name?: string | undefined;
  district?: string | undefined;
  surveyorLicense?: string | undefined;
  active?: boolean | undefined;
}

export interface UsersDeps {
  db: Kysely<VerifactDatabase>;
  repository: UserRepository;
  welcomeMails: WelcomeMailRepository;
  /**
   * Queues the job that retries the welcome mail, in the transaction that creates the user; it
   * starts after the inline try had its chance.
   */
  enqueueWelcome(trx: Transaction<VerifactDatabase>, userId: string): Promise<unknown>;
  mailer: Mailer;
  logger: Logger;
  /** Seals the one-time password while its mail waits (derived from the platform secret). */
  sealingKey: Buffer;
}

export function createUsers(deps: UsersDeps) {
  const { repository } = deps;

  /**
   * One delivery attempt of a user's welcome mail, holding its row so the inline attempt and the
   * job never both send. `sent` also when it had already gone out; `busy` when another attempt
   * holds it; `failed` when the mailer refused (the row counts the attempt and keeps the error).
   */
  async function deliverWelcome(userId: string): Promise<'sent' | 'busy' | 'failed'> {
    return deps.db.transaction().execute(async (trx) => {
      const pending = await deps.welcomeMails.claim(trx, userId);
      if (pending === 'done') return 'sent';
      if (pending === 'busy') return 'busy';
      const temporaryPassword = openSecret(deps.sealingKey, pending.sealedPassword);
      try {
        await deps.mailer.send({
          to: pending.email,
          subject: `Your Verifact account at ${pending.tenantName}`,
          text: [
            `Hello ${pending.name},`,
            '',
            `${pending.tenantName} has created a Verifact ${pending.role} account for you.`,
            `Sign in with ${pending.email} and this one-time password: ${temporaryPassword}`,
            'You will be asked to choose your own password at first sign-in.',
          ].join('\n'),
        });
      } catch (error) {
        deps.logger.warn({ err: error, userId }, 'welcome mail not sent; it will be retried');
        await deps.welcomeMails.markFailed(trx, userId, String((error as Error).message ?? error));
        return 'failed';
      }
      await deps.welcomeMails.markSent(trx, userId);
      return 'sent';
    });
  }

  return {
    deliverWelcome,
    /**
     * Creates the user, its sealed welcome mail and the job that retries it, in one transaction;
     * then tries the mail at once. `welcomeEmailSent` says whether that first try went out; if not,
     * the job sends it later (with backoff), so a failed send is never lost.
     */
    async create(tenant: TenantRow, input: CreateUserInput) {
      const license = input.surveyorLicense?.trim() || undefined;
      if (input.role === 'surveyor' && !license) {
        throw errors.unprocessable('surveyorLicense: required when role is surveyor (IRDAI licence number)');
      }
      if (input.role !== 'surveyor' && license) {
        throw errors.unprocessable('surveyorLicense: only surveyors carry a licence');
      }
      const temporaryPassword = randomToken(12);
      const passwordHash = await hashPassword(temporaryPassword);
      let user: UserRow;
      try {
        user = await deps.db.transaction().execute(async (trx) => {
          const inserted = await repository.insert(
            {
              id: newId('usr'),
              tenant_id: tenant.id,
              email: input.email.trim(),
              name: input.name.trim(),
              role: input.role,
              district: input.district ?? null,
              surveyor_license: license ?? null,
              password_hash: passwordHash,
            },
            trx,
          );
          await deps.welcomeMails.insert(trx, inserted.id, sealSecret(deps.sealingKey, temporaryPassword));
          await deps.enqueueWelcome(trx, inserted.id);
          return inserted;
        });
      } catch (error) {
        if (error instanceof EmailTakenError) throw errors.emailTaken();
        throw error;
      }
      let welcomeEmailSent = false;
      try {
        welcomeEmailSent = (await deliverWelcome(user.id)) === 'sent';
      } catch (error) {
        // The user exists and the job will send the mail: the create itself succeeded.
        deps.logger.warn({ err: error, userId: user.id }, 'welcome mail attempt failed; the job retries it');
      }
      return { ...userJson(user), temporaryPassword, welcomeEmailSent };
    },
    async list(tenant: TenantRow, filter: { role?: UserRole; active: boolean }) {
      return (await repository.list(tenant.id, { role: filter.role, activeOnly: filter.active })).map(
        userJson,
      );
    },
    async get(tenant: TenantRow, id: string) {
      const user = await repository.byId(tenant.id, id);
      if (!user) throw errors.notFound('User');
      return userJson(user);
    },
    async update(tenant: TenantRow, id: string, input: UpdateUserInput) {
      const user = await repository.byId(tenant.id, id);
      if (!user) throw errors.notFound('User');
      const changes: { name?: string; district?: string; surveyor_license?: string; active?: boolean } = {};
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.district !== undefined) changes.district = input.district;
      if (input.active !== undefined) changes.active = input.active;
      if (input.surveyorLicense !== undefined) {
        const license = input.surveyorLicense.trim();
        if (user.role !== 'surveyor')
          throw errors.validation('surveyorLicense: only surveyors carry a licence');
        if (!license) throw errors.validation('surveyorLicense: a surveyor keeps a licence');
        changes.surveyor_license = license;
      }
      const updated = await repository.update(tenant.id, id, changes);
      if (!updated) throw errors.notFound('User');
      return userJson(updated);
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
