import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  type BootOptions,
  bootService,
  Contract,
  eventually,
  harnessFor,
  type HarnessRequest,
  type ServiceHarness,
} from '@trustplane/kernel/testkit';
import type { LightMyRequestResponse } from 'fastify';
import { backlexService } from '../../src/index.js';

export const contract = Contract.forService(backlexService);

/** A project once active: its fields as `GET` showed them then, and the admin token its 201 showed once. */
export interface ActiveProject {
  id: string;
  slug: string;
  adminToken: string;
  status: string;
  createdAt: string;
  [field: string]: unknown;
}

/** A person signed up, verified through the mailed link and signed in, all through HTTP. */
export interface TestUser {
  email: string;
  password: string;
  name: string;
  /** `Cookie` header value: `better-auth.session_token` (and the cookie cache). */
  cookie: string;
  /** The address the user's requests come from (`X-Forwarded-For` through a trusted loopback proxy). */
  ip: string;
}

export interface TestOrg {
  id: string;
  slug: string;
  name: string;
  owner: TestUser;
}

let sequence = 0;

/** A distinct documentation-range address per user, so better-auth's per-IP limiter sees distinct clients. */
function nextAddress(): string {
  sequence += 1;
  return `198.51.${Math.floor(sequence / 250) % 250}.${(sequence % 250) + 1}`;
}

/** Cookies of a `set-cookie` answer as one `Cookie` header value. */
export function cookieHeader(response: LightMyRequestResponse): string {
  const raw = response.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((line) => line.split(';')[0]).join('; ');
}

/** backlex booted for a test file, with its journeys: sign-up through the mail sink, orgs. */
export class BacklexHarness {
  constructor(readonly service: ServiceHarness) {}

  static async boot(options: BootOptions = {}): Promise<BacklexHarness> {
    const booted = await bootService(backlexService, {
      ...options,
      // Tests speak through a loopback proxy that names each user's address.
      env: { TRUSTPLANE_TRUSTED_PROXIES: 'loopback', ...options.env },
    });
    return new BacklexHarness(harnessFor(booted, { contract }));
  }

  get app() {
    return this.service.app;
  }

  close() {
    return this.service.close();
  }

  /** A contract-checked request; `as` sends the user's cookie from the user's address. */
  inject(request: HarnessRequest & { as?: TestUser | undefined }): Promise<LightMyRequestResponse> {
    const { as, headers, ...rest } = request;
    return this.service.inject({
      ...rest,
      headers: {
        ...(as ? { cookie: as.cookie, 'x-forwarded-for': as.ip } : {}),
        ...(headers as Record<string, string> | undefined),
      },
    });
  }

  /** The mails of the sink addressed to `email`, oldest first. */
  async mailsTo(email: string) {
    const all = await this.service.booted.context.mailer.list();
    return all.filter((mail) => mail.to.toLowerCase().includes(email.toLowerCase()));
  }

  /** The first `http(s)://…` link of the newest mail to `email` whose subject matches. */
  async linkInMail(email: string, subject: RegExp): Promise<URL> {
    const mails = (await this.mailsTo(email)).filter((mail) => subject.test(mail.subject));
    const mail = mails.at(-1);
    assert.ok(mail, `no mail to ${email} matching ${subject}`);
    const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
    assert.ok(link, `no link in the mail to ${email}`);
    return new URL(link);
  }

