import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createMailer, freePort, resolvePorts } from '@trustplane/kernel';
import {
  createTestDatabase,
  type ExternalServer,
  hasRabbitMqServer,
  startRabbitMq,
  type TestDatabase,
} from '@trustplane/kernel/testkit';
import { simpleParser } from 'mailparser';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { loadServices } from '../src/services.js';

const allServices = await loadServices();

const bin = fileURLToPath(new URL('../bin/trustplane.js', import.meta.url));
const PASSWORD = 'SecurePass123!';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What `trustplane mail list --json` prints for each mail. */
interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  createdAt: string;
}

/** A real SMTP server that keeps what it accepts (250 after DATA). */
async function startSmtpCapture() {
  const received: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        for (const recipient of session.envelope.rcptTo)
          received.push({
            to: recipient.address,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: mail.html || null,
            createdAt: new Date().toISOString(),
          });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    received,
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface JourneyOptions {
  /** `AMQP_URL` on a private RabbitMQ node. */
  broker: boolean;
  /** Use the pages in headless Chromium too. */
  browser?: boolean;
  /** `SMTP_URL`: the mails are read at a real SMTP server instead of the sink. */
  smtp?: boolean;
  /**
   * `trustplane start` with no names, as `npm start` runs it: every service in one process; the
   * mails are read with `trustplane mail list --json`, as the acceptance says.
   */
  together?: boolean;
}

/**
 * The platform's first journey across two processes on one database, as an operator runs it:
 * `trustplane start account` and `trustplane start notification`. Nothing crosses process memory:
 * account's `email.requested` goes through its outbox and the durable queue in PostgreSQL. Every
 * link is taken from the mail in the sink, as a person would click it: its page is fetched, what
 * the page's script does is done through the same API calls, and the result is checked. With
 * Chromium installed, the pages are also used in a real browser (their scripts run).
 */
function journey(label: string, options: JourneyOptions) {
  describe(label, {
    skip: options.broker && !hasRabbitMqServer() && 'rabbitmq-server is not installed',
  }, () => {
    let broker: ExternalServer | undefined;
    let smtp: Awaited<ReturnType<typeof startSmtpCapture>> | undefined;
    let database: TestDatabase;
    let dataDir: string;
    let env: Record<string, string>;
    let accountUrl: string;
    const children: ChildProcess[] = [];

    function start(service?: string): Promise<ChildProcess> {
      const child = spawn(process.execPath, [bin, 'start', ...(service ? [service] : [])], {
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      return new Promise((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
          if (line.includes('"trustplane ready"')) resolve(child);
          // Tokens never reach the logs.
          if (/token=|"token":"[^[]/.test(line)) reject(new Error(`a token was logged: ${line}`));
        });
        child.once('exit', (code) =>
          reject(new Error(`${service ?? 'trustplane start'} exited with ${code}: ${stderr}`)),
        );
      });
    }

    async function stop(child: ChildProcess) {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }

    /** `trustplane mail list --json`, as an operator reads the sink. */
    function mailListCommand(): Promise<Mail[]> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bin, 'mail', 'list', '--json'], {
          env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (chunk) => {
          stdout += chunk;
        });
        child.stderr!.on('data', (chunk) => {
          stderr += chunk;
        });
        child.once('close', (code) => {
          if (code !== 0) return reject(new Error(`mail list exited with ${code}: ${stderr}`));
          const { messages } = JSON.parse(stdout) as { messages: Mail[] };
          for (const message of messages)
            assert.deepEqual(Object.keys(message).sort(), ['createdAt', 'html', 'subject', 'text', 'to']);
          resolve(messages);
        });
      });
    }

    async function sinkMails(): Promise<Mail[]> {
      const mailer = createMailer({ dataDir, from: 'x <x@localhost>' });
      try {
        return await mailer.list();
      } finally {
        await mailer.close();
      }
    }

    /** Every mail delivered so far, where this journey's configuration delivers it. */
    function deliveredMails(): Promise<Mail[]> {
      if (smtp) return Promise.resolve([...smtp.received]);
      return sinkMails();
    }

    async function mailTo(address: string, subject: RegExp, after = 0): Promise<Mail> {
      const matching = (mails: Mail[]) =>
        mails.filter(
          (mail) => mail.to === address && subject.test(mail.subject) && Date.parse(mail.createdAt) >= after,
        );
      const deadline = Date.now() + 30_000;
      for (;;) {
        const found = matching(await deliveredMails());
        if (found.length > 0) {
          if (!options.together) return found.at(-1)!;
          // npm start: the mail is taken from `trustplane mail list --json`, as an operator reads
          // it. The sink is watched in-process until it arrives (one command run per mail, not per
          // poll: each run costs a process start that loads every service).
          const listed = matching(await mailListCommand());
          assert.ok(listed.length > 0, `trustplane mail list --json shows the mail to ${address}`);
          return listed.at(-1)!;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${address} matching ${subject}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    function linkIn(mail: Mail): URL {
      const match = /(http:\/\/\S+\?token=\S+)/.exec(mail.text);
      assert.ok(match, `a link in ${mail.text}`);
      const html = (mail.html ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
      assert.ok(html.includes(`href="${match[1]}"`), 'the same link in the HTML part');
      return new URL(match[1]!);
    }

    /** The token the page's form carries (what its script sends). */
    function pageToken(html: string): string {
      const token = /<input type="hidden" name="token" value="([^"]+)">/.exec(html)?.[1];
      assert.ok(token, 'the page carries the token');
      return token;
    }

    async function api(method: string, url: string, body?: unknown, token?: string) {
      const response = await fetch(`${accountUrl}${url}`, {
        method,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: response.status,
        body: (await response.json().catch(() => null)) as { data: Record<string, unknown> },
      };
    }

    before(async () => {
      if (options.broker) broker = await startRabbitMq();
      if (options.smtp) smtp = await startSmtpCapture();
      database = await createTestDatabase('journey');
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-journey-'));
      const accountPort = await freePort();
      accountUrl = `http://127.0.0.1:${accountPort}`;
      // Every listener of every service on a free port (others may run the defaults).
      const ports: Record<string, string> = {};
      for (const service of allServices)
        for (const listener of Object.keys(resolvePorts(service.name, service.ports, {})))
          ports[
            listener === 'http'
              ? `${service.name.toUpperCase()}_PORT`
              : `${service.name.toUpperCase()}_${listener.toUpperCase()}_PORT`
          ] = String(await freePort());
      env = {
        ...ports,
        DATABASE_URL: database.url,
        TRUSTPLANE_DATA_DIR: dataDir,
        TRUSTPLANE_HOST: '127.0.0.1',
        TRUSTPLANE_PUBLIC_HOST: '127.0.0.1',
        ACCOUNT_PORT: String(accountPort),
        ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
        ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
        ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '1000',
        ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        ...(broker ? { AMQP_URL: broker.url } : {}),
        ...(smtp ? { SMTP_URL: smtp.url } : {}),
      };
    });
    after(async () => {
      for (const child of children) await stop(child);
      await broker?.stop();
      await smtp?.close();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const firstTitle = options.together
      ? 'npm start: registering puts the verification mail in the sink (trustplane mail list --json); its link verifies'
      : 'a mail requested while notification is down is delivered once it starts; its link verifies';
    test(firstTitle, async () => {
      await start(options.together ? undefined : 'account');
      const registered = await api('POST', '/api/v1/auth/register', {
        email: 'jane@example.com',
        password: PASSWORD,
        display_name: 'Jane <Doe>',
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      if (!options.together) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await deliveredMails()).length, 0, 'no mail while notification is down');
        await start('notification');
      }
      const mail = await mailTo('jane@example.com', /^Verify your email address$/);
      assert.match(mail.text, /^Hi Jane <Doe>,/);
      assert.ok(mail.html?.includes('Hi Jane &lt;Doe&gt;,'), 'the name is escaped in HTML');
      const link = linkIn(mail);
      assert.equal(link.pathname, '/verify-email');
      const verified = await fetch(link);
      assert.equal(verified.status, 200);
      assert.match(await verified.text(), /is verified/);
      const again = await fetch(link);
      assert.equal(again.status, 400, 'the link works once');
      const login = await api('POST', '/api/v1/auth/login', {
        email: 'jane@example.com',
        password: PASSWORD,
      });
      const me = await api('GET', '/api/v1/me', undefined, login.body.data.access_token as string);
      assert.equal(me.body.data.email_verified, true, 'the account is verified');
      if (smtp) assert.deepEqual(await sinkMails(), [], 'with SMTP_URL nothing is written to the sink');
    });

    test('registering while both run: the verification mail arrives promptly', async () => {
      const sentAt = Date.now();
      const registered = await api('POST', '/api/v1/auth/register', {
        email: 'sam@example.com',
        password: PASSWORD,
        display_name: 'Sam',
      });
      assert.equal(registered.status, 201);
      const mail = await mailTo('sam@example.com', /^Verify/, sentAt - 1000);
      const verified = await fetch(linkIn(mail));
      assert.equal(verified.status, 200);
    });

    test('password reset: the mail link opens the form; what its script posts changes the password', async () => {
      const asked = Date.now();
      const requested = await api('POST', '/api/v1/auth/password-reset', { email: 'jane@example.com' });
      assert.equal(requested.status, 200);
      const mail = await mailTo('jane@example.com', /^Reset your password$/, asked - 1000);
      const link = linkIn(mail);
      assert.equal(link.pathname, '/reset-password');
      const form = await fetch(link);
      assert.equal(form.status, 200);
      const html = await form.text();
      assert.match(html, /<script src="\/pages\/reset-password.js" defer>/);
      // What the page's script does on submit.
      const changed = await api('POST', '/api/v1/auth/password-reset/confirm', {
        token: pageToken(html),
        new_password: 'NewSecure456!',
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const login = await api('POST', '/api/v1/auth/login', {
        email: 'jane@example.com',
        password: 'NewSecure456!',
      });
      assert.equal(login.status, 200);
    });

    test('organization invitation: the mail link opens a page; what its script does makes the invitee a member', async () => {
      const owner = await api('POST', '/api/v1/auth/login', {
        email: 'jane@example.com',
        password: 'NewSecure456!',
      });
      const ownerToken = owner.body.data.access_token as string;
      const me = await api('GET', '/api/v1/auth/whoami', undefined, ownerToken);
      const org = me.body.data.current_org_id as string;
      assert.ok(org, JSON.stringify(me.body));
      const asked = Date.now();
      const invited = await api(
        'POST',
        `/api/v1/organizations/${org}/members`,
        { email: 'sam@example.com' },
        ownerToken,
      );
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      const mail = await mailTo('sam@example.com', /^You are invited to join /, asked - 1000);
      const link = linkIn(mail);
      assert.equal(link.pathname, '/invitations/accept');
      const page = await fetch(link);
      assert.equal(page.status, 200, 'the invitation link opens a page');
      const html = await page.text();
      assert.match(html, /<script src="\/pages\/accept-invitation.js" defer>/);
      assert.match(html, /sam@example.com/);
      // What the page's script does: sign in with the invited address, accept with the access token.
      const sam = await api('POST', '/api/v1/auth/login', { email: 'sam@example.com', password: PASSWORD });
      const accepted = await api(
        'POST',
        '/api/v1/invitations/accept',
        { token: pageToken(html) },
        sam.body.data.access_token as string,
      );
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.data.organization_id, org);
      const again = await api('POST', '/api/v1/auth/login', { email: 'sam@example.com', password: PASSWORD });
      const organizations = await api(
        'GET',
        '/api/v1/organizations',
        undefined,
        again.body.data.access_token as string,
      );
      assert.ok(
        (organizations.body.data as unknown as { items: { org_id: string }[] }).items.some(
          (item) => item.org_id === org,
        ),
        'sam is a member of the organization',
      );
      assert.equal((await fetch(link)).status, 404, 'the used invitation link says so');
    });

    test('in a real browser: the reset page changes the password; the invitation page creates the account and joins', {
      skip: !options.browser
        ? 'run in the embedded journey only'
        : !existsSync(CHROMIUM) && `${CHROMIUM} is not installed`,
    }, async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        ],
      });
      try {
        const page = await browser.newPage();
        const failures: string[] = [];
        page.on('pageerror', (error) => failures.push(error.message));
        page.on('console', (message) => {
          if (message.type() === 'error') failures.push(message.text());
        });

        const asked = Date.now();
        await api('POST', '/api/v1/auth/password-reset', { email: 'sam@example.com' });
        const reset = linkIn(await mailTo('sam@example.com', /^Reset your password$/, asked - 1000));
        await page.goto(reset.toString());
        await page.getByLabel('New password').fill('BrowserPass789!');
        await page.getByRole('button', { name: 'Set new password' }).click();
        await page.getByText('Your password has been changed').waitFor({ timeout: 15_000 });
        const login = await api('POST', '/api/v1/auth/login', {
          email: 'sam@example.com',
          password: 'BrowserPass789!',
        });
        assert.equal(login.status, 200, 'the new password works');

        const owner = await api('POST', '/api/v1/auth/login', {
          email: 'jane@example.com',
          password: 'NewSecure456!',
        });
        const ownerToken = owner.body.data.access_token as string;
        const org = (await api('GET', '/api/v1/auth/whoami', undefined, ownerToken)).body.data
          .current_org_id as string;
        const invitedAt = Date.now();
        const invited = await api(
          'POST',
          `/api/v1/organizations/${org}/members`,
          { email: 'newcomer@example.com' },
          ownerToken,
        );
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
        const invitation = linkIn(
          await mailTo('newcomer@example.com', /^You are invited to join /, invitedAt - 1000),
        );
        await page.goto(invitation.toString());
        assert.equal(await page.getByLabel('Email').inputValue(), 'newcomer@example.com');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByLabel('I do not have an account yet: create one').check();
        await page.getByLabel('Your name').fill('New Comer');
        await page.getByRole('button', { name: /^Join / }).click();
        await page.getByText('You are now a member of').waitFor({ timeout: 15_000 });
        assert.deepEqual(failures, [], 'no script error, no CSP violation');

        const newcomer = await api('POST', '/api/v1/auth/login', {
          email: 'newcomer@example.com',
          password: PASSWORD,
        });
        assert.equal(newcomer.status, 200, 'the account was created');
        const organizations = await api(
          'GET',
          '/api/v1/organizations',
          undefined,
          newcomer.body.data.access_token as string,
        );
        assert.ok(
          (organizations.body.data as unknown as { items: { org_id: string }[] }).items.some(
            (item) => item.org_id === org,
          ),
          'the newcomer is a member',
        );
      } finally {
        await browser.close();
      }
    });
  });
}

journey('npm start: the journey with every service in one process', { broker: false, together: true });
journey('account → notification journey in separate processes', { broker: false, browser: true });
// SMTP_URL (how mails leave) and AMQP_URL (how the event reaches notification) are independent
// settings: one journey runs both, each process start loading every service costs seconds.
const withBroker = hasRabbitMqServer();
journey(
  withBroker
    ? 'the same journey with AMQP_URL and SMTP_URL (RabbitMQ carries the event, the mails reach a real SMTP server)'
    : 'the same journey with SMTP_URL (the mails reach a real SMTP server; AMQP_URL not run: rabbitmq-server is not installed)',
  { broker: withBroker, smtp: true },
);
