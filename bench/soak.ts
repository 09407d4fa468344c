/**
 * Soak (issue 14): the whole platform as `npm start` runs it — `trustplane start`, every service
 * and its workers in one process on embedded PostgreSQL, in a fresh temporary data dir on free
 * ports — driven by a mixed workload at 80 % of its measured maximum for a set time.
 *
 *   npx tsx bench/soak.ts [--minutes 10] [--max-seconds 40] [--fraction 0.8] [--concurrency 16]
 *   under priority: setsid sh -c 'echo -10 > /proc/self/autogroup && exec nice -n -10 npx tsx bench/soak.ts'
 *
 * Credentials come from the real doors: account users register (each from its own client
 * address), their verification mail is read from the mail sink with `trustplane mail list`, the
 * link is followed, and they log in; kyc's operator signs up, logs in, creates an organization
 * and a secret key through the dashboard API; biometry's key is made with `trustplane biometry
 * key create`, as an operator would. The platform trusts loopback as its proxy
 * (`TRUSTPLANE_TRUSTED_PROXIES=loopback`) and every simulated client sends its own
 * `X-Forwarded-For`, so the per-IP limits stay at their defaults and act per client, as behind a
 * real proxy. Inputs are the generated identity documents of packages/vision/test/documents and
 * the portraits of ../shared/fixtures/faces.
 *
 * The mix, by flows started (a flow is one user action and the requests it takes):
 *   whoami 64 (GET /api/v1/auth/whoami, JWT) · media download 18 (GET /media/:id, original) ·
 *   media variant 4 (GET /media/:id?variant=low) · media upload 8 (multipart POST /upload of a
 *   generated document image; each user keeps its 20 newest, an older one is DELETEd in the same
 *   flow) · login 2 (argon2id, so few; a random user, from a new client address; its token is
 *   replaced) · kyc 2 (create session → PATCH document type → presign → PUT → upload-complete →
 *   poll every 0.5 s until analysed) ·
 *   biometry 2 (POST /jobs/submit selfie + recto + verso → poll every 0.5 s until done).
 *
 * Phases:
 *   1. maximum: a closed loop of `--concurrency` clients, each running flows of the mix back to
 *      back (async flows until done) for `--max-seconds` after a 10 s ramp; the maximum is the
 *      flows completed per second in that window (the vision work bounds it: the queues stay
 *      full, each client waiting on its job). The loop drains before the soak starts.
 *   2. soak: an open loop, flows started at a fixed rate (`--fraction` × maximum) in a fixed
 *      interleaved order of the mix, whether earlier flows answered or not. A flow's first
 *      request is timed from its scheduled instant (a late scheduler or a stalled server shows as
 *      latency, not as a lower rate); its later requests from when they are sent. `… e2e` kinds
 *      are whole flows (schedule → analysis/job done).
 *
 * Printed per minute of the soak: requests, p50/p99 per kind and overall (HTTP requests only),
 * errors, RSS of the platform process (its vision workers are threads of it: there are no
 * separate worker processes) and the summed PSS of its PostgreSQL processes, and the 1-min load.
 *
 * Fails (exit code 1) on:
 *   - any error: a status outside 2xx/3xx, a network error, a kyc analysis `failed`, a biometry
 *     job `error`, a flow not done 180 s after it started, a flow still running 180 s after the
 *     soak's last one was scheduled, an `error`/`fatal` line in the platform's log, the platform
 *     exiting;
 *   - a p99 trend: the soak is cut in thirds by time; for the overall HTTP latency and for each
 *     kind, p99 of the last third > 1.5 × p99 of the first third + 25 ms (the absolute slack
 *     keeps a 3 ms → 6 ms wobble of a tiny p99 from failing). p99 is compared where both thirds
 *     hold ≥ 300 samples (below that it is the single worst request, one neighbour's hiccup on a
 *     shared machine); a kind with 30–299 samples in a third is compared the same way on p90
 *     (e.g. logins, kyc and biometry steps in a 10-minute run), one with fewer is not compared;
 *   - an RSS trend: the median of the platform process's RSS samples (one a second) in the last
 *     third > 1.10 × the median in the first third. The maximum phase warms the process
 *     (models loaded, JIT, pools, caches) before the soak's first third is taken.
 *
 * The platform's log (LOG_LEVEL info, as `npm start`) goes to `platform.log` in the data dir,
 * which is kept when the run fails. `npm start` also builds kyc's hosted page first (prestart);
 * the soak does not use that page and starts `trustplane start` directly.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@trustplane/kernel';
import { readDocument, readManifest } from '@trustplane/vision/testkit';
import { jobBody, jobImages } from './support/biometry-jobs.js';
import { numberArgument } from './support/arguments.js';

const MINUTES = numberArgument('minutes', 10);
const MAX_SECONDS = numberArgument('max-seconds', 40);
const RAMP_SECONDS = 10;
const FRACTION = numberArgument('fraction', 0.8);
const CONCURRENCY = numberArgument('concurrency', 16);
const USERS = 12;
const MEDIA_KEPT_PER_USER = 20;
const POLL_MS = 500;
const FLOW_TIMEOUT_MS = 180_000;
const P99_FACTOR = 1.5;
const P99_SLACK_MS = 25;
const RSS_FACTOR = 1.1;
const MIN_TREND_SAMPLES = 30;
const P99_MIN_SAMPLES = 300;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'packages/cli/bin/trustplane.js');

// ---------------------------------------------------------------------------------------------
// The platform process.

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-soak-'));
// Embedded PostgreSQL runs initdb as another user when started as root: let it in.
await fs.chmod(dataDir, 0o755);
const ports = {
  account: await freePort(),
  media: await freePort(),
  notification: await freePort(),
  notificationGrpc: await freePort(),
  kyc: await freePort(),
  biometry: await freePort(),
  verifact: await freePort(),
  backlex: await freePort(),
};
const platformEnv: NodeJS.ProcessEnv = {
  ...process.env,
  TRUSTPLANE_DATA_DIR: dataDir,
  TRUSTPLANE_HOST: '127.0.0.1',
  TRUSTPLANE_PUBLIC_HOST: '127.0.0.1',
  TRUSTPLANE_TRUSTED_PROXIES: 'loopback',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  ACCOUNT_PORT: String(ports.account),
  MEDIA_PORT: String(ports.media),
  NOTIFICATION_PORT: String(ports.notification),
  NOTIFICATION_GRPC_PORT: String(ports.notificationGrpc),
  KYC_PORT: String(ports.kyc),
  BIOMETRY_PORT: String(ports.biometry),
  VERIFACT_PORT: String(ports.verifact),
  BACKLEX_PORT: String(ports.backlex),
  // media finds account's JWKS on account's default port unless told (the port is not default here).
  ACCOUNT_SERVICE_URL: `http://127.0.0.1:${ports.account}`,
};
const base = (service: keyof typeof ports) => `http://127.0.0.1:${ports[service]}`;

const logPath = path.join(dataDir, 'platform.log');
const log = createWriteStream(logPath);
const platform = spawn(process.execPath, [CLI, 'start'], {
  cwd: ROOT,
  env: platformEnv,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let platformExited: number | null = null;
const loggedErrors: string[] = [];
let loggedErrorCount = 0;
let ready: () => void;
const readyPromise = new Promise<void>((resolve) => {
  ready = resolve;
});
let pending = '';
platform.stdout?.on('data', (chunk: Buffer) => {
  log.write(chunk);
  const lines = (pending + chunk.toString('utf8')).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (line.includes('"msg":"trustplane ready"')) ready();
    if (line.includes('"level":50') || line.includes('"level":60')) {
      loggedErrorCount += 1;
      if (loggedErrors.length < 10) loggedErrors.push(line.slice(0, 600));
    }
  }
});
platform.stderr?.on('data', (chunk: Buffer) => {
  log.write(chunk);
  process.stderr.write(chunk);
});
const exited = new Promise<number>((resolve) =>
  platform.once('exit', (code, signal) => {
    platformExited = code ?? (signal ? 128 : 1);
    resolve(platformExited);
  }),
);
await Promise.race([
  readyPromise,
  exited.then((code) => {
    throw new Error(`the platform exited with ${code} before it was ready (log: ${logPath})`);
  }),
]);

const execFileAsync = promisify(execFile);
/** A `trustplane … --json` command on the running platform's data dir, as an operator runs it. */
async function trustplane(...args: string[]) {
  const { stdout } = await execFileAsync(process.execPath, [CLI, ...args, '--json'], {
    cwd: ROOT,
    env: platformEnv,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

// ---------------------------------------------------------------------------------------------
// Memory of the platform: RSS of its process, PSS of its PostgreSQL processes.

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}
/** The platform's descendant processes (PostgreSQL's postmaster and backends). */
function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while listed
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
/** Summed PSS (shared pages divided among their sharers, so shared_buffers counts once). */
function postgresPssMb(): number {
  let kb = 0;
  for (const pid of descendants(platform.pid as number)) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
      const match = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kb += match ? Number(match[1]) : 0;
    } catch {
      // a backend that ended meanwhile
    }
  }
  return kb / 1024;
}

