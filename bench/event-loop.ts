/**
 * Event-loop responsiveness under CPU-heavy work: account `GET /health` latency while biometry
 * processes 20 jobs and kyc analyses 5 documents, all in one process with their workers (as
 * `npm start` runs them), against the same probe on the same process idle, in the same run.
 * Target: busy p99 < 20 ms and < 3× idle p99.
 *
 *   npx tsx bench/event-loop.ts [--jobs 20] [--documents 5] [--idle-seconds 10] [--rate 100]
 *
 * The probe is an open loop (a request every 1000/rate ms, whether the previous one answered or
 * not), so a stalled event loop shows as the latency of every request it held up.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ManifestEntry, readDocument } from '@trustplane/vision/testkit';
import { cleanDocuments, jobBody, jobImages } from './support/biometry-jobs.js';
import { percentile } from './support/statistics.js';
import { numberArgument } from './support/arguments.js';

const JOBS = numberArgument('jobs', 20);
const DOCUMENTS = numberArgument('documents', 5);
const IDLE_SECONDS = numberArgument('idle-seconds', 10);
const RATE = numberArgument('rate', 100);

const SERVER = fileURLToPath(new URL('./support/platform-server.ts', import.meta.url));

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-event-loop-'));
// BENCH_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to the server process.
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', SERVER], {
  env: {
    ...process.env,
    TRUSTPLANE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    KYC_PASSWORD_HASH_MEMORY_KIB: '4096',
    KYC_PASSWORD_HASH_TIME_COST: '1',
    TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
interface Delay {
  p50: number;
  p99: number;
  max: number;
  gcMs: number;
  longestGcMs: number;
}
const delays: Delay[] = [];
const started = await new Promise<{ ports: Record<string, number>; biometryKey: string }>(
  (resolve, reject) => {
    createInterface({ input: server.stdout }).on('line', (line) => {
      if (line.startsWith('{"ports"')) resolve(JSON.parse(line));
      if (line.startsWith('{"eventLoopDelay"')) delays.push(JSON.parse(line).eventLoopDelay);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  },
);
const base = (service: string) => `http://127.0.0.1:${started.ports[service]}`;

// biome-ignore lint/suspicious/noExplicitAny: answers of several APIs, read field by field
type Json = any;
/** fetch (undici keeps connections alive) with a JSON body. */
async function http(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; json: () => Promise<Json> }> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, { method, headers, body });
  return { status: response.status, json: () => response.json() };
}

