import { hashPassword, type Mailer, randomToken } from '@trustplane/kernel';
import type { Logger } from 'pino';
import { newId } from '../db/ids.js';
import type { UserRole } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import { EmailTakenError, type UserRepository, type UserRow } from '../db/user-repository.js';
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

export function createUsers(deps: { repository: UserRepository; mailer: Mailer; logger: Logger }) {
  const { repository } = deps;

  /** The welcome mail goes straight through the kernel mailer (see the README): its failure is reported, not fatal. */
  async function sendWelcome(tenant: TenantRow, user: UserRow, temporaryPassword: string): Promise<boolean> {
    try {
      await deps.mailer.send({
        to: user.email,
        subject: `Your Verifact account at ${tenant.name}`,
        text: [
          `Hello ${user.name},`,
          '',
          `${tenant.name} has created a Verifact ${user.role} account for you.`,
          `Sign in with ${user.email} and this one-time password: ${temporaryPassword}`,
          'You will be asked to choose your own password at first sign-in.',
        ].join('\n'),
      });
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, userId: user.id }, 'welcome mail not sent');
      return false;
    }
  }

  return {
    async create(tenant: TenantRow, input: CreateUserInput) {
      const license = input.surveyorLicense?.trim() || undefined;
      if (input.role === 'surveyor' && !license) {
        throw errors.unprocessable('surveyorLicense: required when role is surveyor (IRDAI licence number)');
      }
      if (input.role !== 'surveyor' && license) {
        throw errors.unprocessable('surveyorLicense: only surveyors carry a licence');
      }
      const temporaryPassword = randomToken(12);
      let user: UserRow;
      try {
        user = await repository.insert({
          id: newId('usr'),
          tenant_id: tenant.id,
          email: input.email.trim(),
          name: input.name.trim(),
          role: input.role,
          district: input.district ?? null,
          surveyor_license: license ?? null,
          password_hash: await hashPassword(temporaryPassword),
        });
      } catch (error) {
        if (error instanceof EmailTakenError) throw errors.emailTaken();
        throw error;
      }
      const welcomeEmailSent = await sendWelcome(tenant, user, temporaryPassword);
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