// ---------------------------------------------------------------------------------------------
// Requests, their samples and errors.

interface Sample {
  at: number; // ms since the phase began, when the answer (or failure) came
  kind: string;
  ms: number;
}
interface Phase {
  started: number;
  samples: Sample[];
  errors: { at: number; kind: string; what: string }[];
}
let phase: Phase = { started: performance.now(), samples: [], errors: [] };
const errorExamples = new Map<string, string>();
function recordError(kind: string, what: string) {
  phase.errors.push({ at: performance.now() - phase.started, kind, what });
  const key = `${kind}: ${what.slice(0, 80)}`;
  if (!errorExamples.has(key)) errorExamples.set(key, what);
}
class FlowError extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: answers of several APIs, read field by field
type Json = any;
/**
 * One request: timed from `since` (the flow's scheduled instant for its first request), body
 * read in full; anything but 2xx/3xx is an error of its kind and ends the flow.
 */
async function request(
  kind: string,
  method: string,
  url: string,
  options: {
    headers?: Record<string, string>;
    json?: unknown;
    body?: RequestInit['body'];
    since?: number;
  } = {},
): Promise<{ status: number; headers: Headers; json: Json; bytes: number }> {
  const since = options.since ?? performance.now();
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let response: Response;
  let buffer: ArrayBuffer;
  try {
    response = await fetch(url, { method, headers, body, redirect: 'manual' });
    buffer = await response.arrayBuffer();
  } catch (error) {
    recordError(kind, `network error: ${(error as Error).message} ${String((error as Error).cause ?? '')}`);
    throw new FlowError(kind);
  }
  const end = performance.now();
  phase.samples.push({ at: end - phase.started, kind, ms: end - since });
  if (response.status >= 400) {
    recordError(
      kind,
      `${method} ${new URL(url).pathname} → ${response.status} ${Buffer.from(buffer).toString('utf8', 0, 300)}`,
    );
    throw new FlowError(kind);
  }
  const text = (response.headers.get('content-type') ?? '').includes('json')
    ? Buffer.from(buffer).toString('utf8')
    : '';
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : undefined,
    bytes: buffer.byteLength,
  };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let clientCounter = 0;
