import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMailer, MailError, type Mailer } from '../src/mail/index.js';

const FROM = 'Trustplane <no-reply@trustplane.test>';

/** The header block of a rendered message, unfolded, as `name: value` lines. */
function headerLines(eml: string): string[] {
  const head = eml.split(/\r?\n\r?\n/, 1)[0]!;
  return head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
}

describe('mailer (embedded sink)', () => {
  let dataDir: string;
  let mailer: Mailer;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mail-sink-'));
    mailer = createMailer({ dataDir, from: FROM });
  });
  after(async () => {
    await mailer.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('lists nothing before the first mail', async () => {
    assert.equal(mailer.kind, 'sink');
    assert.deepEqual(await mailer.list(), []);
  });

  test('two mails become two .eml files that parse back through list()', async () => {
    const first = await mailer.send({
      to: 'alice@example.com',
      subject: 'Verify your email',
      text: 'Code: 123456',
    });
    const second = await mailer.send({
      to: ['bob@example.com', 'carol@example.com'],
      subject: 'Reset your password',
      text: 'Open https://example.test/reset?t=abc',
      html: '<p>Open <a href="https://example.test/reset?t=abc">this link</a></p>',
    });
    assert.match(first.messageId, /^<.+@.+>$/);

    const files = (await fs.readdir(path.join(dataDir, 'mail'))).sort();
    const emls = files.filter((name) => name.endsWith('.eml'));
    assert.equal(emls.length, 2);
    assert.ok(
      emls.every((name) => /^\d{8}T\d{9}Z-[0-9a-f]{12}\.eml$/.test(name)),
      emls.join(),
    );
    assert.equal(
      files.filter((name) => name.endsWith('.tmp')).length,
      0,
      'no temporary files are left behind',
    );

    const firstEml = await fs.readFile(path.join(dataDir, 'mail', emls[0]!), 'utf8');
    const headers = headerLines(firstEml);
    assert.ok(headers.includes('To: alice@example.com'), headers.join('\n'));
    assert.ok(headers.includes('Subject: Verify your email'));
    assert.ok(headers.includes(`From: ${FROM}`));
    assert.ok(headers.includes(`Message-ID: ${first.messageId}`));
    assert.match(firstEml, /Code: 123456/);

    const secondEml = await fs.readFile(path.join(dataDir, 'mail', emls[1]!), 'utf8');
    assert.ok(headerLines(secondEml).includes('To: bob@example.com, carol@example.com'));
    assert.match(secondEml, /Content-Type: multipart\/alternative/);
    assert.match(secondEml, /Content-Type: text\/plain/);
    assert.match(secondEml, /Content-Type: text\/html/);

    const listed = await mailer.list();
    assert.deepEqual(
      listed.map(({ to, subject, text, html, messageId, from }) => ({
        to,
        subject,
        text,
        html,
        messageId,
        from,
      })),
      [
        {
          to: 'alice@example.com',
          subject: 'Verify your email',
          text: 'Code: 123456',
          html: null,
          messageId: first.messageId,
          from: FROM,
        },
        {
          to: 'bob@example.com, carol@example.com',
          subject: 'Reset your password',
          text: 'Open https://example.test/reset?t=abc',
          html: '<p>Open <a href="https://example.test/reset?t=abc">this link</a></p>',
          messageId: second.messageId,
          from: FROM,
        },
      ],
    );
    assert.ok(listed[0]!.createdAt < listed[1]!.createdAt);
    assert.ok(!Number.isNaN(Date.parse(listed[0]!.createdAt)));
    assert.equal(listed[0]!.file, path.join(dataDir, 'mail', emls[0]!));
  });

  test('a header injection attempt in the subject does not produce an extra header', async () => {
    await mailer.send({ to: 'victim@example.com', subject: 'a\r\nBcc: x@y', text: 'hi' });
    const last = (await mailer.list()).at(-1)!;
    assert.equal(last.subject, 'a Bcc: x@y');
    const headers = headerLines(await fs.readFile(last.file, 'utf8'));
    assert.ok(!headers.some((line) => /^bcc:/i.test(line)), headers.join('\n'));
    assert.ok(headers.includes('Subject: a Bcc: x@y'));
  });

  test('custom headers are single-line, and address or identity headers cannot be set', async () => {
    await mailer.send({
      to: 'a@example.com',
      subject: 'headers',
      text: 'x',
      headers: { 'X-Entity-Ref-ID': 'ref-1\r\nBcc: evil@example.com' },
    });
    const headers = headerLines(await fs.readFile((await mailer.list()).at(-1)!.file, 'utf8'));
    assert.ok(headers.includes('X-Entity-Ref-ID: ref-1 Bcc: evil@example.com'), headers.join('\n'));
    assert.ok(!headers.some((line) => /^bcc:/i.test(line)));

    for (const name of ['Bcc', 'from', 'Content-Type', 'X-Bad Name', 'X-Bad:Name']) {
      await assert.rejects(
        mailer.send({ to: 'a@example.com', subject: 's', text: 't', headers: { [name]: 'v' } }),
        MailError,
        name,
      );
    }
    await assert.rejects(mailer.send({ to: [], subject: 's', text: 't' }), MailError);
  });

  test('a sink directory removed while the mailer runs is created again, private', async () => {
    const own = await fs.mkdtemp(path.join(os.tmpdir(), 'mail-sink-removed-'));
    const sink = createMailer({ dataDir: own, from: FROM });
    try {
      await sink.send({ to: 'first@example.com', subject: 'First', text: 'one' });
      await fs.rm(path.join(own, 'mail'), { recursive: true });
      await sink.send({ to: 'second@example.com', subject: 'Second', text: 'two' });
      assert.deepEqual(
        (await sink.list()).map((message) => message.to),
        ['second@example.com'],
      );
      assert.equal((await fs.stat(path.join(own, 'mail'))).mode & 0o777, 0o700);
    } finally {
      await sink.close();
      await fs.rm(own, { recursive: true, force: true });
    }
  });

  test('a second mailer on the same data dir (the CLI) lists the same messages', async () => {
    const reader = createMailer({ dataDir, from: FROM });
    assert.deepEqual(await reader.list(), await mailer.list());
    await reader.close();
  });
});

interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server (no TLS, no auth) standing in for the operator's relay. */
async function startFakeSmtpServer(): Promise<{
  port: number;
  received: ReceivedMail[];
  close(): Promise<void>;
}> {
  const received: ReceivedMail[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current: ReceivedMail = { from: '', to: [], data: '' };
    socket.write('220 fake.smtp.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      while (true) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd === -1) return;
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-fake.smtp.test\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') {
          current.from = /<(.*)>/.exec(line)?.[1] ?? '';
          socket.write('250 2.1.0 ok\r\n');
        } else if (verb === 'RCPT') {
          current.to.push(/<(.*)>/.exec(line)?.[1] ?? '');
          socket.write('250 2.1.5 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 end with <CRLF>.<CRLF>\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 2.0.0 bye\r\n');
        } else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}

describe('mailer (SMTP)', () => {
  test('with smtpUrl the mail goes to the SMTP server and the sink stays empty', async () => {
    const smtp = await startFakeSmtpServer();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mail-smtp-'));
    const mailer = createMailer({ dataDir, from: FROM, smtpUrl: `smtp://127.0.0.1:${smtp.port}` });
    try {
      assert.equal(mailer.kind, 'smtp');
      const { messageId } = await mailer.send({
        to: 'dave@example.com',
        subject: 'Welcome\r\nBcc: x@y',
        text: 'Hello Dave',
        html: '<b>Hello Dave</b>',
      });
      assert.equal(smtp.received.length, 1);
      const [mail] = smtp.received;
      assert.equal(mail!.from, 'no-reply@trustplane.test');
      assert.deepEqual(mail!.to, ['dave@example.com']);
      const headers = headerLines(mail!.data);
      assert.ok(headers.includes('Subject: Welcome Bcc: x@y'), headers.join('\n'));
      assert.ok(headers.includes(`Message-ID: ${messageId}`));
      assert.ok(!headers.some((line) => /^bcc:/i.test(line)));
      assert.match(mail!.data, /Hello Dave/);
      assert.deepEqual(await mailer.list(), []);
    } finally {
      await mailer.close();
      await smtp.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
