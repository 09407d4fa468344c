import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '@trustplane/kernel';
import { createTestDatabase, eventually } from '@trustplane/kernel/testkit';
import { sql } from 'kysely';
import { WELCOME_MAIL_QUEUE } from '../src/jobs/welcome-mail.js';
import { Harness, type TestTenant } from './support/harness.js';
import { startVerifactProcess } from './support/verifact-process.js';

let h: Harness;
let tenant: TestTenant;

before(async () => {
  // Workers on, and a 1 s first retry, so the job's attempts happen within the test.
  h = await Harness.boot({ VERIFACT_WELCOME_MAIL_RETRY_SECONDS: '1' }, { workers: true });
  tenant = await h.tenant();
});
after(() => h?.close());

const mailSink = () => path.join(h.booted.dataDir, 'mail');

/** The embedded mail sink cannot write while a plain file sits where its directory goes. */
async function breakMail(): Promise<void> {
  await fs.rm(mailSink(), { recursive: true, force: true });
  await fs.writeFile(mailSink(), 'not a directory');
}
async function repairMail(): Promise<void> {
  const stat = await fs.stat(mailSink()).catch(() => undefined);
  if (stat?.isFile()) await fs.rm(mailSink());
}

async function mailRow(userId: string) {
  return h
    .deps()
    .database.kysely.selectFrom('welcome_mails')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

/** The user's welcome-mail job as pg-boss keeps it (`singletonKey` = user id). */
async function jobOf(userId: string): Promise<{ state: string; data: unknown } | undefined> {
  const { rows } = await sql<{ state: string; data: unknown }>`
    SELECT state, data FROM pgboss.job WHERE name = ${WELCOME_MAIL_QUEUE} AND singleton_key = ${userId}`.execute(
    h.deps().database.kysely,
  );
  return rows[0];
}

/** `read` until `done` holds for what it read (the job and the mailer settle asynchronously). */
const settled = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string) =>
  eventually(
    async () => {
      const value = await read();
      return done(value) ? { value } : undefined;
    },
    what,
    90_000,
    100,
  ).then(({ value }) => value);

const createUser = (email: string) =>
  h.call({
    method: 'POST',
    url: '/api/v1/users',
    key: tenant.admin,
    payload: { email, name: 'Ravi Kumar', role: 'adjuster' },
  });

describe('welcome mail', () => {
  test('a failed send is retried by the job until it goes out, once, with the same password', async () => {
    await breakMail();
    const email = `retry-${Date.now()}@example.com`;
    const response = await createUser(email);
    assert.equal(response.statusCode, 201, response.body);
    const { id, temporaryPassword, welcomeEmailSent } = response.json();
    assert.equal(welcomeEmailSent, false);
    const first = await mailRow(id);
    assert.equal(first.sent_at, null);
    assert.equal(first.attempts, 1);
    // Sealed while it waits: the password is not at rest in clear, nor in the job's data.
    assert.ok(first.sealed_password && !first.sealed_password.includes(temporaryPassword));
    const job = await jobOf(id);
    assert.deepEqual(job?.data, { version: 1, userId: id });
    // The job tries too, and fails while the mailer does.
    const failing = await settled(
      () => mailRow(id),
      (row) => row.attempts >= 2,
      'a retry by the job',
    );
    assert.equal(failing.sent_at, null);
    assert.ok(failing.last_error);
    await repairMail();
    const sent = await settled(
      () => mailRow(id),
      (row) => row.sent_at !== null,
      'the mail to go out',
    );
    assert.equal(sent.sealed_password, null);
    const mails = (await h.booted.context.mailer.list()).filter((mail) => mail.to.includes(email));
    assert.equal(mails.length, 1);
    assert.ok(mails[0]?.text.includes(temporaryPassword));
  });

  test('the created user gets one welcome mail with the one-time password; the job does not send it again', async () => {
    await repairMail();
    const email = `once-${Date.now()}@example.com`;
    const response = await createUser(email);
    assert.equal(response.statusCode, 201, response.body);
    const { id, temporaryPassword, welcomeEmailSent } = response.json();
    assert.equal(welcomeEmailSent, true);
    const [mail, ...others] = (await h.booted.context.mailer.list()).filter((sent) =>
      sent.to.includes(email),
    );
    assert.equal(others.length, 0);
    assert.equal(mail?.to, email);
    assert.equal(mail?.subject, `Your Verifact account at Insurer ${tenant.code}`);
    assert.match(mail?.text ?? '', /Hello Ravi Kumar,/);
    assert.match(mail?.text ?? '', /a Verifact adjuster account/);
    assert.ok(mail?.text.includes(`Sign in with ${email} and this one-time password: ${temporaryPassword}`));
    // Sent: the sealed password is gone from the database.
    const row = await mailRow(id);
    assert.ok(row.sent_at);
    assert.equal(row.sealed_password, null);
    // The job (1 s later) finds it sent and completes without sending.
    await settled(
      () => jobOf(id),
      (job) => job?.state === 'completed',
      'the job to complete',
    );
    assert.equal((await h.booted.context.mailer.list()).filter((sent) => sent.to.includes(email)).length, 1);
  });
});