/** A fresh simulated client address (10.0.0.0/8), sent as X-Forwarded-For. */
const newClientIp = () => {
  clientCounter += 1;
  return `10.${(clientCounter >> 16) & 255}.${(clientCounter >> 8) & 255}.${clientCounter & 255}`;
};

// ---------------------------------------------------------------------------------------------
// Inputs.

const manifest = await readManifest();
const clean = manifest.filter((entry) => entry.variant === 'clean');
const passports = await Promise.all(
  clean
    .filter((entry) => entry.layout === 'TD3')
    .map(async (entry) => {
      const bytes = await readDocument(entry.recto);
      return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
);
const jobBodies = await Promise.all(
  clean.map(async (entry, index) => jobBody(await jobImages(entry), `SOAK-${index}`)),
);
const uploadImages = await Promise.all(
  manifest.slice(0, 24).map(async (entry, index) => ({
    name: `soak-${index}-${entry.recto}`,
    bytes: await readDocument(index % 2 ? (entry.verso ?? entry.recto) : entry.recto),
  })),
);

// ---------------------------------------------------------------------------------------------
// Credentials through the real flows.

interface User {
  email: string;
  password: string;
  ip: string;
  token: string;
  media: string[];
}
const users: User[] = [];
for (let index = 0; index < USERS; index += 1) {
  const user: User = {
    email: `soak-${index}-${randomUUID().slice(0, 8)}@example.com`,
    password: `Soak-Pass-${index}!x`,
    ip: newClientIp(),
    token: '',
    media: [],
  };
  await request('setup', 'POST', `${base('account')}/api/v1/auth/register`, {
    headers: { 'x-forwarded-for': user.ip },
    json: { email: user.email, password: user.password, display_name: `Soak ${index}` },
  });
  users.push(user);
}
// The verification mails travel account → outbox → notification → mail sink.
const verifyLinks = new Map<string, string>();
for (let attempt = 0; verifyLinks.size < USERS; attempt += 1) {
  if (attempt > 60) throw new Error(`verification mails missing: ${USERS - verifyLinks.size}`);
  const { messages } = await trustplane('mail', 'list');
  for (const message of messages as { to: string; text: string }[]) {
    const link = /https?:\/\/\S*\/verify-email\?token=[^\s"<>]+/.exec(message.text ?? '')?.[0];
    if (link) verifyLinks.set(message.to, link);
  }
  if (verifyLinks.size < USERS) await sleep(1000);
}
for (const user of users) {
  const link = verifyLinks.get(user.email);
  if (!link) throw new Error(`no verification mail for ${user.email}`);
  const url = new URL(link);
  await request('setup', 'GET', `${base('account')}${url.pathname}${url.search}`, {
    headers: { 'x-forwarded-for': user.ip },
  });
  // A token issued after verification carries the full permissions.
  const login = await request('setup', 'POST', `${base('account')}/api/v1/auth/login`, {
    headers: { 'x-forwarded-for': user.ip },
    json: { email: user.email, password: user.password },
  });
  user.token = login.json.data.access_token;
}

const operator = {
  email: `soak-${randomUUID().slice(0, 8)}@example.com`,
  password: 'soak operator password 1',
};
const operatorIp = newClientIp();
await request('setup', 'POST', `${base('kyc')}/api/auth/signup`, {
  headers: { 'x-forwarded-for': operatorIp },
  json: { fullName: 'Soak', email: operator.email, password: operator.password, acceptedTerms: true },
});
const kycLogin = await request('setup', 'POST', `${base('kyc')}/api/auth/login`, {
  headers: { 'x-forwarded-for': operatorIp },
  json: operator,
});
const cookie = (kycLogin.headers.get('set-cookie') ?? '').split(';')[0] as string;
const organization = await request('setup', 'POST', `${base('kyc')}/api/organizations`, {
  headers: { cookie, 'x-forwarded-for': operatorIp },
  json: { customerId: `soak-${randomUUID()}`, legalEmail: 'legal@example.com', displayName: 'Soak' },
});
const kycKeys = await request(
  'setup',
  'POST',
  `${base('kyc')}/api/dashboard/organizations/${organization.json.organization.id}/api-keys`,
  { headers: { cookie, 'x-forwarded-for': operatorIp }, json: { environment: 'test', label: 'soak' } },
);
const kycSecretKey = kycKeys.json.secret.raw as string;
// The tenant's backend creates sessions: one address for all of them.
const tenantBackendIp = newClientIp();
const biometryKey = (await trustplane('biometry', 'key', 'create', '--name', 'soak')).key as string;
if (phase.errors.length > 0) {
  console.error('setup failed:', [...errorExamples.values()].join('\n'));
  platform.kill('SIGTERM');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The flows of the mix.

const pick = <T>(values: T[]): T => values[Math.floor(Math.random() * values.length)] as T;
const userFor = () => pick(users);
const bearer = (user: User) => ({ authorization: `Bearer ${user.token}`, 'x-forwarded-for': user.ip });

async function login(since: number) {
  const user = userFor();
  // A login comes from wherever the user is now (another device or network); its later requests
  // come from there too. From one address, a few users' logins would meet the 5/min/IP window.
  user.ip = newClientIp();
  const answer = await request('login', 'POST', `${base('account')}/api/v1/auth/login`, {
    since,
    headers: { 'x-forwarded-for': user.ip },
    json: { email: user.email, password: user.password },
  });
  user.token = answer.json.data.access_token;
}
async function whoami(since: number) {
  await request('whoami', 'GET', `${base('account')}/api/v1/auth/whoami`, {
    since,
    headers: bearer(userFor()),
  });
}
async function upload(since: number) {
  const user = userFor();
  const image = pick(uploadImages);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image.bytes)], { type: 'image/jpeg' }), image.name);
  const answer = await request('media upload', 'POST', `${base('media')}/upload`, {
    since,
    headers: bearer(user),
    body: form,
  });
  user.media.push(answer.json.id);
  if (user.media.length > MEDIA_KEPT_PER_USER) {
    const oldest = user.media.shift() as string;
    await request('media delete', 'DELETE', `${base('media')}/media/${oldest}`, { headers: bearer(user) });
  }
}
async function download(since: number, variant?: string) {
  const user = userFor();
  const id = user.media.at(-1 - Math.floor(Math.random() * Math.min(user.media.length, 5)));
  if (!id) return upload(since); // nothing uploaded yet by this user
  await request(
    variant ? 'media variant' : 'media download',
    'GET',
    `${base('media')}/media/${id}${variant ? `?variant=${variant}` : ''}`,
    { since, headers: bearer(user) },
  );
}
async function pollUntil(kind: string, started: number, check: () => Promise<boolean>) {
  while (!(await check())) {
    if (performance.now() - started > FLOW_TIMEOUT_MS) {
      recordError(kind, `not done after ${FLOW_TIMEOUT_MS / 1000} s`);
      throw new FlowError(kind);
    }
    await sleep(POLL_MS);
  }
}
async function kyc(since: number) {
  const passport = pick(passports);
  const endUserIp = newClientIp();
  const created = await request('kyc create', 'POST', `${base('kyc')}/api/verification/sessions`, {
    since,
    headers: { authorization: `Bearer ${kycSecretKey}`, 'x-forwarded-for': tenantBackendIp },
  });
  const { sessionId, token } = created.json as { sessionId: string; token: string };
  const session = `${base('kyc')}/api/verification/sessions/${sessionId}`;
  const headers = { 'x-forwarded-for': endUserIp };
  await request('kyc update', 'PATCH', session, { headers, json: { token, documentType: 'passport' } });
  const presign = await request('kyc presign', 'POST', `${session}/presign`, {
    headers,
    json: { token, side: 'single', contentType: 'image/jpeg', byteSize: passport.bytes.length },
  });
  await request('kyc put', 'PUT', presign.json.uploadUrl, {
    headers: { ...presign.json.uploadHeaders, ...headers },
    body: new Uint8Array(passport.bytes),
  });
  await request('kyc complete', 'POST', `${session}/upload-complete`, {
    headers,
    json: {
      token,
      side: 'single',
      s3Key: presign.json.s3Key,
      contentType: 'image/jpeg',
      byteSize: passport.bytes.length,
      sha256: passport.sha256,
    },
  });
  await pollUntil('kyc e2e', since, async () => {
    const view = await request('kyc poll', 'GET', session, {
      headers: { 'x-verification-token': token, ...headers },
    });
    const status = view.json.session.assets[0]?.analysisStatus;
    if (status === 'failed') {
      recordError('kyc e2e', `analysis failed (session ${sessionId})`);
      throw new FlowError('kyc e2e');
    }
    return status === 'completed';
  });
  phase.samples.push({
    at: performance.now() - phase.started,
    kind: 'kyc e2e',
    ms: performance.now() - since,
  });
}
async function biometry(since: number) {
  const headers = { 'x-service-api-key': biometryKey, 'x-forwarded-for': tenantBackendIp };
  const submitted = await request('biometry submit', 'POST', `${base('biometry')}/jobs/submit`, {
    since,
    headers,
    json: pick(jobBodies),
  });
  const id = submitted.json.job_id as string;
  await pollUntil('biometry e2e', since, async () => {
    const status = (await request('biometry poll', 'GET', `${base('biometry')}/jobs/${id}`, { headers })).json
      .status;
    if (status === 'error') {
      recordError('biometry e2e', `job ${id} ended in error`);
      throw new FlowError('biometry e2e');
    }
    return status === 'completed';
  });
  phase.samples.push({
    at: performance.now() - phase.started,
    kind: 'biometry e2e',
    ms: performance.now() - since,
  });
}

