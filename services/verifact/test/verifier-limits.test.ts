import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { eventually } from '@trustplane/kernel/testkit';
import { buildVerifactApp, createVerifact, type VerifactDeps } from '../src/index.js';
import { fixture, signCapture, signTimestampedCapture } from './support/captures.js';
import { checkContract, Harness, multipart, TRUST_ANCHORS, type TestTenant } from './support/harness.js';
import { multiplyAssertion, readJumbf, replaceAssertionContent, writeJumbf } from './support/jumbf.js';

let h: Harness;
let tenant: TestTenant;
const apps: FastifyInstance[] = [];
const pools: VerifactDeps['pool'][] = [];

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
});
after(async () => {
  for (const app of apps) await app.close();
  for (const pool of pools) await pool.close();
  await h?.close();
});

/** A second composition on the same context, with its own reader pool and settings. */
async function variant(config: Partial<VerifactDeps['config']>, context: ServiceContext = h.booted.context) {
  const deps = createVerifact(context, 'test', { config });
  const app = await buildVerifactApp(deps);
  apps.push(app);
  pools.push(deps.pool);
  return { app, deps };
}

async function verifyOn(app: FastifyInstance, bytes: Buffer, key = tenant.admin) {
  const form = multipart([{ name: 'photo', value: bytes, filename: 'photo.jpg' }]);
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/verify',
    headers: { authorization: `Bearer ${key}`, ...form.headers },
    payload: form.payload,
  });
  checkContract('POST', '/api/v1/verify', response);
  return response;
}

/** A signed capture whose `com.example.bomb.00000` assertion the bombs grow or swell. */
const template = () => signCapture({ extra: { 'com.example.bomb.00000': { i: 0 } } });

describe('manifest bombs', () => {
  test('a 50,000-assertion manifest → 200 tampered + verifact.resource_limit, refused before a reader spends minutes on it', async () => {
    const signed = template();
    const bomb = writeJumbf(signed, multiplyAssertion(readJumbf(signed), 'com.example.bomb.00000', 50_000));
    assert.ok(bomb.length < 25 * 1024 * 1024);
    const { app, deps } = await variant({ verifierProcesses: 2 });
    await deps.pool.warm();
    const before = deps.pool.pids();
    const response = await verifyOn(app, bomb);
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().status, 'tampered');
    assert.deepEqual(response.json().alerts, ['verifact.resource_limit']);
    // c2pa-rs would have read it for minutes (its assertion lookups are quadratic) until the
    // 5 s deadline killed its process: the readers are the same ones, so none was.
    assert.deepEqual(deps.pool.pids(), before);
    const good = await verifyOn(app, fixture('CA.jpg'));
    assert.deepEqual([good.statusCode, good.json().status], [200, 'verified']);
  });

  test('the assertion cap (VERIFACT_VERIFIER_MAX_ASSERTIONS): at the cap c2pa-rs reads the manifest, one over it is a resource limit', async () => {
    const { app, deps } = await variant({ verifierProcesses: 1, verifierMaxAssertions: 20 });
    const signed = template();
    const grown = (count: number) =>
      writeJumbf(signed, multiplyAssertion(readJumbf(signed), 'com.example.bomb.00000', count));
    // At the cap: read by c2pa-rs, which finds the claim signature no longer matches.
    const atCap = await verifyOn(app, grown(20));
    assert.deepEqual([atCap.statusCode, atCap.json().status], [200, 'tampered']);
    assert.ok(!atCap.json().alerts.includes('verifact.resource_limit'), JSON.stringify(atCap.json().alerts));
    assert.ok(atCap.json().alerts.length > 0);
    const over = await verifyOn(app, grown(21));
    assert.deepEqual(
      [over.statusCode, over.json().status, over.json().alerts],
      [200, 'tampered', ['verifact.resource_limit']],
    );
    assert.equal(deps.pool.stats().busy, 0);
  });

  test('a reader over its data limit (prlimit --data 192 MiB) is killed: 200 tampered + resource_limit, then respawned', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    // A deadline far away, so only the memory limit can end this read.
    const { app, deps } = await variant(
      { verifierProcesses: 1, verifierTimeoutMs: 120_000, verifierMemoryMb: 192 },
      { ...h.booted.context, logger },
    );
    await deps.pool.warm();
    const [before] = deps.pool.pids();
    assert.ok(before);
    const limits = readFileSync(`/proc/${before}/limits`, 'utf8');
    assert.match(limits, /Max data size\s+201326592\s+201326592\s+bytes/);
    // One assertion whose CBOR is an array of 12 M zeros: 12 MB on the wire, ~32 bytes a value
    // once c2pa-rs decodes it.
    const zeros = Buffer.alloc(5 + 12_000_000);
    zeros[0] = 0x9a;
    zeros.writeUInt32BE(12_000_000, 1);
    const signed = template();
    const bomb = writeJumbf(
      signed,
      replaceAssertionContent(readJumbf(signed), 'com.example.bomb.00000', zeros),
    );
    const response = await verifyOn(app, bomb);
    assert.deepEqual(
      [response.statusCode, response.json().status, response.json().alerts],
      [200, 'tampered', ['verifact.resource_limit']],
    );
    const entries = lines
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // Rust's allocation failure (the reader's stderr arrives in chunks), then the abort.
    const stderr = entries.map((entry) => entry.stderr ?? '').join('');
    assert.match(stderr, /memory allocation of \d+ bytes failed/);
    assert.ok(entries.some((entry) => entry.signal === 'SIGABRT'));
    const good = await verifyOn(app, fixture('C.jpg'));
    assert.deepEqual([good.statusCode, good.json().status], [200, 'verified']);
    const [respawned] = deps.pool.pids();
    assert.ok(respawned && respawned !== before);
  });
});

