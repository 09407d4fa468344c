import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMailer, freePort } from '@trustplane/kernel';
import { createTestDatabase, type TestDatabase } from '@trustplane/kernel/testkit';
import pg from 'pg';

const bin = fileURLToPath(new URL('../bin/trustplane.js', import.meta.url));

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `--json` promises exactly one JSON object on stdout. */
function singleJsonObject(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one line of output, got: ${stdout}`);
  const value = JSON.parse(lines[0]!) as unknown;
  assert.equal(typeof value, 'object');
  return value as Record<string, unknown>;
}

describe('trustplane command line', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await createTestDatabase('cli');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-cli-'));
  });
  after(async () => {
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('migrate --json applies every schema once and is idempotent', async () => {
    const env = { DATABASE_URL: database.url, TRUSTPLANE_DATA_DIR: dataDir };
    const first = await run(['migrate', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const result = singleJsonObject(first.stdout) as { migrations: { schema: string; applied: string[] }[] };
    const schemas = result.migrations.map((entry) => entry.schema);
    for (const schema of [
      'platform',
      'kyc',
      'biometry',
      'verifact',
      'backlex',
      'account',
      'media',
      'notification',
    ]) {
      assert.ok(schemas.includes(schema), `${schema} migrated`);
    }
    const second = await run(['migrate', '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const again = singleJsonObject(second.stdout) as { migrations: { applied: string[] }[] };
    assert.ok(again.migrations.every((entry) => entry.applied.length === 0));
  });

  test('biometry key create --json prints the key and its callback secret, once', async () => {
    // `key create` migrates biometry's schema itself (a `migrate` run first would be one more
    // process start, each loading every service; the first test covers `migrate`).
    const env = { DATABASE_URL: database.url, TRUSTPLANE_DATA_DIR: dataDir };
    const created = await run(['biometry', 'key', 'create', '--name', 'cli client', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const { key, callbackSecret } = singleJsonObject(created.stdout) as {
      key: string;
      callbackSecret: string;
    };
    assert.match(key, /^bio_/);
    assert.match(callbackSecret, /^whsec_/);
    const listed = await run(['biometry', 'key', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(key) && !listed.stdout.includes(callbackSecret), 'never shown again');
  });

  test('mail list --json prints the embedded sink', async () => {
    const mailer = createMailer({ dataDir, from: 'Trustplane <no-reply@localhost>' });
    await mailer.send({ to: 'ada@example.com', subject: 'Verify your email', text: 'code 123' });
    await mailer.close();
    const result = await run(['mail', 'list', '--json'], { TRUSTPLANE_DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    const { messages } = singleJsonObject(result.stdout) as { messages: Record<string, unknown>[] };
    assert.equal(messages.length, 1);
    assert.deepEqual(Object.keys(messages[0]!).sort(), ['createdAt', 'html', 'subject', 'text', 'to']);
    assert.equal(messages[0]!.subject, 'Verify your email');
  });

  test('a configuration error stops with a clear message and exit code 2', async () => {
    const result = await run(['migrate', '--json'], {
      DATABASE_URL: 'mysql://db/x',
      TRUSTPLANE_DATA_DIR: dataDir,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /DATABASE_URL: must be a URL starting with postgres/);
    assert.equal(result.stdout, '');
  });

  test('an unknown service is a usage error', async () => {
    const result = await run(['start', 'nope'], { DATABASE_URL: database.url, TRUSTPLANE_DATA_DIR: dataDir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown service: nope/);
  });
});

describe('trustplane start on embedded PostgreSQL', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-start-'));
  });
  after(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function start(port: number): Promise<{ child: ChildProcess; lines: string[] }> {
    const child = spawn(process.execPath, [bin, 'start', 'kyc'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        TRUSTPLANE_DATA_DIR: dataDir,
        KYC_PORT: String(port),
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let errors = '';
    child.stderr!.on('data', (chunk) => {
      errors += chunk;
    });
    const reader = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      reader.on('line', (line) => {
        lines.push(line);
        if (line.includes('"trustplane ready"')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`start exited with ${code}: ${lines.join('\n')}${errors}`)),
      );
    });
    return { child, lines };
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  test('--json stays one object on stdout while logs go to stderr (embedded PostgreSQL started)', async () => {
    // This describe's data dir, before any start: the cluster is made here and reused below
    // (the start test works as well on a fresh one).
    const result = await run(['migrate', '--json'], {
      TRUSTPLANE_DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
    });
    assert.equal(result.code, 0, result.stderr);
    const { migrations } = singleJsonObject(result.stdout) as {
      migrations: { schema: string; applied: string[] }[];
    };
    assert.ok(
      migrations.find((entry) => entry.schema === 'platform')!.applied.length > 0,
      'reports what it applied',
    );
    assert.match(result.stderr, /embedded PostgreSQL started/, `stderr: ${result.stderr}`);
  });

  test('serves, stops cleanly on SIGTERM, and keeps its data across a restart', async () => {
    const port = await freePort();
    const first = await start(port);
    assert.ok(
      first.lines.some((line) => line.includes(`"url":"http://localhost:${port}"`)),
      'prints where it listens',
    );
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    assert.equal(health.status, 200);
    const info = JSON.parse(await fs.readFile(path.join(dataDir, 'postgres.json'), 'utf8')) as {
      port: number;
      password: string;
    };
    const client = new pg.Client(
      `postgresql://postgres:${encodeURIComponent(info.password)}@127.0.0.1:${info.port}/trustplane`,
    );
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS public.survives (note text)');
    await client.query("INSERT INTO public.survives VALUES ('kept')");
    await client.end();

    // A data command run meanwhile joins this server instead of starting a second one.
    const joined = await run(['migrate', '--json'], { TRUSTPLANE_DATA_DIR: dataDir, DATABASE_URL: '' });
    assert.equal(joined.code, 0, joined.stderr);
    const stillAdvertised = JSON.parse(await fs.readFile(path.join(dataDir, 'postgres.json'), 'utf8')) as {
      port: number;
    };
    assert.equal(stillAdvertised.port, info.port, 'the running server is still the one advertised');
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200, 'the server kept running');

    const firstExit = await stop(first.child);
    assert.equal(firstExit, 0, `graceful exit, got ${firstExit}`);
    assert.ok(!existsSync(path.join(dataDir, 'postgres.json')), 'PostgreSQL stopped and unadvertised');

    const second = await start(port);
    const again = JSON.parse(await fs.readFile(path.join(dataDir, 'postgres.json'), 'utf8')) as {
      port: number;
      password: string;
    };
    const reader = new pg.Client(
      `postgresql://postgres:${encodeURIComponent(again.password)}@127.0.0.1:${again.port}/trustplane`,
    );
    await reader.connect();
    const { rows } = await reader.query('SELECT note FROM public.survives');
    await reader.end();
    assert.deepEqual(rows, [{ note: 'kept' }]);
    assert.equal(await stop(second.child), 0);
  });
});