type Flow = (since: number) => Promise<void>;
const MIX: [Flow, number][] = [
  [whoami, 64],
  [(since) => download(since), 18],
  [(since) => download(since, 'low'), 4],
  [upload, 8],
  [login, 2],
  [kyc, 2],
  [biometry, 2],
];
/** The mix as one cycle of 100 flows, each kind spread evenly through it (smooth weighted round robin). */
const CYCLE: Flow[] = (() => {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  const current = MIX.map(() => 0);
  const cycle: Flow[] = [];
  for (let step = 0; step < total; step += 1) {
    MIX.forEach(([, weight], index) => {
      current[index] = (current[index] as number) + weight;
    });
    const best = current.indexOf(Math.max(...current));
    current[best] = (current[best] as number) - total;
    cycle.push((MIX[best] as [Flow, number])[0]);
  }
  return cycle;
})();
let cursor = 0;
const nextFlow = () => CYCLE[cursor++ % CYCLE.length] as Flow;
const run = (flow: Flow, since: number) =>
  flow(since).then(
    () => true,
    (error) => {
      if (!(error instanceof FlowError)) recordError('bench', (error as Error).stack ?? String(error));
      return false;
    },
  );

// ---------------------------------------------------------------------------------------------
// Phase 1: the maximum (closed loop).

