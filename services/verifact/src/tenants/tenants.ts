import { parseInr, paiseToInr } from '../billing/money.js';
import { newId } from '../db/ids.js';
import type { TenantRepository, TenantRow, TenantSettings } from '../db/tenant-repository.js';

/** Operator input (CLI flags): strings, validated here. */
export interface TenantOptions {
  name?: string;
  tier?: string;
  pricePerClaim?: string;
  capMode?: string;
  capLimit?: string;
  billingMode?: string;
  billingStatus?: string;
  graceDays?: string;
  annualStart?: string;
  annualEnd?: string;
}

export class TenantInputError extends Error {
  override readonly name = 'TenantInputError';
}

const CODE = /^[A-Z][A-Z0-9_]{1,31}$/;
const TIER = /^[a-z][a-z0-9]{0,19}$/;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new TenantInputError(`${flag} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function date(flag: string, value: string): Date {
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw new TenantInputError(`${flag} must be an ISO 8601 date`);
  return parsed;
}

function settingsFrom(options: TenantOptions): TenantSettings {
  const settings: TenantSettings = {};
  if (options.name !== undefined) {
    const name = options.name.trim();
    if (!name || name.length > 200) throw new TenantInputError('--name must be 1 to 200 characters');
    settings.name = name;
  }
  if (options.tier !== undefined) {
    if (!TIER.test(options.tier)) throw new TenantInputError('--tier must be lowercase letters and digits');
    settings.tier = options.tier;
  }
  if (options.pricePerClaim !== undefined) {
    try {
      settings.price_per_claim_paise = parseInr(options.pricePerClaim);
    } catch (error) {
      throw new TenantInputError(`--price-per-claim: ${(error as Error).message}`);
    }
  }
  if (options.capMode !== undefined)
    settings.cap_mode = oneOf('--cap-mode', options.capMode, ['hard', 'soft', 'alert'] as const);
  if (options.capLimit !== undefined) {
    if (options.capLimit === 'none' || options.capLimit === 'unlimited') settings.cap_limit = null;
    else if (/^\d{1,9}$/.test(options.capLimit)) settings.cap_limit = Number(options.capLimit);
    else throw new TenantInputError('--cap-limit must be a whole number or "none"');
  }
  if (options.billingMode !== undefined)
    settings.billing_mode = oneOf('--billing-mode', options.billingMode, ['per_claim', 'per_year'] as const);
  if (options.billingStatus !== undefined)
    settings.billing_status = oneOf('--billing-status', options.billingStatus, [
      'current',
      'due',
      'grace',
      'suspended',
    ] as const);
  if (options.graceDays !== undefined) {
    if (!/^\d{1,4}$/.test(options.graceDays))
      throw new TenantInputError('--grace-days must be a whole number');
    settings.billing_grace_days = Number(options.graceDays);
  }
  if (options.annualStart !== undefined) settings.annual_start = date('--annual-start', options.annualStart);
  if (options.annualEnd !== undefined) settings.annual_end = date('--annual-end', options.annualEnd);
  return settings;
}

/** The tenant as the CLI prints it (money in INR). */
export function tenantJson(tenant: TenantRow) {
  return {
    id: tenant.id,
    code: tenant.code,
    name: tenant.name,
    tier: tenant.tier,
    billingMode: tenant.billing_mode,
    pricePerClaim: paiseToInr(tenant.price_per_claim_paise),
    capMode: tenant.cap_mode,
    capLimit: tenant.cap_limit,
    billingStatus: tenant.billing_status,
    billingGraceDays: tenant.billing_grace_days,
    annualPlan: {
      start: tenant.annual_start ? tenant.annual_start.toISOString() : null,
      end: tenant.annual_end ? tenant.annual_end.toISOString() : null,
    },
    createdAt: tenant.created_at.toISOString(),
  };
}

export function createTenants(repository: TenantRepository) {
  return {
    async create(code: string, options: TenantOptions): Promise<TenantRow> {
      if (!CODE.test(code)) {
        throw new TenantInputError('--code must be 2-32 uppercase letters, digits or _ (e.g. ORIENTAL)');
      }
      if (options.name === undefined) throw new TenantInputError('--name is required');
      const settings = settingsFrom({ tier: 'pilot', ...options });
      return repository.insert({
        id: newId('ten'),
        code,
        name: settings.name as string,
        tier: settings.tier as string,
        ...settings,
      });
    },
    async update(code: string, options: TenantOptions): Promise<TenantRow> {
      const settings = settingsFrom(options);
      if (Object.keys(settings).length === 0) throw new TenantInputError('nothing to update');
      const updated = await repository.update(code, settings);
      if (!updated) throw new TenantInputError(`no tenant ${code}`);
      return updated;
    },
  };
}

export type Tenants = ReturnType<typeof createTenants>;