// kyc: an operator, an organisation, a secret key, and DOCUMENTS passport sessions with their
// image uploaded; only upload-complete (which starts the analysis) is left for the busy phase.
const password = 'bench password 1';
const email = `bench-${randomUUID()}@example.com`;
await http('POST', `${base('kyc')}/api/auth/signup`, {
  body: { fullName: 'Bench', email, password, acceptedTerms: true },
});
const login = await fetch(`${base('kyc')}/api/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password }),
});
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
const organization = await (
  await http('POST', `${base('kyc')}/api/organizations`, {
    headers: { cookie },
    body: { customerId: `bench-${randomUUID()}`, legalEmail: 'legal@example.com', displayName: 'Bench' },
  })
).json();
const keys = await (
  await http('POST', `${base('kyc')}/api/dashboard/organizations/${organization.organization.id}/api-keys`, {
    headers: { cookie },
    body: { environment: 'test', label: 'bench' },
  })
).json();
const secretKey = keys.secret.raw as string;
const passports = ['td3-fra-martin-recto.jpg', 'td3-nld-visser-recto.jpg', 'td3-esp-garcia-recto.jpg'];
const uploads: { sessionId: string; token: string; complete: Record<string, unknown> }[] = [];
for (let index = 0; index < DOCUMENTS; index += 1) {
  const bytes = await readDocument(passports[index % passports.length] as string);
  const session = await (
    await http('POST', `${base('kyc')}/api/verification/sessions`, {
      headers: { authorization: `Bearer ${secretKey}` },
    })
  ).json();
  const { sessionId, token } = session as { sessionId: string; token: string };
  await http('PATCH', `${base('kyc')}/api/verification/sessions/${sessionId}`, {
    body: { token, documentType: 'passport' },
  });
  const presign = await (
    await http('POST', `${base('kyc')}/api/verification/sessions/${sessionId}/presign`, {
      body: { token, side: 'single', contentType: 'image/jpeg', byteSize: bytes.length },
    })
  ).json();
  const put = await fetch(presign.uploadUrl, {
    method: 'PUT',
    headers: presign.uploadHeaders,
    body: new Uint8Array(bytes),
  });
  if (put.status >= 300) throw new Error(`kyc upload failed: ${put.status}`);
  uploads.push({
    sessionId,
    token,
    complete: {
      token,
      side: 'single',
      s3Key: presign.s3Key,
      contentType: 'image/jpeg',
      byteSize: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
  });
}

// biometry: JOBS realistic jobs (selfie + recto + verso of the generated documents).
const clean = await cleanDocuments();
const jobBodies = await Promise.all(
  Array.from({ length: JOBS }, async (_, index) =>
    jobBody(await jobImages(clean[index % clean.length] as ManifestEntry), `BENCH-${index}`),
  ),
);
const biometryHeaders = { 'x-service-api-key': started.biometryKey };

/** Open-loop probe of account `GET /health` until `stop` resolves; latencies in ms. */
async function probe(stop: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let done = false;
  void stop.then(() => {
    done = true;
  });
  const url = `${base('account')}/health`;
  while (!done) {
    const sent = performance.now();
    inFlight.push(
      fetch(url)
        .then((response) => response.arrayBuffer())
        .then(() => void latencies.push(performance.now() - sent)),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
  }
  await Promise.all(inFlight);
  return latencies;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Warm-up: models load in the vision threads when the workers start; one health round trip.
await fetch(`${base('account')}/health`).then((response) => response.arrayBuffer());
await sleep(2000);
/** The server's own event-loop delay over a phase (SIGUSR2 resets, SIGUSR1 reports). */
async function serverDelay(): Promise<Delay> {
  const count = delays.length;
  server.kill('SIGUSR1');
  while (delays.length === count) await sleep(20);
  server.kill('SIGUSR2');
  return delays[count] as Delay;
}
const loadBefore = os.loadavg()[0] ?? 0;
server.kill('SIGUSR2');
const idle = await probe(sleep(IDLE_SECONDS * 1000));
const idleDelay = await serverDelay();

let busySeconds = 0;
const work = (async () => {
  const start = performance.now();
  const submitted = await Promise.all(
    jobBodies.map(async (body) => {
      const response = await http('POST', `${base('biometry')}/jobs/submit`, {
        headers: biometryHeaders,
        body,
      });
      if (response.status !== 202) throw new Error(`biometry submit: ${response.status}`);
      return (await response.json()).job_id as string;
    }),
  );
  await Promise.all(
    uploads.map(async (upload) => {
      const response = await http(
        'POST',
        `${base('kyc')}/api/verification/sessions/${upload.sessionId}/upload-complete`,
        { body: upload.complete },
      );
      if (response.status !== 200) throw new Error(`kyc upload-complete: ${response.status}`);
    }),
  );
  const pendingJobs = new Set(submitted);
  const pendingSessions = new Set(uploads);
  while (pendingJobs.size > 0 || pendingSessions.size > 0) {
    await sleep(500);
    for (const id of [...pendingJobs]) {
      const status = await (
        await http('GET', `${base('biometry')}/jobs/${id}`, { headers: biometryHeaders })
      ).json();
      if (status.status === 'completed' || status.status === 'error') pendingJobs.delete(id);
    }
    for (const upload of [...pendingSessions]) {
      const view = await (
        await http('GET', `${base('kyc')}/api/verification/sessions/${upload.sessionId}`, {
          headers: { 'x-verification-token': upload.token },
        })
      ).json();
      const asset = view.session.assets[0];
      if (asset && !['pending', 'processing'].includes(asset.analysisStatus)) pendingSessions.delete(upload);
    }
  }
  busySeconds = (performance.now() - start) / 1000;
})();
const busy = await probe(work);
await work;
const busyDelay = await serverDelay();
const loadAfter = os.loadavg()[0] ?? 0;

server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
await fs.rm(dataDir, { recursive: true, force: true });

const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (name: string, values: number[]) =>
  `${name}: n=${values.length}, p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))}`;
console.log(
  `event loop under load on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); 1-min load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; LOG_LEVEL=${process.env.LOG_LEVEL ?? 'warn'}`,
);
console.log(line(`account GET /health idle (${IDLE_SECONDS} s)`, idle));
console.log(
  line(
    `account GET /health busy (${JOBS} biometry jobs + ${DOCUMENTS} kyc documents, ${busySeconds.toFixed(1)} s)`,
    busy,
  ),
);
console.log(
  `server event-loop delay: idle p50 ${ms(idleDelay.p50)}, p99 ${ms(idleDelay.p99)}, max ${ms(idleDelay.max)} (GC ${idleDelay.gcMs} ms, longest ${idleDelay.longestGcMs} ms); busy p50 ${ms(busyDelay.p50)}, p99 ${ms(busyDelay.p99)}, max ${ms(busyDelay.max)} (GC ${busyDelay.gcMs} ms, longest ${busyDelay.longestGcMs} ms)`,
);
const ratio = percentile(busy, 99) / Math.max(percentile(idle, 99), 0.001);
console.log(
  `busy p99 ${ms(percentile(busy, 99))} (target < 20 ms), ${ratio.toFixed(2)}× idle p99 (target < 3×)`,
);