const loadStart = os.loadavg()[0] ?? 0;
console.log(
  `soak: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), 1-min load ${loadStart.toFixed(1)}; platform pid ${platform.pid}, data ${dataDir}`,
);
phase = { started: performance.now(), samples: [], errors: [] };
let completedInWindow = 0;
let measuring = true;
const windowStart = performance.now() + RAMP_SECONDS * 1000;
const windowEnd = windowStart + MAX_SECONDS * 1000;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (measuring && performance.now() < windowEnd) {
      const flow = nextFlow();
      const ok = await run(flow, performance.now());
      const now = performance.now();
      if (ok && now >= windowStart && now < windowEnd) completedInWindow += 1;
    }
  }),
);
measuring = false;
const maxErrors = phase.errors.length;
const maxRate = completedInWindow / MAX_SECONDS;
const rate = maxRate * FRACTION;
console.log(
  `maximum: ${maxRate.toFixed(1)} flows/s (${completedInWindow} completed in ${MAX_SECONDS} s, ${CONCURRENCY} clients, after a ${RAMP_SECONDS} s ramp); errors ${maxErrors}; soak at ${(FRACTION * 100).toFixed(0)} %: ${rate.toFixed(2)} flows/s for ${MINUTES} min`,
);
for (const [key] of errorExamples) console.log(`  error during the maximum: ${key}`);
if (!(rate > 0)) throw new Error('no flow completed while measuring the maximum');

