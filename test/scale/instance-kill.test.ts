// One instance SIGKILLed while every service is under a steady load of 50 requests/s through
// haproxy, with a biometry job running on it and a notification mail it is sending: no
// acknowledged write is lost, once haproxy marks it down every request is answered by the other
// instance, the job completes once on the other, the mail is redelivered and sent once, and,
// started again, the killed instance rejoins. One kill for all of it: the lane's time budget.
//
// backlex is loaded on its tenancy routes only (sign-up and health): its project databases are
// SQLite files in each instance's data dir, which docs/scaling.md says to run as one instance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startWebhookReceiver, type WebhookReceiver } from '@trustplane/kernel/testkit';
import { DOCUMENTS_DIR, FACES_DIR } from '@trustplane/vision/testkit';
import amqp from 'amqplib';
import pg from 'pg';
import { call, clientIp, sleep } from './support/http.js';
import {
  balancerStates,
  biometryKey,
  capturedMails,
  HEALTH_PATHS,
  heldMails,
  instancePids,
  killInstance,
  releaseMails,
  scaleLane,
  startInstance,
} from './support/topology.js';
import { type VerifiedUser, verifiedUser } from './support/users.js';

const { skip, lane } = await scaleLane();
const RATE_PER_SECOND = 50;
/** The load runs this long after the kill (the issue's 10 s). */
const AFTER_KILL_MS = 10_000;
/** A load request unanswered after this long counts as failed (status 0). */
const REQUEST_TIMEOUT_MS = 30_000;
const KILLED = 2;
const SURVIVOR = 1;
const HEALTH = Object.fromEntries(
  Object.entries(HEALTH_PATHS).filter((entry): entry is [string, string] => entry[1] !== undefined),
);

interface Sent {
  kind: string;
  sentAt: number;
  answeredAt: number;
  status: number;
  /** What a write created (email, folder id…), kept when it was acknowledged. */
  key?: string;
  /** Why no answer came (status 0). */
  error?: string;
}

const b64 = (url: URL) => fs.readFileSync(url).toString('base64');

function jobBody(callbackUrl: string) {
  return {
    citizen_code: `CIT-${randomUUID().slice(0, 8)}`,
    document_type: 'CNI',
    country_code: 'FR',
    selfie_b64: b64(new URL('eileen_collins_nasa.jpg', FACES_DIR)),
    cni_recto_b64: b64(new URL('td1-fra-dupre-recto.jpg', DOCUMENTS_DIR)),
    cni_verso_b64: b64(new URL('td1-fra-dupre-verso.jpg', DOCUMENTS_DIR)),
    declared_identity: {
      first_name: 'Élodie Marie',
      last_name: 'Dupré',
      date_of_birth: '1990-02-14',
      gender: 'F',
      nationality: 'FR',
    },
    callback_url: callbackUrl,
  };
}

/** The seed's `notification.requests` event (`email.send`), as another service publishes it. */
function mailRequest(to: string) {
  return {
    id: `evt-${randomUUID()}`,
    source_service: 'scale-lane',
    timestamp: new Date().toISOString(),
    recipient: { email: to, name: 'Scale' },
    content: { subject: `Redelivered ${to}`, body: 'Hello {{name}}', template_data: { name: 'Scale' } },
    provider_type: 'email',
    provider_name: 'smtp_email',
    metadata: { event: 'scale_test' },
    created_at: new Date().toISOString(),
  };
}

