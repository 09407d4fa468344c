/**
 * Issue 19: what the external servers cost. The same mixed workload (logins, whoami, media
 * uploads, media downloads) against
 *   - embedded: one `trustplane start` on the defaults (embedded PostgreSQL, in-process bus, local
 *     disk, PostgreSQL rate limits), and
 *   - two instances: the scale lane's topology (test/scale/support/lane.ts: Debian PostgreSQL,
 *     RabbitMQ, Redis, s3rver, two `trustplane start` behind haproxy), requests through haproxy,
 * on the same machine, in one run, each at LOG_LEVEL info and silent. Prints throughput and p99
 * per kind and overall for each, and the ratio two-instances / embedded.
 *
 *   npx tsx bench/scale.ts [--seconds 30] [--concurrency 8] [--log-levels info,silent]
 *   under priority: setsid sh -c 'echo -10 > /proc/self/autogroup && exec nice -n -10 npx tsx bench/scale.ts'
 *
 * Needs the lane's Debian packages (postgresql, rabbitmq-server, redis-server, haproxy).
 *
 * Closed loop: `--concurrency` clients, each running requests of the mix back to back for
 * `--seconds` after a 5 s warm-up (not counted). The mix, per 100 requests: whoami 60 (GET
 * /api/v1/auth/whoami), media download 20 (GET /media/:id of one of the user's last uploads),
 * media upload 15 (multipart POST /upload of a ~30–90 KB document image; each user keeps its 10
 * newest, an older one is DELETEd, not counted), login 5 (argon2id at the platform's default
 * cost in both: the lane's instances are restarted without its cheap test hashing). Users are
 * registered, verified through the link of their mail (the mail sink or the lane's SMTP server)
 * and logged in first; each client sends its own X-Forwarded-For.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';
import { readDocument, readManifest } from '@trustplane/vision/testkit';
import { type Lane, startLane } from '../test/scale/support/lane.js';
import type { RunningTopology } from '../test/scale/support/topology.js';
import { numberArgument } from './support/arguments.js';
import { benchLogLevels } from './support/log-levels.js';
import { percentile } from './support/statistics.js';

const SECONDS = numberArgument('seconds', 30);
const WARMUP_SECONDS = 5;
const CONCURRENCY = numberArgument('concurrency', 8);
const USERS = 8;
const KEPT = 10;
const LEVELS = benchLogLevels();
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'packages/cli/bin/trustplane.js');
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the workload goes, and how a user's verification link is found. */
interface Target {
  account: string;
  media: string;
  verifyLink(email: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// The embedded single process.

async function startEmbedded(level: string) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-scale-'));
  // Embedded PostgreSQL runs initdb as another user when started as root: let it in.
  await fs.chmod(dataDir, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TRUSTPLANE_DATA_DIR: dataDir,
    TRUSTPLANE_HOST: '127.0.0.1',
    TRUSTPLANE_PUBLIC_HOST: '127.0.0.1',
    TRUSTPLANE_TRUSTED_PROXIES: 'loopback',
    LOG_LEVEL: level,
    MEDIA_DEFAULT_QUOTA_BYTES: String(1024 ** 3),
  };
  for (const name of [
    'ACCOUNT',
    'MEDIA',
    'NOTIFICATION',
    'NOTIFICATION_GRPC',
    'KYC',
    'BIOMETRY',
    'VERIFACT',
    'BACKLEX',
  ])
    env[`${name}_PORT`] = String(await freePort());
  const log = createWriteStream(path.join(dataDir, 'platform.log'));
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const account = `http://127.0.0.1:${env.ACCOUNT_PORT}`;
  const media = `http://127.0.0.1:${env.MEDIA_PORT}`;
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`embedded platform exited (${dataDir}/platform.log)`);
    const up = await Promise.all(
      [`${account}/health`, `${media}/health`].map((url) =>
        fetch(url).then(
          (response) => response.status === 200,
          () => false,
        ),
      ),
    );
    if (up.every(Boolean)) break;
    if (Date.now() > deadline) throw new Error('embedded platform not ready in 10 min');
    await sleep(500);
  }
  const target: Target = {
    account,
    media,
    async verifyLink(email) {
      const { stdout } = await execFileAsync(process.execPath, [CLI, 'mail', 'list', '--json'], {
        cwd: ROOT,
        env: { ...env, LOG_LEVEL: 'silent' },
        maxBuffer: 64 * 1024 * 1024,
      });
      const { messages } = JSON.parse(stdout) as { messages: { to: string; text: string }[] };
      return linkIn(messages.filter((message) => message.to === email).at(-1)?.text);
    },
  };
  return {
    target,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

function linkIn(text: string | undefined): string | undefined {
  return /https?:\/\/\S*\/verify-email\?token=[^\s"<>]+/.exec(text ?? '')?.[0];
}

function laneTarget(lane: Lane, topology: RunningTopology): Target {
  return {
    account: topology.balancer.account!,
    media: topology.balancer.media!,
    async verifyLink(email) {
      return linkIn(lane.mails.filter((mail) => mail.to === email).at(-1)?.text);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The workload.

const manifest = await readManifest();
const images = await Promise.all(
  manifest.slice(0, 12).map(async (entry, index) => ({
    name: `scale-${index}-${entry.recto}`,
    bytes: await readDocument(entry.recto),
  })),
);
let clientCounter = 0;
const newClientIp = () => {
  clientCounter += 1;
  return `10.${(clientCounter >> 16) & 255}.${(clientCounter >> 8) & 255}.${clientCounter & 255}`;
};

interface User {
  email: string;
  password: string;
  ip: string;
  token: string;
  media: string[];
}

interface Sample {
  kind: string;
  ms: number;
  ok: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Json = any;

async function send(
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

async function setUp(target: Target): Promise<User[]> {
  const users: User[] = [];
  for (let index = 0; index < USERS; index += 1) {
    const user: User = {
      email: `scale-bench-${randomUUID().slice(0, 10)}@example.com`,
      password: `Scale-Pass-${index}!x`,
      ip: newClientIp(),
      token: '',
      media: [],
    };
    const registered = await send(`${target.account}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': user.ip },
      body: JSON.stringify({ email: user.email, password: user.password, display_name: `Bench ${index}` }),
    });
    if (registered.status !== 201)
      throw new Error(`register: ${registered.status} ${JSON.stringify(registered.json)}`);
    users.push(user);
  }
  for (const user of users) {
    let link: string | undefined;
    for (let attempt = 0; !link; attempt += 1) {
      if (attempt > 120) throw new Error(`no verification mail for ${user.email}`);
      link = await target.verifyLink(user.email);
      if (!link) await sleep(1000);
    }
    const url = new URL(link);
    const verified = await send(`${target.account}${url.pathname}${url.search}`, {
      headers: { 'x-forwarded-for': user.ip },
    });
    if (verified.status !== 200) throw new Error(`verify: ${verified.status}`);
    await login(target, user);
  }
  return users;
}

async function login(target: Target, user: User): Promise<boolean> {
  // A login comes from a new client address, as users do (the per-IP login window stays default).
  user.ip = newClientIp();
  const answer = await send(`${target.account}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': user.ip },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  if (answer.status !== 200) return false;
  user.token = answer.json.data.access_token;
  return true;
}

async function upload(target: Target, user: User): Promise<boolean> {
  const image = images[Math.floor(Math.random() * images.length)]!;
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image.bytes)], { type: 'image/jpeg' }), image.name);
  const answer = await send(`${target.media}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'x-forwarded-for': user.ip },
    body: form,
  });
  if (answer.status !== 201 && answer.status !== 200) return false;
  user.media.push(answer.json.id ?? answer.json.data?.id);
  return true;
}

/** The workload for `SECONDS` after the warm-up; samples of the counted window. */
async function measure(target: Target, users: User[]): Promise<{ samples: Sample[]; errors: string[] }> {
  for (const user of users) if (!(await upload(target, user))) throw new Error('first upload refused');
  const samples: Sample[] = [];
  const errors: string[] = [];
  const start = performance.now();
  const countFrom = start + WARMUP_SECONDS * 1000;
  const end = countFrom + SECONDS * 1000;
  let cursor = 0;
  const cycle = [
    ...Array<string>(60).fill('whoami'),
    ...Array<string>(20).fill('media download'),
    ...Array<string>(15).fill('media upload'),
    ...Array<string>(5).fill('login'),
  ].sort(() => Math.random() - 0.5);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      while (performance.now() < end) {
        const kind = cycle[cursor++ % cycle.length]!;
        const user = users[(client + cursor) % users.length]!;
        const since = performance.now();
        let ok = false;
        try {
          if (kind === 'whoami') {
            const answer = await send(`${target.account}/api/v1/auth/whoami`, {
              headers: { authorization: `Bearer ${user.token}`, 'x-forwarded-for': user.ip },
            });
            ok = answer.status === 200;
          } else if (kind === 'media download') {
            const id = user.media.at(-1 - Math.floor(Math.random() * Math.min(user.media.length, 5)));
            const response = await fetch(`${target.media}/media/${id}`, {
              headers: { authorization: `Bearer ${user.token}`, 'x-forwarded-for': user.ip },
            });
            await response.arrayBuffer();
            ok = response.status === 200;
          } else if (kind === 'media upload') {
            ok = await upload(target, user);
          } else {
            ok = await login(target, user);
          }
        } catch (error) {
          errors.push(`${kind}: ${(error as Error).message}`);
        }
        const now = performance.now();
        if (since >= countFrom && now <= end) samples.push({ kind, ms: now - since, ok });
        if (!ok && errors.length < 20) errors.push(`${kind} failed`);
        if (kind === 'media upload' && user.media.length > KEPT) {
          const oldest = user.media.shift()!;
          await send(`${target.media}/media/${oldest}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${user.token}`, 'x-forwarded-for': user.ip },
          }).catch(() => undefined);
        }
      }
    }),
  );
  return { samples, errors };
}

interface Figures {
  perSecond: number;
  p99: number;
  byKind: Map<string, { perSecond: number; p99: number; p50: number; share: number }>;
  failed: number;
}

function figures(samples: Sample[]): Figures {
  const byKind = new Map<string, { perSecond: number; p99: number; p50: number; share: number }>();
  const total = samples.reduce((sum, sample) => sum + sample.ms, 0);
  for (const kind of ['whoami', 'media download', 'media upload', 'login']) {
    const of = samples.filter((sample) => sample.kind === kind).map((sample) => sample.ms);
    byKind.set(kind, {
      perSecond: of.length / SECONDS,
      p99: percentile(of, 99),
      p50: percentile(of, 50),
      // The clients' time spent waiting on this kind: where a closed loop's time goes.
      share: of.reduce((sum, value) => sum + value, 0) / total,
    });
  }
  return {
    perSecond: samples.length / SECONDS,
    p99: percentile(
      samples.map((sample) => sample.ms),
      99,
    ),
    byKind,
    failed: samples.filter((sample) => !sample.ok).length,
  };
}

// ---------------------------------------------------------------------------------------------
// The run: embedded at each level, then the lane at each level.

const ms = (value: number) => `${value.toFixed(1)} ms`;
console.log(
  `scale bench: ${os.cpus().length} cores, 1-min load ${os.loadavg()[0]?.toFixed(1)}; ${CONCURRENCY} clients, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up; levels ${LEVELS.join(', ')}`,
);
const results = new Map<string, Figures>();
function report(name: string, level: string, measured: { samples: Sample[]; errors: string[] }) {
  const result = figures(measured.samples);
  results.set(`${name} ${level}`, result);
  console.log(
    `${name} (${level}): ${result.perSecond.toFixed(1)} req/s, p99 ${ms(result.p99)}, failed ${result.failed}`,
  );
  for (const [kind, figure] of result.byKind)
    console.log(
      `  ${kind.padEnd(15)} ${figure.perSecond.toFixed(1).padStart(6)} req/s  p50 ${ms(figure.p50).padStart(9)}  p99 ${ms(figure.p99).padStart(9)}  ${(figure.share * 100).toFixed(0).padStart(3)} % of the clients' time`,
    );
  for (const error of new Set(measured.errors)) console.log(`  error: ${error}`);
}

for (const level of LEVELS) {
  const embedded = await startEmbedded(level);
  try {
    const users = await setUp(embedded.target);
    report('embedded', level, await measure(embedded.target, users));
  } finally {
    await embedded.stop();
  }
}

// The lane's test settings (1 MiB quota, cheap password hashing) give way to the embedded run's:
// the same quota, the platform's default argon2id cost.
const benchSettings = {
  MEDIA_DEFAULT_QUOTA_BYTES: String(1024 ** 3),
  ACCOUNT_PASSWORD_HASH_MEMORY_KIB: String(PASSWORD_HASH_PARAMETERS.memoryCost),
  ACCOUNT_PASSWORD_HASH_TIME_COST: String(PASSWORD_HASH_PARAMETERS.timeCost),
};
const lane = await startLane((line) => console.log(`lane: ${line}`), {
  ...benchSettings,
  LOG_LEVEL: LEVELS[0]!,
});
try {
  if (lane.topology.skip !== false) throw new Error(`the lane could not start: ${lane.topology.skip}`);
  const topology = lane.topology;
  for (const [index, level] of LEVELS.entries()) {
    if (index > 0) await lane.restartInstances({ LOG_LEVEL: level });
    const target = laneTarget(lane, topology);
    const users = await setUp(target);
    report('two instances', level, await measure(target, users));
  }
} finally {
  await lane.stop();
}

for (const level of LEVELS) {
  const one = results.get(`embedded ${level}`)!;
  const two = results.get(`two instances ${level}`)!;
  console.log(
    `ratio two instances / embedded (${level}): throughput ×${(two.perSecond / one.perSecond).toFixed(2)}, p99 ×${(two.p99 / one.p99).toFixed(2)}`,
  );
  // Where the time goes: each kind's share of the clients' time, and what the topology adds to its median.
  const parts = [...one.byKind].map(([kind, embedded]) => {
    const lane = two.byKind.get(kind)!;
    const delta = lane.p50 - embedded.p50;
    return `${kind} ${(embedded.share * 100).toFixed(0)} → ${(lane.share * 100).toFixed(0)} % of the time, p50 ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} ms`;
  });
  console.log(`  where the time goes (${level}, embedded → two instances): ${parts.join('; ')}`);
}