  /** Signs up through `/api/auth/sign-up/email` only (no verification). */
  async signUpUnverified(overrides: Partial<Pick<TestUser, 'email' | 'name' | 'password'>> = {}) {
    const tag = randomBytes(4).toString('hex');
    const user = {
      email: overrides.email ?? `user-${tag}@example.com`,
      name: overrides.name ?? `User ${tag}`,
      password: overrides.password ?? `pw-${randomBytes(8).toString('hex')}`,
      ip: nextAddress(),
    };
    const response = await this.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      headers: { 'x-forwarded-for': user.ip },
      payload: { email: user.email, name: user.name, password: user.password },
      skipContract: true,
    });
    assert.equal(response.statusCode, 200, response.body);
    return user;
  }

  /** Signs in through `/api/auth/sign-in/email`; the cookie it sets. */
  async signIn(user: { email: string; password: string; ip: string }): Promise<string> {
    const response = await this.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'x-forwarded-for': user.ip },
      payload: { email: user.email, password: user.password },
      skipContract: true,
    });
    assert.equal(response.statusCode, 200, response.body);
    const cookie = cookieHeader(response);
    assert.match(cookie, /better-auth\.session_token=/);
    return cookie;
  }

  /**
   * A verified, signed-in user: sign-up through HTTP, the verification link taken from the mail
   * sink and followed, then sign-in; returns the session cookie.
   */
  async user(overrides: Partial<Pick<TestUser, 'email' | 'name' | 'password'>> = {}): Promise<TestUser> {
    const user = await this.signUpUnverified(overrides);
    await this.verifyEmail(user.email, user.ip);
    return { ...user, cookie: await this.signIn(user) };
  }

  /** Follows the verification link of the newest verification mail to `email`. */
  async verifyEmail(email: string, ip: string): Promise<void> {
    const link = await this.linkInMail(email, /verify/i);
    const response = await this.inject({
      method: 'GET',
      url: `${link.pathname}${link.search}`,
      headers: { 'x-forwarded-for': ip },
      skipContract: true,
    });
    assert.ok(
      response.statusCode === 200 || response.statusCode === 302,
      `verify: ${response.statusCode} ${response.body}`,
    );
  }

  /** An org created through `POST /api/org` by `owner` (a new user when omitted). */
  async org(owner?: TestUser, body: Record<string, unknown> = {}): Promise<TestOrg> {
    const user = owner ?? (await this.user());
    const response = await this.inject({
      method: 'POST',
      url: '/api/org',
      as: user,
      payload: { name: `Org ${randomBytes(3).toString('hex')}`, ...body },
    });
    assert.equal(response.statusCode, 201, response.body);
    const { org } = response.json();
    return { id: org.id, slug: org.slug, name: org.name, owner: user };
  }

  /**
   * A project created in `org` through `POST /api/org/{slug}/projects` by `as` (the owner by
   * default), returned once `GET` shows it `active`. `template` omitted: the service's default.
   * `waitMs` only keeps a broken test from hanging (the first provisioning of a run spawns the
   * database hosts: minutes on a loaded machine).
   */
  async activeProject(
    org: TestOrg,
    {
      name,
      template,
      as = org.owner,
      waitMs = 300_000,
    }: { name: string; template?: string; as?: TestUser; waitMs?: number },
  ): Promise<ActiveProject> {
    const created = await this.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects`,
      as,
      payload: { name, ...(template === undefined ? {} : { template }) },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { slug, adminToken } = created.json().project as ActiveProject;
    const project = await eventually(
      async () => {
        const got = await this.inject({ method: 'GET', url: `/api/org/${org.slug}/projects/${slug}`, as });
        return got.json().project?.status === 'active' ? (got.json().project as ActiveProject) : undefined;
      },
      `project ${slug} active`,
      waitMs,
    );
    return { ...project, adminToken };
  }

  /** The token of the newest invitation mail to `email` (its `?token=` link). */
  async invitationToken(email: string): Promise<string> {
    const link = await this.linkInMail(email, /invitation/i);
    const token = link.searchParams.get('token');
    assert.ok(token, 'no token in the invitation link');
    return token;
  }

  /** Invites `email` into `org` as `inviter` (the owner by default); the response. */
  invite(org: TestOrg, email: string, role: string, inviter?: TestUser) {
    return this.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/invitations`,
      as: inviter ?? org.owner,
      payload: { email, role },
    });
  }

  /** Accepts an invitation token as `user`. */
  accept(user: TestUser, token: string) {
    return this.inject({ method: 'POST', url: '/api/invitations/accept', as: user, payload: { token } });
  }

  /**
   * A new user who joined `org` with `role` the way people do: invited by the owner through HTTP,
   * the token taken from the invitation mail, accepted; an owner is then promoted by the owner.
   */
  async member(
    org: TestOrg,
    role: 'owner' | 'admin' | 'developer' | 'viewer',
  ): Promise<TestUser & { memberId: string }> {
    const user = await this.user();
    const invited = await this.invite(org, user.email, role === 'owner' ? 'admin' : role);
    assert.equal(invited.statusCode, 201, invited.body);
    const accepted = await this.accept(user, await this.invitationToken(user.email));
    assert.equal(accepted.statusCode, 200, accepted.body);
    const members = (
      await this.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: org.owner })
    ).json().members as { id: string; email: string }[];
    const memberId = members.find((member) => member.email === user.email)?.id as string;
    if (role === 'owner') {
      const promoted = await this.inject({
        method: 'PATCH',
        url: `/api/org/${org.slug}/members/${memberId}`,
        as: org.owner,
        payload: { role: 'owner' },
      });
      assert.equal(promoted.statusCode, 200, promoted.body);
    }
    return { ...user, memberId };
  }
}