describe('welcome mail across a crash', () => {
  test('a process killed between the commit and the send: another process sends the mail, once', async (t) => {
    // Undone last-in first-out: the processes stop before their database goes.
    const cleanups: (() => unknown)[] = [];
    t.after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const database = await createTestDatabase('verifact_welcome_crash');
    cleanups.push(() => database.drop());
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'verifact-welcome-crash-'));
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    // One deployment: both processes share the database and the platform secret (the sealing key).
    const secret = randomBytes(32).toString('base64url');
    // An SMTP server that accepts and never greets: the first process's send hangs in it.
    const sockets = new Set<net.Socket>();
    let reached: () => void = () => undefined;
    const sendStarted = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const smtp = net.createServer((socket) => {
      sockets.add(socket);
      reached();
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      smtp.close();
    });
    const smtpPort = (smtp.address() as net.AddressInfo).port;

    const first = await startVerifactProcess({
      DATABASE_URL: database.url,
      TRUSTPLANE_DATA_DIR: dataDir,
      TRUSTPLANE_SIGNING_SECRET: secret,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      VERIFACT_WELCOME_MAIL_RETRY_SECONDS: '1',
    });
    cleanups.push(() => first.kill());
    const email = `crash-${Date.now()}@example.com`;
    const request = http.request({
      host: '127.0.0.1',
      port: first.port,
      method: 'POST',
      path: '/api/v1/users',
      headers: { authorization: `Bearer ${first.key}`, 'content-type': 'application/json' },
    });
    const answered = new Promise<string>((resolve) => {
      request.on('response', (response) => resolve(`answered ${response.statusCode}`));
      request.on('error', () => resolve('cut'));
    });
    request.end(JSON.stringify({ email, name: 'Meera Iyer', role: 'siu' }));
    // The user is committed and the mail is being sent: kill the process there.
    await sendStarted;
    await first.kill();
    assert.equal(await answered, 'cut');

    const second = await Harness.boot(
      { TRUSTPLANE_SIGNING_SECRET: secret, VERIFACT_WELCOME_MAIL_RETRY_SECONDS: '1' },
      { workers: true, database },
    );
    cleanups.push(() => second.close());
    const mailsTo = async () =>
      (await second.booted.context.mailer.list()).filter((mail) => mail.to.includes(email));
    const [mail] = await settled(mailsTo, (mails) => mails.length > 0, 'the mail from the second process');
    assert.equal(mail?.subject, 'Your Verifact account at Crash Insurance');
    const password = /one-time password: (\S+)/.exec(mail?.text ?? '')?.[1];
    assert.ok(password);
    // The mailed password is the account's (its argon2id hash is all the database keeps).
    const user = await second
      .deps()
      .database.kysely.selectFrom('users')
      .select(['id', 'password_hash'])
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    assert.ok(await verifyPassword(user.password_hash, password));
    const row = await second
      .deps()
      .database.kysely.selectFrom('welcome_mails')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.sent_at);
    assert.equal(row.sealed_password, null);
    // The job completed (pg-boss marks it just after the handler returns), and nothing else goes out.
    const jobStates = async () =>
      (
        await sql<{ state: string }>`
      SELECT state FROM pgboss.job WHERE name = ${WELCOME_MAIL_QUEUE} AND singleton_key = ${user.id}`.execute(
          second.deps().database.kysely,
        )
      ).rows.map((job) => job.state);
    const settleBy = Date.now() + 10_000;
    while ((await jobStates()).includes('active') && Date.now() < settleBy) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(await jobStates(), ['completed']);
    assert.equal((await mailsTo()).length, 1);
  });
});
