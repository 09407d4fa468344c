import type { ServiceCommand, ServiceContext } from '@trustplane/kernel';
import { paiseToInr } from './billing/money.js';
import type { VerifactDeps } from './composition.js';
import { keyJson } from './keys/api-keys.js';
import { type TenantOptions, tenantJson } from './tenants/tenants.js';

type Options = Record<string, string | boolean | undefined>;

const text = (options: Options, name: string): string | undefined =>
  typeof options[name] === 'string' ? (options[name] as string) : undefined;

function tenantOptions(options: Options): TenantOptions {
  const picked: TenantOptions = {};
  const map: [keyof TenantOptions, string][] = [
    ['name', 'name'],
    ['tier', 'tier'],
    ['pricePerClaim', 'pricePerClaim'],
    ['capMode', 'capMode'],
    ['capLimit', 'capLimit'],
    ['billingMode', 'billingMode'],
    ['billingStatus', 'billingStatus'],
    ['graceDays', 'graceDays'],
    ['annualStart', 'annualStart'],
    ['annualEnd', 'annualEnd'],
  ];
  for (const [field, option] of map) {
    const value = text(options, option);
    if (value !== undefined) picked[field] = value;
  }
  return picked;
}

const TENANT_SETTING_OPTIONS = [
  { flags: '--tier <tier>', description: 'commercial tier, also the key prefix tm_<tier>_ (default pilot)' },
  { flags: '--price-per-claim <inr>', description: 'INR per billed claim, up to 2 decimals' },
  { flags: '--cap-mode <mode>', description: 'hard | soft | alert (default hard)' },
  { flags: '--cap-limit <n>', description: 'billed claims per UTC month, or "none"' },
  { flags: '--billing-mode <mode>', description: 'per_claim | per_year' },
  { flags: '--annual-start <date>', description: 'start of the annual plan window (per_year)' },
  { flags: '--annual-end <date>', description: 'end of the annual plan window (per_year)' },
  { flags: '--billing-status <status>', description: 'current | due | grace | suspended (informational)' },
  { flags: '--grace-days <n>', description: 'billing grace days shown by /plan' },
];

/** Operator commands: `trustplane verifact …`. */
export function verifactCommands(deps: (context: ServiceContext) => VerifactDeps): ServiceCommand[] {
  return [
    {
      path: ['tenant', 'create'],
      description: 'Create an insurer tenant.',
      options: [
        { flags: '--code <code>', description: 'insurer code, e.g. ORIENTAL', required: true },
        { flags: '--name <name>', description: 'display name', required: true },
        ...TENANT_SETTING_OPTIONS,
      ],
      async run(context, options) {
        const tenant = await deps(context).tenants.create(String(options.code ?? ''), tenantOptions(options));
        return { tenant: tenantJson(tenant) };
      },
    },
    {
      path: ['tenant', 'update'],
      description: "Change a tenant's name, tier, price, cap or plan.",
      options: [
        { flags: '--code <code>', description: 'insurer code', required: true },
        { flags: '--name <name>', description: 'display name' },
        ...TENANT_SETTING_OPTIONS,
      ],
      async run(context, options) {
        const tenant = await deps(context).tenants.update(String(options.code ?? ''), tenantOptions(options));
        return { tenant: tenantJson(tenant) };
      },
    },
    {
      path: ['key', 'create'],
      description: 'Mint an API key (tm_<tier>_…) for a tenant; shown once.',
      options: [
        { flags: '--tenant <code>', description: 'insurer code', required: true },
        {
          flags: '--scopes <list>',
          description:
            'comma-separated: verify,claims:read,claims:write,photos:write,report,jobs,users:write,admin',
          required: true,
        },
        { flags: '--daily-limit <n>', description: 'requests per sliding 24 h (default 5000)' },
        { flags: '--name <name>', description: 'what the key is for' },
      ],
      async run(context, options) {
        const verifact = deps(context);
        const limit = text(options, 'dailyLimit');
        const created = await verifact.apiKeys.create({
          tenantCode: String(options.tenant ?? ''),
          scopes: String(options.scopes ?? ''),
          dailyLimit: limit === undefined ? verifact.config.defaultDailyLimit : Number(limit),
          name: text(options, 'name'),
        });
        return { key: created.key, apiKey: keyJson(created.record, created.tenant.code) };
      },
      format: (result) => `${result.key}\n`,
    },
    {
      path: ['key', 'list'],
      description: 'List API keys (never their values).',
      options: [{ flags: '--tenant <code>', description: 'only this tenant' }],
      async run(context, options) {
        return { keys: await deps(context).apiKeys.list(text(options, 'tenant')) };
      },
    },
    {
      path: ['key', 'revoke'],
      description: 'Revoke an API key by id or display prefix; refused at once.',
      options: [
        { flags: '--id <id>', description: 'key id (key_…) or prefix (tm_pilot_Ab)', required: true },
      ],
      async run(context, options) {
        const revoked = await deps(context).apiKeys.revoke(String(options.id ?? ''));
        if (revoked.length === 0) throw new Error(`no single active key matches ${String(options.id)}`);
        return { revoked };
      },
    },
    {
      path: ['attestation-key', 'rotate'],
      description:
        'Issue a new RSA-3072 attestation key and its Ed25519-signed manifest (making the root key on first use); prints the root public key.',
      async run(context) {
        const rotated = await deps(context).attestationKeys.rotate();
        return {
          manifest: rotated.manifest,
          rootPublicKey: rotated.rootPublicKey,
          rootCreated: rotated.created,
        };
      },
      format: (result) =>
        `kid: ${(result.manifest as { kid: string }).kid}\nroot public key (burn into the client):\n${result.rootPublicKey}`,
    },
    {
      path: ['billing', 'close'],
      description: 'Mark every unbilled usage event before --through (default now) as billed.',
      options: [
        { flags: '--tenant <code>', description: 'only this tenant' },
        { flags: '--through <date>', description: 'ISO 8601 instant; events before it are closed' },
      ],
      async run(context, options) {
        const verifact = deps(context);
        const throughText = text(options, 'through');
        const through = throughText ? new Date(throughText) : new Date();
        if (Number.isNaN(through.getTime())) throw new Error('--through must be an ISO 8601 date');
        let tenantId: string | undefined;
        const code = text(options, 'tenant');
        if (code) {
          tenantId = (await verifact.tenantRepository.byCode(code))?.id;
          if (!tenantId) throw new Error(`no tenant ${code}`);
        }
        const runs = await verifact.usage.close(through, tenantId);
        const tenants = new Map(
          (await verifact.tenantRepository.list()).map((tenant) => [tenant.id, tenant.code]),
        );
        return {
          through: through.toISOString(),
          runs: runs.map((run) => ({
            id: run.id,
            tenant: tenants.get(run.tenantId),
            events: run.events,
            amount: paiseToInr(run.amountPaise),
          })),
        };
      },
    },
  ];
}