describe('trustplane start account media notification, account off its default port', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-start-ports-'));
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  // Found by bench/soak.ts: media looked for account's keys on 8874 whatever ACCOUNT_PORT said, so
  // every token of a user was refused (401) by media when account ran on another port.
  test('media verifies the tokens of the account it was started with (ACCOUNT_PORT)', async () => {
    const ports = {
      ACCOUNT_PORT: await freePort(),
      MEDIA_PORT: await freePort(),
      NOTIFICATION_PORT: await freePort(),
      NOTIFICATION_GRPC_PORT: await freePort(),
    };
    child = spawn(process.execPath, [bin, 'start', 'account', 'media', 'notification'], {
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        LOG_LEVEL: 'info',
        TRUSTPLANE_DATA_DIR: dataDir,
        TRUSTPLANE_HOST: '127.0.0.1',
        TRUSTPLANE_PUBLIC_HOST: '127.0.0.1',
        DATABASE_URL: '',
        ACCOUNT_SERVICE_URL: '',
        JWT_PUBLIC_KEY_PATH: '',
        ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
        ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    const started = child;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: started.stdout! }).on('line', (line) => {
        output += `${line}\n`;
        if (line.includes('"trustplane ready"')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`start exited with ${code}: ${output}`)));
    });
    const account = `http://127.0.0.1:${ports.ACCOUNT_PORT}`;
    const media = `http://127.0.0.1:${ports.MEDIA_PORT}`;
    const json = { 'content-type': 'application/json' };
    const email = 'ports@example.com';
    const password = 'SecurePass123!';
    const registered = await fetch(`${account}/api/v1/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password, display_name: 'Ports' }),
    });
    assert.equal(registered.status, 201, await registered.clone().text());
    // Verified through the mail a user gets (account → notification → sink), then a fresh login.
    let link: string | undefined;
    const mailer = createMailer({ dataDir, from: 'Trustplane <no-reply@localhost>' });
    for (let attempt = 0; attempt < 300 && !link; attempt++) {
      const mail = (await mailer.list()).find((message) => message.to === email);
      link = /\/verify-email\?token=[^\s"<>]+/.exec(mail?.text ?? '')?.[0];
      if (!link) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await mailer.close();
    assert.ok(link, 'the verification mail arrived');
    assert.equal((await fetch(`${account}${link}`)).status, 200);
    const login = await fetch(`${account}/api/v1/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password }),
    });
    assert.equal(login.status, 200);
    const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;

    const form = new FormData();
    form.append('file', new Blob([Buffer.from('hello media')], { type: 'text/plain' }), 'hello.txt');
    const upload = await fetch(`${media}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    assert.equal(upload.status, 201, await upload.clone().text());
    const listed = await fetch(`${media}/media`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(listed.status, 200);
    const exited = new Promise((resolve) => started.once('exit', resolve));
    started.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