describe('the reader queue', () => {
  test('every reader busy and the queue full → 429 VERIFIER_BUSY with Retry-After; nothing metered for it', async () => {
    const own = await h.tenant();
    const { app, deps } = await variant({
      verifierProcesses: 1,
      verifierQueue: 1,
      verifierTimeoutMs: 60_000,
    });
    await deps.pool.warm();
    const [reader] = deps.pool.pids();
    assert.ok(reader);
    // A stopped reader holds its photo: one read in progress, one waiting, deterministically.
    process.kill(reader, 'SIGSTOP');
    try {
      const first = verifyOn(app, fixture('C.jpg'), own.admin);
      await eventually(() => deps.pool.stats().busy === 1, 'the first photo to be read', 60_000, 10);
      const second = verifyOn(app, fixture('CA.jpg'), own.admin);
      await eventually(() => deps.pool.stats().waiting === 1, 'the second photo to wait', 60_000, 10);
      const refused = await verifyOn(app, fixture('C.jpg'), own.admin);
      assert.deepEqual([refused.statusCode, refused.json().code], [429, 'VERIFIER_BUSY']);
      assert.equal(refused.headers['retry-after'], '1');
      process.kill(reader, 'SIGCONT');
      for (const response of [await first, await second]) {
        assert.deepEqual([response.statusCode, response.json().status], [200, 'verified']);
      }
    } finally {
      process.kill(reader, 'SIGCONT');
    }
    const usage = await h.call({ method: 'GET', url: '/api/v1/usage', key: own.admin });
    assert.equal(usage.json().summary.byEvent.api_verify.count, 2);
  });
});