// ---------------------------------------------------------------------------------------------
// Phase 2: the soak (open loop).

const soak: Phase = { started: performance.now(), samples: [], errors: [] };
phase = soak;
const rss: { at: number; mb: number }[] = [];
const durationMs = MINUTES * 60_000;
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const HTTP = (kind: string) => !kind.endsWith(' e2e');
const fmt = (ms: number) =>
  Number.isNaN(ms) ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
const KINDS = [
  'whoami',
  'login',
  'media upload',
  'media delete',
  'media download',
  'media variant',
  'kyc create',
  'kyc update',
  'kyc presign',
  'kyc put',
  'kyc complete',
  'kyc poll',
  'kyc e2e',
  'biometry submit',
  'biometry poll',
  'biometry e2e',
];
interface MinuteRow {
  minute: number;
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb: number;
  rssMaxMb: number;
  pgPssMb: number;
  load: number;
}
const minuteRows: MinuteRow[] = [];
function reportMinute(minute: number) {
  const from = (minute - 1) * 60_000;
  const to = minute * 60_000;
  const inMinute = soak.samples.filter((sample) => sample.at >= from && sample.at < to);
  const http = inMinute
    .filter((sample) => HTTP(sample.kind))
    .map((sample) => sample.ms)
    .sort((a, b) => a - b);
  const rssInMinute = rss.filter((sample) => sample.at >= from && sample.at < to).map((sample) => sample.mb);
  const row: MinuteRow = {
    minute,
    requests: http.length,
    p50: percentile(http, 50),
    p99: percentile(http, 99),
    errors: soak.errors.filter((error) => error.at >= from && error.at < to).length,
    rssMb: rssInMinute.at(-1) ?? Number.NaN,
    rssMaxMb: Math.max(...rssInMinute),
    pgPssMb: postgresPssMb(),
    load: os.loadavg()[0] ?? 0,
  };
  minuteRows.push(row);
  console.log(
    `minute ${minute}: ${row.requests} requests, p50 ${fmt(row.p50)}, p99 ${fmt(row.p99)}, errors ${row.errors}, ` +
      `platform RSS ${row.rssMb.toFixed(0)} MB (max ${row.rssMaxMb.toFixed(0)}), PostgreSQL PSS ${row.pgPssMb.toFixed(0)} MB, load ${row.load.toFixed(1)}`,
  );
  for (const kind of KINDS) {
    const values = inMinute
      .filter((sample) => sample.kind === kind)
      .map((sample) => sample.ms)
      .sort((a, b) => a - b);
    if (values.length === 0) continue;
    console.log(
      `  ${kind.padEnd(16)} n=${String(values.length).padStart(5)}  p50 ${fmt(percentile(values, 50)).padStart(9)}  p99 ${fmt(percentile(values, 99)).padStart(9)}`,
    );
  }
}
const rssTimer = setInterval(() => {
  if (platformExited === null)
    rss.push({ at: performance.now() - soak.started, mb: rssMb(platform.pid as number) });
}, 1000);
const inFlight = new Set<Promise<boolean>>();
const interval = 1000 / rate;
let scheduled = 0;
let nextMinute = 1;
while (platformExited === null) {
  const due = soak.started + scheduled * interval;
  if (due - soak.started >= durationMs) break;
  const now = performance.now();
  if (due > now) {
    await sleep(Math.min(due - now, soak.started + nextMinute * 60_000 - now));
  }
  if (performance.now() - soak.started >= nextMinute * 60_000) {
    reportMinute(nextMinute);
    nextMinute += 1;
  }
  // Every flow whose instant has come starts now, timed from that instant.
  while (soak.started + scheduled * interval <= performance.now() && scheduled * interval < durationMs) {
    const flow = run(nextFlow(), soak.started + scheduled * interval);
    inFlight.add(flow);
    void flow.then(() => inFlight.delete(flow));
    scheduled += 1;
  }
}
// Let the flows still running finish (bounded), then close the last minute.
const drainUntil = performance.now() + FLOW_TIMEOUT_MS;
while (inFlight.size > 0 && performance.now() < drainUntil && platformExited === null) await sleep(200);
const unfinished = inFlight.size;
for (let left = 0; left < unfinished; left += 1) recordError('bench', 'flow still running after the drain');
while (nextMinute <= MINUTES) {
  await sleep(Math.max(0, soak.started + nextMinute * 60_000 - performance.now()));
  reportMinute(nextMinute);
  nextMinute += 1;
}
clearInterval(rssTimer);
if (platformExited !== null) recordError('platform', `the platform exited with ${platformExited}`);

