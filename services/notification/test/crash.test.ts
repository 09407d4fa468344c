import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createPool, freePort, Outbox } from '@trustplane/kernel';
import {
  createTestDatabase,
  type ExternalServer,
  hasRabbitMqServer,
  startRabbitMq,
  type TestDatabase,
  eventually,
} from '@trustplane/kernel/testkit';
import amqplib from 'amqplib';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { loadNotificationProto } from '../src/grpc/grpc-server.js';
import { call } from './harness.js';

const bin = fileURLToPath(new URL('../../../packages/cli/bin/trustplane.js', import.meta.url));

/**
 * The service as a real process killed with SIGKILL at the worst moments, against a real SMTP
 * server: what was not accepted is delivered once after a restart, what was is never sent again.
 * In both modes: attempts as pg-boss jobs, and with AMQP_URL as RabbitMQ messages (where the
 * broker redelivers an unacknowledged attempt at once; its lease makes the copy wait for the
 * dead worker's attempt budget before it sends).
 */
function crashSuite(label: string, options: { broker: boolean }) {
  describe(label, {
    skip: options.broker && !hasRabbitMqServer() && 'rabbitmq-server is not installed (.ci/run installs it)',
  }, () => {
    let broker: ExternalServer | undefined;
    let database: TestDatabase;
    let dataDir: string;
    let env: Record<string, string>;
    let child: ChildProcess | undefined;
    let smtp: SMTPServer;
    const data: { to: string; subject: string; messageId: string; answered: boolean }[] = [];
    let holdNext = false;
    let grpcPort: number;

    async function start() {
      const started = spawn(process.execPath, [bin, 'start', 'notification'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: started.stdout! }).on('line', (line) => {
          if (line.includes('"trustplane ready"')) resolve();
        });
        started.once('exit', (code) => reject(new Error(`notification exited with ${code}`)));
      });
    }

    async function kill() {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child!.kill('SIGKILL');
      await exited;
    }

    function client() {
      return new (loadNotificationProto().notification.NotificationService)(
        `127.0.0.1:${grpcPort}`,
        grpc.credentials.createInsecure(),
      );
    }

    before(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, session, callback) {
          simpleParser(stream).then((mail) => {
            const entry = {
              to: session.envelope.rcptTo[0]!.address,
              subject: mail.subject ?? '',
              messageId: mail.messageId ?? '',
              answered: !holdNext,
            };
            data.push(entry);
            // Holding the reply keeps the sender inside the SMTP transaction: it is killed there.
            if (holdNext) holdNext = false;
            else callback();
          }, callback);
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      if (options.broker) broker = await startRabbitMq();
      database = await createTestDatabase('crash');
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-crash-'));
      grpcPort = await freePort();
      env = {
        DATABASE_URL: database.url,
        TRUSTPLANE_DATA_DIR: dataDir,
        TRUSTPLANE_HOST: '127.0.0.1',
        NOTIFICATION_PORT: String(await freePort()),
        NOTIFICATION_GRPC_PORT: String(grpcPort),
        SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        NOTIFICATION_SEND_TIMEOUT_MS: '2000',
        NOTIFICATION_RETRY_DELAYS_MS: '100',
        TRUSTPLANE_JOBS_MAINTENANCE_SECONDS: '1',
        ...(broker ? { AMQP_URL: broker.url } : {}),
      };
      await start();
    });
    after(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await new Promise((resolve) => smtp.close(() => resolve(undefined)));
      await database.drop();
      await broker?.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    async function status(id: string): Promise<string> {
      const rpc = client();
      try {
        return (await call<object, { status: string }>(rpc, 'GetNotification', { notification_id: id }))
          .status;
      } finally {
        rpc.close();
      }
    }

    test('killed in the middle of the SMTP transaction: delivered exactly once after the restart', async () => {
      holdNext = true;
      const rpc = client();
      const { notification_id: id } = await call<object, { notification_id: string }>(
        rpc,
        'CreateNotification',
        {
          recipients: [{ type: 'email', address: 'mid@example.com' }],
          content: { subject: 'Mid SMTP', body: 'b' },
          provider_type: 'email',
        },
      );
      rpc.close();
      await eventually(async () => data.some((entry) => entry.to === 'mid@example.com'), 'DATA received');
      await kill();
      await start();
      await eventually(async () => (await status(id)) === 'delivered', 'delivery after restart', 60_000);
      const copies = data.filter((entry) => entry.to === 'mid@example.com');
      assert.equal(copies.filter((entry) => entry.answered).length, 1, 'accepted once');
      assert.equal(copies[0]!.messageId, copies.at(-1)!.messageId, 'the same Message-ID');
    });

    test('after the commit, before the queue heard of it: the job runs again and sends nothing', async () => {
      const rpc = client();
      const { notification_id: id } = await call<object, { notification_id: string }>(
        rpc,
        'CreateNotification',
        {
          recipients: [{ type: 'email', address: 'acked@example.com' }],
          content: { subject: 'Once', body: 'b' },
          provider_type: 'email',
        },
      );
      rpc.close();
      await eventually(async () => (await status(id)) === 'delivered', 'delivery');
      await kill();
      const pool = createPool({ url: database.url, schema: 'notification' });
      if (!broker) {
        // What a crash between our commit and pg-boss's completion leaves: the job still active, expired.
        const { rows } = await pool.query(
          `UPDATE pgboss.job SET state = 'active', started_on = now() - interval '1 hour', completed_on = NULL
          WHERE name = 'notification.delivery.queue' AND data->>'notification_id' = $1 RETURNING id`,
          [id],
        );
        assert.equal(rows.length, 1);
        await start();
        await eventually(
          async () => {
            const job = await pool.query('SELECT state FROM pgboss.job WHERE id = $1', [rows[0].id]);
            return job.rows[0]?.state === 'completed';
          },
          'the job to run again',
          60_000,
        );
      } else {
        // What the broker does when the ack never came: the same message (id, payload) once more.
        const { rows } = await pool.query<{ message_id: string }>(
          `SELECT message_id FROM message_ledger
          WHERE queue = 'notification.delivery.queue' AND payload->>'notification_id' = $1`,
          [id],
        );
        assert.equal(rows.length, 1);
        const connection = await amqplib.connect(broker.url);
        const channel = await connection.createConfirmChannel();
        channel.publish(
          'notification.delivery',
          'deliver',
          Buffer.from(JSON.stringify({ notification_id: id, lease_seconds: 15 })),
          { persistent: true, messageId: rows[0]!.message_id },
        );
        await channel.waitForConfirms();
        await connection.close();
        await start();
        await eventually(
          async () => {
            const ledger = await pool.query<{ status: string; delivery_count: number }>(
              `SELECT status, delivery_count FROM message_ledger
              WHERE queue = 'notification.delivery.queue' AND message_id = $1`,
              [rows[0]!.message_id],
            );
            return ledger.rows[0]!.delivery_count >= 2 && ledger.rows[0]!.status === 'dropped';
          },
          'the copy to be received and dropped',
          60_000,
        );
      }
      await pool.end();
      assert.equal(data.filter((entry) => entry.to === 'acked@example.com').length, 1, 'not resent');
    });

    test('one id published twice, and again after a restart: one mail', async () => {
      const pool = createPool({ url: database.url, schema: 'platform' });
      const outbox = new Outbox({ pool, logger: pino({ level: 'silent' }), transport: undefined as never });
      const event = {
        id: `evt-${randomUUID()}`,
        source_service: 'test',
        timestamp: new Date().toISOString(),
        recipient: { email: 'twice@example.com' },
        content: { subject: 'Twice', body: 'b' },
        provider_type: 'email',
        provider_name: 'smtp_email',
        created_at: new Date().toISOString(),
      };
      const publish = () =>
        outbox.publish(pool, { exchange: 'notification.requests', topic: 'email.send', payload: event });
      await publish();
      await publish();
      await eventually(async () => data.some((entry) => entry.to === 'twice@example.com'), 'the mail');
      // Killed once the delivery is committed (a kill between the SMTP reply and the commit is the
      // mid-SMTP case above: that mail is sent again after the attempt's budget).
      await eventually(async () => {
        const { rows } = await pool.query(
          `SELECT n.status FROM notification.notifications n
             JOIN notification.notification_recipients r ON r.notification_id = n.id
            WHERE r.address = 'twice@example.com'`,
        );
        return rows.length === 1 && rows[0].status === 'delivered';
      }, 'the delivery committed');
      await kill();
      await start();
      await publish();
      await eventually(async () => {
        const { rows } = await pool.query(
          "SELECT count(*)::int AS n FROM platform.outbox WHERE topic = 'email.send' AND published_at IS NULL",
        );
        return rows[0].n === 0;
      }, 'the relay');
      // Each publish reaches the intake, which records it in its ledger: the first accepted, the
      // copies (one before the kill, one after the restart) dropped as duplicates, never sent.
      const statuses = await eventually(async () => {
        const { rows } = await pool.query<{ status: string }>(
          `SELECT status FROM notification.message_ledger
            WHERE queue = 'notification.events.queue' AND payload->>'id' = $1 ORDER BY status`,
          [event.id],
        );
        const statuses = rows.map((row) => row.status);
        return statuses.filter((status) => status === 'duplicate').length >= 2 ? statuses : undefined;
      }, 'both copies dropped as duplicates');
      await pool.end();
      assert.deepEqual(statuses, ['acked', 'duplicate', 'duplicate']);
      assert.equal(data.filter((entry) => entry.to === 'twice@example.com').length, 1);
    });
  });
}

crashSuite('crashes (SIGKILL) of a notification process', { broker: false });
crashSuite('the same crashes with AMQP_URL (attempts on RabbitMQ)', { broker: true });