describe('reader processes', () => {
  test('a reader reads photo after photo, larger then smaller, through its one frame buffer, on one tokio worker thread', async () => {
    const { app, deps } = await variant({ verifierProcesses: 1 });
    // 133 kB, then 2.2 MB and 1.5 MB (many socket reads into the buffer), then the 133 kB photo
    // again into the same, larger buffer: a stale tail or a misplaced offset would change the verdicts.
    const answers: Record<string, unknown>[] = [];
    for (const [name, status, alert] of [
      ['C.jpg', 'verified', undefined],
      ['truepic-20230212-camera.jpg', 'verified', 'signingCredential.untrusted'],
      ['nikon-20221019-building.jpeg', 'tampered', 'signingCredential.expired'],
      ['C.jpg', 'verified', undefined],
    ] as const) {
      const response = await verifyOn(app, fixture(name));
      const { _meta, ...answer } = response.json();
      assert.deepEqual([response.statusCode, answer.status], [200, status], name);
      if (alert) assert.ok(answer.alerts.includes(alert), `${alert} in ${answer.alerts}`);
      answers.push(answer);
    }
    assert.deepEqual(answers[3], answers[0]);
    const [reader] = deps.pool.pids();
    assert.ok(reader);
    // c2pa-node's runtime would start one worker per core; a reader reads one photo at a time.
    const threads = await fs.readdir(`/proc/${reader}/task`);
    const names = await Promise.all(
      threads.map(async (thread) =>
        (await fs.readFile(`/proc/${reader}/task/${thread}/comm`, 'utf8')).trim(),
      ),
    );
    assert.equal(names.filter((name) => name === 'tokio-rt-worker').length, 1);
  });
});

describe('capture time against the trusted time-stamp', () => {
  let tsa: ChildProcess | undefined;
  let tsaUrl = '';
  let dir = '';
  let anchors = '';

  before(async () => {
    // A throw-away RFC 3161 authority (openssl ts), its root added to the trust anchors.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'verifact-tsa-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '30',
      '-subj',
      '/CN=Verifact Test TSA Root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'tsa.key',
      '-out',
      'tsa.csr',
      '-subj',
      '/CN=Verifact Test TSA',
    );
    await fs.writeFile(
      path.join(dir, 'ext.cnf'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'tsa.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'tsa.crt',
      '-days',
      '30',
      '-extfile',
      'ext.cnf',
    );
    await fs.writeFile(path.join(dir, 'serial'), '01\n');
    await fs.writeFile(
      path.join(dir, 'ts.cnf'),
      [
        '[ tsa ]',
        'default_tsa = tsa_config1',
        '[ tsa_config1 ]',
        'serial = ./serial',
        'crypto_device = builtin',
        'signer_digest = sha256',
        'default_policy = 1.2.3.4.1',
        'digests = sha256, sha384, sha512',
        'accuracy = secs:1',
        'ess_cert_id_alg = sha256',
        'ess_cert_id_chain = no',
        'ordering = yes',
        'tsa_name = no',
        '',
      ].join('\n'),
    );
    anchors = path.join(dir, 'anchors.pem');
    await fs.writeFile(
      anchors,
      `${await fs.readFile(TRUST_ANCHORS, 'utf8')}\n${await fs.readFile(path.join(dir, 'ca.crt'), 'utf8')}`,
    );
    tsa = spawn(process.execPath, [new URL('./support/tsa-server.mjs', import.meta.url).pathname, dir], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    for await (const line of createInterface({ input: tsa.stdout as NodeJS.ReadableStream })) {
      tsaUrl = `http://127.0.0.1:${line.trim()}/`;
      break;
    }
  });
  after(async () => {
    tsa?.kill();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('over 5 min between the signed capture time and the RFC 3161 time → verifact.capture_time_skew', async () => {
    const { app } = await variant({ trustAnchorsFile: anchors });
    const capture = async (minutesAgo: number) => {
      const when = new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const bytes = await signTimestampedCapture({ exif: { 'exif:DateTimeOriginal': when } }, tsaUrl);
      const response = await verifyOn(app, bytes);
      assert.equal(response.statusCode, 200);
      return response.json() as { status: string; alerts: string[] };
    };
    const skewed = await capture(10);
    assert.equal(skewed.status, 'verified');
    assert.ok(skewed.alerts.includes('verifact.capture_time_skew'), JSON.stringify(skewed.alerts));
    // The time-stamp is trusted (its root is an anchor), so nothing else is said about it.
    assert.ok(!skewed.alerts.some((alert) => alert.startsWith('timeStamp.')), JSON.stringify(skewed.alerts));
    const prompt = await capture(1);
    assert.equal(prompt.status, 'verified');
    assert.ok(!prompt.alerts.includes('verifact.capture_time_skew'), JSON.stringify(prompt.alerts));
  });
});