// ---------------------------------------------------------------------------------------------
// Verdict.

const failures: string[] = [];
const third = durationMs / 3;
const first = soak.samples.filter((sample) => sample.at < third);
const last = soak.samples.filter((sample) => sample.at >= 2 * third && sample.at < durationMs);
const quantileOf = (samples: Sample[], p: number) =>
  percentile(
    samples.map((sample) => sample.ms).sort((a, b) => a - b),
    p,
  );
console.log(
  `trend (first third → last third; fail when p99 > ${P99_FACTOR} × first + ${P99_SLACK_MS} ms; p90 where a third has < ${P99_MIN_SAMPLES} samples):`,
);
for (const kind of ['overall', ...KINDS]) {
  const select = (samples: Sample[]) =>
    samples.filter((sample) => (kind === 'overall' ? HTTP(sample.kind) : sample.kind === kind));
  const a = select(first);
  const b = select(last);
  const fewest = Math.min(a.length, b.length);
  if (fewest < MIN_TREND_SAMPLES) {
    if (a.length + b.length > 0)
      console.log(`  ${kind.padEnd(16)} too few samples to compare (${a.length}, ${b.length})`);
    continue;
  }
  const p = fewest >= P99_MIN_SAMPLES ? 99 : 90;
  const before = quantileOf(a, p);
  const after = quantileOf(b, p);
  const failed = after > P99_FACTOR * before + P99_SLACK_MS;
  console.log(
    `  ${kind.padEnd(16)} p${p} ${fmt(before)} → ${fmt(after)} (n ${a.length} → ${b.length})${failed ? '  TREND' : ''}`,
  );
  if (failed) failures.push(`p${p} trend of ${kind}: ${fmt(before)} → ${fmt(after)}`);
}
const rssFirst = median(rss.filter((sample) => sample.at < third).map((sample) => sample.mb));
const rssLast = median(rss.filter((sample) => sample.at >= 2 * third).map((sample) => sample.mb));
// Least-squares slope, informative (the test is the medians).
const slope = (() => {
  const n = rss.length;
  const mx = rss.reduce((sum, sample) => sum + sample.at, 0) / n;
  const my = rss.reduce((sum, sample) => sum + sample.mb, 0) / n;
  const sxy = rss.reduce((sum, sample) => sum + (sample.at - mx) * (sample.mb - my), 0);
  const sxx = rss.reduce((sum, sample) => sum + (sample.at - mx) ** 2, 0);
  return (sxy / sxx) * 60_000;
})();
const rssFailed = rssLast > RSS_FACTOR * rssFirst;
console.log(
  `  platform RSS median ${rssFirst.toFixed(0)} MB → ${rssLast.toFixed(0)} MB (×${(rssLast / rssFirst).toFixed(3)}, fail above ×${RSS_FACTOR}); slope ${slope.toFixed(1)} MB/min${rssFailed ? '  TREND' : ''}`,
);
if (rssFailed) failures.push(`RSS trend: ${rssFirst.toFixed(0)} → ${rssLast.toFixed(0)} MB`);
const totalErrors = maxErrors + soak.errors.length;
if (totalErrors > 0)
  failures.push(
    `${totalErrors} errors (${maxErrors} while measuring the maximum, ${soak.errors.length} in the soak)`,
  );