async function publish(messages: unknown[]): Promise<void> {
  const connection = await amqp.connect(lane.amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    for (const message of messages)
      channel.publish('notification.requests', 'email.send', Buffer.from(JSON.stringify(message)), {
        messageId: randomUUID(),
        contentType: 'application/json',
        persistent: true,
      });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(`SIGKILL of one instance under ${RATE_PER_SECOND} requests/s`, () => {
  const sent: Sent[] = [];
  let user: VerifiedUser;
  let biometry: string;
  let receiver: WebhookReceiver;
  const jobIds: string[] = [];
  let jobOnKilled: string | undefined;
  /** Recipients of the mails held at the SMTP server when the kill came. */
  const heldRecipients: string[] = [];
  let killedAt = 0;
  /** When haproxy showed the killed instance DOWN in every HTTP backend. */
  let markedDownAt = 0;
  let restartedAt = 0;
  const pending = new Set<Promise<void>>();

  /** One request of the mix, numbered `n`: writes of account, media, backlex; every service's health. */
  function request(n: number): Promise<Sent> {
    const sentAt = Date.now();
    const base = lane.balancer;
    const kinds = ['account.register', 'media.folder', 'backlex.sign-up', ...Object.keys(HEALTH)];
    const kind = kinds[n % kinds.length]!;
    const done = (response: { status: number }, key?: string): Sent => ({
      kind,
      sentAt,
      answeredAt: Date.now(),
      status: response.status,
      ...(response.status < 300 && key ? { key } : {}),
    });
    const failed = (error: Error): Sent => ({
      kind,
      sentAt,
      answeredAt: Date.now(),
      status: 0,
      error: String((error.cause as Error | undefined)?.message ?? error.message),
    });
    if (kind === 'account.register') {
      const email = `load-${randomUUID().slice(0, 12)}@example.com`;
      return call(base.account!, 'POST', '/api/v1/auth/register', {
        timeoutMs: REQUEST_TIMEOUT_MS,
        clientIp: clientIp(),
        body: { email, password: 'SecurePass123!', display_name: 'Load' },
      }).then((response) => done(response, email), failed);
    }
    if (kind === 'media.folder') {
      return call(base.media!, 'POST', '/folders', {
        timeoutMs: REQUEST_TIMEOUT_MS,
        token: user.accessToken,
        body: { name: `load-${randomUUID()}` },
      }).then((response) => done(response, response.body?.id ?? response.body?.data?.id), failed);
    }
    if (kind === 'backlex.sign-up') {
      const email = `load-${randomUUID().slice(0, 12)}@example.com`;
      // A browser on backlex's public origin (the balancer's, BACKLEX_PUBLIC_URL) sends it.
      return call(base.backlex!, 'POST', '/api/auth/sign-up/email', {
        timeoutMs: REQUEST_TIMEOUT_MS,
        clientIp: clientIp(),
        headers: { origin: new URL(base.backlex!).origin },
        body: { email, name: 'Load', password: `pw-${randomUUID()}` },
      }).then((response) => done(response, email), failed);
    }
    return call(base[kind]!, 'GET', HEALTH[kind]!, { timeoutMs: REQUEST_TIMEOUT_MS }).then(
      (response) => done(response),
      failed,
    );
  }

  /**
   * Open loop: a request every 1000/RATE ms, whatever the answers take (a late timer is caught up
   * at once), until `stop()` is true; resolves with how long requests were being sent, once every
   * answer is in.
   */
  async function load(stop: () => boolean): Promise<{ sendingMs: number; count: number }> {
    const interval = 1000 / RATE_PER_SECOND;
    const start = Date.now();
    let count = 0;
    while (!stop()) {
      // Every request due by now is sent, so a starved event loop sends late, never fewer.
      const due = Math.floor((Date.now() - start) / interval) + 1;
      for (; count < due; count++) {
        const promise = request(count).then((result) => {
          sent.push(result);
        });
        pending.add(promise);
        promise.finally(() => pending.delete(promise));
      }
      await sleep(Math.max(0, start + count * interval - Date.now()));
    }
    const sendingMs = Date.now() - start;
    await Promise.all(pending);
    return { sendingMs, count };
  }

  /**
   * Mails to `hold-…` published until one of them is held at the SMTP server by the instance to
   * kill (taken off RabbitMQ, not acknowledged); whichever instance holds the others, they are
   * accepted once released.
   */
  async function holdAMailOn(index: number): Promise<void> {
    for (let round = 0; round < 5; round++) {
      const recipients = [0, 1, 2, 3].map(() => `hold-${randomUUID().slice(0, 12)}@example.com`);
      heldRecipients.push(...recipients);
      await publish(recipients.map(mailRequest));
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        if ((await heldMails()).some((mail) => mail.instance === index && mail.state === 'held')) return;
        await sleep(200);
      }
    }
    throw new Error(`no held mail on instance ${index}: ${JSON.stringify(await heldMails())}`);
  }

  before(async () => {
    if (skip) return;
    receiver = await startWebhookReceiver();
    [user, biometry] = await Promise.all([verifiedUser(lane), biometryKey()]);
    // Jobs submitted through both instances; the kill waits until one of them runs on instance 2.
    for (let index = 0; index < 4; index++) {
      const through = lane.instances[index % 2]!.urls.biometry!;
      const response = await call(through, 'POST', '/jobs/submit', {
        headers: { 'x-service-api-key': biometry },
        body: jobBody(`${receiver.origin}/hook/${index}`),
      });
      assert.equal(response.status, 202, response.text);
      jobIds.push(response.body.job_id);
    }
    const killedPid = (await instancePids()).find((entry) => entry.index === KILLED)!.pid!;
    jobOnKilled = await until(
      'a job processing on instance 2',
      async () => {
        for (const id of jobIds) {
          const status = await call(lane.balancer.biometry!, 'GET', `/jobs/${id}`, {
            headers: { 'x-service-api-key': biometry },
          });
          if (
            status.body?.status === 'processing' &&
            String(status.body.worker_id).includes(`:${killedPid}:`)
          )
            return id as string;
        }
        return undefined;
      },
      240_000,
    );

    // A mail held by instance 2 (its send timeout, 10 s, leaves time for what follows), then the
    // load, and the kill 2 s into it.
    await holdAMailOn(KILLED);
    const loading = load(() => killedAt > 0 && Date.now() > killedAt + AFTER_KILL_MS);
    await sleep(2000);
    killedAt = Date.now();
    await killInstance(KILLED);
    await releaseMails();
    await until(
      'haproxy marking instance 2 down',
      async () => {
        const states = Object.entries(await balancerStates(lane, KILLED));
        return states.length > 0 && states.every(([, state]) => state.startsWith('DOWN'));
      },
      30_000,
    );
    markedDownAt = Date.now();
    const { sendingMs, count } = await loading;
    assert.equal(sent.length, count);
    // What the client managed to offer (a client starved of CPU sends late; it is reported, not
    // asserted: the tests below only need requests on each side of the kill and the mark-down).
    console.log(`load: ${count} requests in ${sendingMs} ms (${((count * 1000) / sendingMs).toFixed(1)}/s)`);

    restartedAt = Date.now();
    await startInstance(KILLED);
  });
  after(async () => {
    await receiver?.close();
  });

  test('no acknowledged write is lost', { skip }, async () => {
    const acknowledged = (kind: string) =>
      sent.filter((entry) => entry.kind === kind && entry.key).map((entry) => entry.key!);
    const emails = acknowledged('account.register');
    const folders = acknowledged('media.folder');
    const signUps = acknowledged('backlex.sign-up');
    assert.ok(emails.length > 0 && folders.length > 0 && signUps.length > 0, 'writes were acknowledged');
    // Registrations and sign-ups in the database every instance reads.
    const client = new pg.Client({ connectionString: lane.databaseUrl });
    await client.connect();
    try {
      const accounts = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM account.accounts WHERE email = ANY($1)',
        [emails],
      );
      assert.equal(accounts.rows[0]!.n, emails.length, 'every acknowledged registration');
      const users = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM backlex."user" WHERE email = ANY($1)',
        [signUps],
      );
      assert.equal(users.rows[0]!.n, signUps.length, 'every acknowledged backlex sign-up');
    } finally {
      await client.end();
    }
    // Folders through the API, from whichever instance the balancer picks, by listing and one by one.
    const listed = await call(lane.balancer.media!, 'GET', '/folders', { token: user.accessToken });
    assert.equal(listed.status, 200, listed.text);
    const ids = new Set((listed.body.items as { id: string }[]).map((folder) => folder.id));
    assert.deepEqual(
      folders.filter((id) => !ids.has(id)),
      [],
      'every acknowledged folder is listed',
    );
    for (const id of folders) {
      const response = await call(lane.balancer.media!, 'GET', `/folders/${id}/contents`, {
        token: user.accessToken,
      });
      assert.equal(response.status, 200, `folder ${id}: ${response.text}`);
    }
  });

  test('reads meeting the dead instance are retried on the other; once haproxy marks it down, every request is answered by the other', {
    skip,
  }, () => {
    // Answered before the kill (a request in flight on the killed instance may fail: it was never acknowledged).
    const before = sent.filter((entry) => entry.answeredAt < killedAt);
    const after = sent.filter((entry) => entry.sentAt >= markedDownAt);
    assert.ok(before.length > 0 && after.length > 0);
    const failures = (entries: Sent[]) =>
      entries
        .filter((entry) => entry.status < 200 || entry.status >= 300)
        .map((entry) => `${entry.kind} ${entry.status || `no answer (${entry.error})`}`);
    assert.deepEqual(failures(before), [], 'before the kill');
    assert.deepEqual(failures(after), [], 'after haproxy marked it down');
    const between = sent.filter((entry) => entry.sentAt >= killedAt && entry.sentAt < markedDownAt);
    console.log(
      `${sent.length} requests; ${between.length} sent between the kill and the mark-down (${markedDownAt - killedAt} ms), failed: ${failures(between).join(', ') || 'none'}`,
    );
    // Before the mark-down, a GET that met the dead instance (refused, or cut mid-request) was
    // retried by haproxy on the other; only writes, which it must not replay, may have failed.
    const reads = between.filter(
      (entry) => !['account.register', 'media.folder', 'backlex.sign-up'].includes(entry.kind),
    );
    assert.deepEqual(failures(reads), [], 'reads between the kill and the mark-down');
  });

  test('biometry: jobs submitted through both instances complete once each; the one running on the killed instance completes on the other', {
    skip,
  }, async () => {
    assert.ok(jobOnKilled);
    const survivorPid = (await instancePids()).find((entry) => entry.index === SURVIVOR)!.pid!;
    const statuses = await until(
      'every job completed',
      async () => {
        const all = await Promise.all(
          jobIds.map((id) =>
            call(lane.balancer.biometry!, 'GET', `/jobs/${id}`, {
              headers: { 'x-service-api-key': biometry },
            }),
          ),
        );
        return all.every((status) => ['completed', 'error'].includes(status.body?.status)) && all;
      },
      300_000,
    );
    for (const status of statuses) assert.equal(status.body.status, 'completed', status.text);
    const rerun = statuses[jobIds.indexOf(jobOnKilled)]!;
    assert.ok(
      String(rerun.body.worker_id).includes(`:${survivorPid}:`),
      `finished by instance 1: ${rerun.text}`,
    );
    console.log(`biometry workers: ${statuses.map((status) => status.body.worker_id).join(', ')}`);
    // Each result is handed out once, and each callback delivered once.
    const results = await call(lane.balancer.biometry!, 'GET', '/jobs/results?limit=1000', {
      headers: { 'x-service-api-key': biometry },
    });
    const ids = (results.body.results as { job_id: string }[]).map((result) => result.job_id).sort();
    assert.deepEqual(ids, [...jobIds].sort());
    await until('every callback', async () => receiver.received.length >= jobIds.length, 60_000);
    // A late duplicate would land within a few seconds of the others.
    await sleep(3000);
    const delivered = receiver.received.map((entry) => entry.path).sort();
    assert.deepEqual(delivered, jobIds.map((_, index) => `/hook/${index}`).sort());
  });

  test('notification: a mail whose instance died before acknowledging its delivery is redelivered and sent once', {
    skip,
  }, async () => {
    const held = await heldMails();
    const cut = held.filter((mail) => mail.state === 'aborted');
    assert.ok(
      cut.some((mail) => mail.instance === KILLED),
      `a delivery cut by the kill: ${JSON.stringify(held)}`,
    );
    // Taken over once the dead attempt's budget (send timeout 10 s + 10 s) has passed; a mail held
    // past its send timeout on the survivor is retried (NOTIFICATION_RETRY_DELAYS_MS: 2 s first).
    await until(
      'a mail to every held recipient',
      async () => {
        const mails = await capturedMails();
        return heldRecipients.every((to) => mails.some((mail) => mail.to === to));
      },
      180_000,
    );
    await sleep(3000);
    const mails = await capturedMails();
    for (const to of heldRecipients)
      assert.equal(mails.filter((mail) => mail.to === to).length, 1, `one mail to ${to}`);
  });

  test('started again, the killed instance rejoins: haproxy marks it up and it serves', {
    skip,
  }, async () => {
    assert.ok(restartedAt > 0);
    await until(
      'haproxy marking instance 2 up',
      async () => {
        const states = Object.values(await balancerStates(lane, KILLED));
        return states.length > 0 && states.every((state) => state === 'UP');
      },
      30_000,
    );
    for (const [service, route] of Object.entries(HEALTH)) {
      const response = await call(lane.instances[KILLED - 1]!.urls[service]!, 'GET', route);
      assert.equal(response.status, 200, `${service} on the restarted instance: ${response.text}`);
    }
    const folder = await call(lane.instances[KILLED - 1]!.urls.media!, 'POST', '/folders', {
      token: user.accessToken,
      body: { name: `after-restart-${randomUUID()}` },
    });
    assert.equal(folder.status, 201, folder.text);
  });
});
