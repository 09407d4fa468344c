import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { bootService, Contract, harnessFor, type ServiceHarness } from '@trustplane/kernel/testkit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ACCOUNT_EVENTS_EXCHANGE } from '../src/events/outbox.js';
import { accountService } from '../src/index.js';

/** Settings this test file's `Harness.boot` passes in the boot env (set by `testEnv`). */
let fileEnv: Record<string, string> = {};

/**
 * Cheap argon2 and roomy limits for behaviour tests; the limits test file sets its own. They reach
 * the service through the boot env of every `Harness.boot` of the file (beneath its own `env`).
 */
export function testEnv(overrides: Record<string, string> = {}): void {
  fileEnv = {
    ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
    ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
    ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '10000',
    ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    ACCOUNT_RATE_LIMIT_VERIFY_PER_MINUTE: '10000',
    ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE: '100000',
    ACCOUNT_LOGIN_BASE_DELAY_MS: '1',
    ACCOUNT_LOGIN_MAX_DELAY_MS: '5',
    ...overrides,
  };
}

export const contract = Contract.forService(accountService);
export const PASSWORD = 'SecurePass123!';

/** A verified human with their personal organization (what `verifiedUser` makes). */
export interface AccountTenant {
  email: string;
  accountId: string;
  accessToken: string;
  refreshToken: string;
  orgId: string;
  cookies: LightMyRequestResponse['cookies'];
}

/** account's test harness: the kernel's `serviceHarness` (boot, contract-checked inject) plus account's journeys. */
export class Harness {
  /** Every `email.requested` delivered on the bus, oldest first: what a mail consumer receives. */
  private readonly mails: Record<string, unknown>[] = [];
  readonly service: ServiceHarness<AccountTenant>;

  private constructor(service: (harness: Harness) => ServiceHarness<AccountTenant>) {
    this.service = service(this);
  }

  get booted() {
    return this.service.booted;
  }

  static async boot(
    env?: Record<string, string>,
    options: { workers?: boolean; databaseOutage?: boolean } = {},
  ): Promise<Harness> {
    const booted = await bootService(accountService, { env: { ...fileEnv, ...env }, ...options });
    const harness = new Harness((self) =>
      harnessFor<AccountTenant>(booted, { contract, tenant: () => self.verifiedUser() }),
    );
    await harness.booted.context.bus.subscribe(
      ACCOUNT_EVENTS_EXCHANGE,
      'email.requested',
      async (message) => {
        harness.mails.push(message.payload as Record<string, unknown>);
      },
    );
    return harness;
  }

  get app() {
    return this.booted.app;
  }

  async close() {
    await this.booted.close();
  }

  /** Injects and checks the response against the seed contract (legacy paths map to theirs). */
  call(
    options: InjectOptions & { contractPath?: string; skipContract?: boolean },
  ): Promise<LightMyRequestResponse> {
    return this.service.inject({
      ...options,
      method: String(options.method ?? 'GET'),
      url: String(options.url),
    });
  }

  async register(
    overrides: Partial<{ email: string; password: string; display_name: string; ip: string }> = {},
  ) {
    const email = overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
    const response = await this.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: overrides.ip ?? '10.0.0.1',
      payload: {
        email,
        password: overrides.password ?? PASSWORD,
        display_name: overrides.display_name ?? 'Jane Doe',
      },
    });
    assert.equal(response.statusCode, 201, response.body);
    const data = response.json().data;
    return {
      email,
      accountId: data.account_id as string,
      accessToken: data.access_token as string,
      refreshToken: data.refresh_token as string,
      orgId: data.personal_org.org_id as string,
      cookies: response.cookies,
    };
  }

  /**
   * The last `email.requested` payload sent to `to`, as a consumer of `account.events` receives it.
   * The outbox is relayed first; a background relay (workers on) may hold a message for a moment.
   */
  async lastEmail(to: string, template?: string): Promise<Record<string, unknown>> {
    const find = () =>
      this.mails.findLast((mail) => mail.to === to && (template === undefined || mail.template === template));
    const deadline = Date.now() + 10_000;
    let found: Record<string, unknown> | undefined;
    for (;;) {
      await this.booted.platform.outbox.relayPending();
      found = find();
      if (found || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(found, `no email.requested for ${to}`);
    return found;
  }

  async emailCount(to: string): Promise<number> {
    await this.booted.platform.outbox.relayPending();
    return this.mails.filter((mail) => mail.to === to).length;
  }

  /** Registers, verifies the email and logs in again: a token with the owner's `*`. */
  async verifiedUser(
    overrides: Partial<{ email: string; display_name: string }> = {},
  ): Promise<AccountTenant> {
    const user = await this.register(overrides);
    const mail = await this.lastEmail(user.email, 'email_verification');
    const page = await this.app.inject({ method: 'GET', url: `/verify-email?token=${mail.token}` });
    assert.equal(page.statusCode, 200, page.body);
    const login = await this.login(user.email);
    return {
      ...user,
      accessToken: login.access_token as string,
      refreshToken: login.refresh_token as string,
    };
  }

  async login(email: string, password = PASSWORD, ip = '10.0.0.2') {
    const response = await this.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      payload: { email, password },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json().data;
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function assertError(
  response: LightMyRequestResponse,
  status: number,
  code: number,
  message?: RegExp,
) {
  assert.equal(response.statusCode, status, response.body);
  const body = response.json();
  assert.equal(body.success, false);
  assert.equal(body.code, code);
  assert.equal(typeof body.trace_id, 'string');
  if (message) assert.match(body.message, message);
}