if (loggedErrorCount > 0) failures.push(`${loggedErrorCount} error lines in the platform's log`);
for (const [key, what] of errorExamples) console.log(`error ${key}\n    ${what.slice(0, 400)}`);
for (const line of loggedErrors) console.log(`logged: ${line}`);

const http = soak.samples
  .filter((sample) => HTTP(sample.kind))
  .map((sample) => sample.ms)
  .sort((a, b) => a - b);
console.log(
  `soak: ${scheduled} flows scheduled at ${rate.toFixed(2)}/s (${(FRACTION * 100).toFixed(0)} % of ${maxRate.toFixed(1)}), ${http.length} requests, p50 ${fmt(percentile(http, 50))}, p99 ${fmt(percentile(http, 99))}; ` +
    `1-min load ${loadStart.toFixed(1)} → ${(os.loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log('\n| minute | requests | p50 | p99 | errors | platform RSS | PostgreSQL PSS | load |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of minuteRows)
  console.log(
    `| ${row.minute} | ${row.requests} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${row.errors} | ${row.rssMb.toFixed(0)} MB | ${row.pgPssMb.toFixed(0)} MB | ${row.load.toFixed(1)} |`,
  );

platform.kill('SIGTERM');
const stopped = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
if (!stopped) {
  failures.push('the platform did not stop within 30 s of SIGTERM');
  platform.kill('SIGKILL');
}
log.end();
if (failures.length === 0) {
  await fs.rm(dataDir, { recursive: true, force: true });
  console.log('\nPASS');
} else {
  console.log(`\nFAIL:\n- ${failures.join('\n- ')}\n(platform log: ${logPath})`);
  process.exitCode = 1;
}
