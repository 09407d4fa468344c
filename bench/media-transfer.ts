// The two media transfer ratios of issue 14, measured in one run against a bare node:http server:
//
//   download: GET of a 90 MiB original through media ÷ the bare server streaming the same stored
//             file (target ≥ 0.9);
//   upload:   multipart POST of 90 MiB and 1 GiB through media ÷ the bare server writing the same
//             body to disk and fsyncing it (target ≥ 0.8 at every size).
//
// Three server processes: bare, media at the default log level (`info`, stdout to a file as to a
// log collector) and media with LOG_LEVEL=silent. Rounds alternate them (the order rotates each
// round) so the neighbours' load on this shared machine drifts over all three alike; each ratio is
// taken within a round and reported as the median with the spread over the rounds. Server CPU per
// GiB (from /proc) is printed beside the throughput: it moves less with the load. Also prints the
// media process's RSS growth during an upload (target < 64 MB).
//
//   node --import tsx bench/media-transfer.ts
//   BENCH_ROUNDS=3 BENCH_UPLOAD_SIZES_MB=90,1024 BENCH_DOWNLOAD_SIZE_MB=90 BENCH_DOWNLOAD_REPEATS=5
//   BENCH_DIR=/path/on/disk (default: the OS temp dir; needs ≈ 2.5 × the largest size free)
//   BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the three servers
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { median, spread } from './support/statistics.js';

const MIB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// An empty list skips uploads (`BENCH_UPLOAD_SIZES_MB=` with `BENCH_DOWNLOAD_REPEATS=20` profiles downloads alone).
const UPLOAD_SIZES_MB = (process.env.BENCH_UPLOAD_SIZES_MB ?? '90,1024')
  .split(',')
  .filter(Boolean)
  .map(Number);
const DOWNLOAD_SIZE_MB = Number(process.env.BENCH_DOWNLOAD_SIZE_MB ?? 90);
// One 90 MiB download takes about a tenth of a second: several back to back make a steadier figure.
const DOWNLOAD_REPEATS = Number(process.env.BENCH_DOWNLOAD_REPEATS ?? 5);
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CHUNK = MIB;
const MAX_SIZE = Math.max(...UPLOAD_SIZES_MB, DOWNLOAD_SIZE_MB) * MIB;

const root = await fs.mkdtemp(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'media-bench-'));
// Embedded PostgreSQL may run initdb as another user when started as root: let it in.
await fs.chmod(root, 0o755);
// Incompressible, and not all one byte value.
const block = randomBytes(CHUNK);

type Mode = 'bare' | 'info' | 'silent';
const MODES: Mode[] = ['bare', 'info', 'silent'];

interface Server {
  mode: Mode;
  child: ChildProcess;
  /** Lines the server writes on fd 3: its address, then GC counts on request. */
  lines: AsyncIterator<string>;
  port: number;
  pid: number;
  token: string;
  objectsDir: string;
}

async function startServer(mode: Mode): Promise<Server> {
  const script = mode === 'bare' ? './media-transfer-bare.ts' : './media-transfer-server.ts';
  const dir = path.join(root, mode);
  await fs.mkdir(dir, { mode: 0o755 });
  const log = openSync(path.join(root, `${mode}.log`), 'w');
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', new URL(script, import.meta.url).pathname],
    {
      // stdout is the service's log stream (a file); the port comes on fd 3.
      stdio: ['ignore', log, 'inherit', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL: mode === 'bare' ? 'silent' : mode,
        BARE_DIR: dir,
        TRUSTPLANE_DATA_DIR: path.join(dir, 'data'),
        APP__MAX_FILE_SIZE: String(MAX_SIZE + CHUNK),
        MEDIA_DEFAULT_QUOTA_BYTES: String(MAX_SIZE * 8),
      },
    },
  );
  closeSync(log);
  const lines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${mode} server exited before listening`);
  return { mode, child, lines, token: '', objectsDir: '', ...JSON.parse(first.value) };
}

interface GcCounts {
  minor: number;
  major: number;
  majorMs: number;
}

async function gcOf(server: Server): Promise<GcCounts> {
  server.child.kill('SIGUSR2');
  const next = await server.lines.next();
  if (next.done) throw new Error(`${server.mode} server went away`);
  return JSON.parse(next.value);
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
}

/** User + system CPU time of a process, ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function rssOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

interface Uploaded {
  id: string;
  size_bytes: number;
  storage_path: string;
}

/** Streams a multipart body of `size` bytes to the server's upload route. */
function upload(server: Server, size: number): Promise<Uploaded> {
  const boundary = '----benchboundary7MA4YWxkTrZu0gW';
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: server.mode === 'bare' ? '/bare' : '/upload',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          response.statusCode === 201
            ? resolve(JSON.parse(text))
            : reject(new Error(`${server.mode} upload: ${response.statusCode} ${text}`)),
        );
      },
    );
    request.on('error', reject);
    (async () => {
      const write = (data: Buffer | string) =>
        new Promise<void>((done) => (request.write(data) ? done() : request.once('drain', done)));
      await write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      for (let sent = 0; sent < size; sent += CHUNK)
        await write(block.subarray(0, Math.min(CHUNK, size - sent)));
      request.end(`\r\n--${boundary}--\r\n`);
    })().catch(reject);
  });
}

function download(server: Server, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port: server.port,
          path: target,
          headers: { authorization: `Bearer ${server.token}` },
        },
        (response) => {
          if (response.statusCode !== 200)
            reject(new Error(`${server.mode} download: ${response.statusCode}`));
          let total = 0;
          response.on('data', (chunk: Buffer) => {
            total += chunk.length;
          });
          response.on('end', () => resolve(total));
          response.on('error', reject);
        },
      )
      .on('error', reject);
  });
}

function remove(server: Server, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'DELETE',
        path: `/media/${id}`,
        headers: { authorization: `Bearer ${server.token}` },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`delete ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

interface Sample {
  ms: number;
  cpuMs: number;
  /** Full (mark-compact) collections in the server during the measurement. */
  majorGcs: number;
  majorGcMs: number;
}

/** Runs `work` and measures the server around it: wall time, CPU time, full collections. */
async function measured<T>(server: Server, work: () => Promise<T>): Promise<Sample & { result: T }> {
  const gcBefore = await gcOf(server);
  const cpuBefore = cpuMs(server.pid);
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  const cpu = cpuMs(server.pid) - cpuBefore;
  const gcAfter = await gcOf(server);
  return {
    result,
    ms,
    cpuMs: cpu,
    majorGcs: gcAfter.major - gcBefore.major,
    majorGcMs: gcAfter.majorMs - gcBefore.majorMs,
  };
}

/** Uploads once and removes what was stored; returns the time, the server's CPU and its RSS growth. */
async function timedUpload(server: Server, size: number): Promise<Sample & { rssGrowth: number }> {
  const rssBefore = await rssOf(server.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssOf(server.pid).then(
      (rss) => {
        rssPeak = Math.max(rssPeak, rss);
      },
      () => undefined,
    );
  }, 20);
  const { result: stored, ...sample } = await measured(server, () => upload(server, size)).finally(() =>
    clearInterval(sampler),
  );
  if (server.mode === 'bare') await fs.rm(path.join(root, 'bare', 'bare-upload.bin'));
  else {
    if (stored.size_bytes !== size)
      throw new Error(`${server.mode} stored ${stored.size_bytes} of ${size} bytes`);
    await remove(server, stored.id);
  }
  return { ...sample, rssGrowth: rssPeak - rssBefore };
}

function timedDownloads(server: Server, target: string, size: number): Promise<Sample> {
  return measured(server, async () => {
    for (let i = 0; i < DOWNLOAD_REPEATS; i++) {
      const received = await download(server, target);
      if (received !== size) throw new Error(`${server.mode} sent ${received} of ${size} bytes`);
    }
  });
}

const mbPerSecond = (bytes: number, ms: number) => bytes / MIB / (ms / 1000);

const servers = new Map<Mode, Server>();
try {
  const load = os.loadavg().map((value) => value.toFixed(1));
  console.log(
    `media transfer: upload ${UPLOAD_SIZES_MB.join(' and ')} MiB, download ${DOWNLOAD_SIZE_MB} MiB × ${DOWNLOAD_REPEATS}, ${ROUNDS} rounds, in ${root}; load ${load.join(' / ')}`,
  );
  for (const mode of MODES) servers.set(mode, await startServer(mode));
  const media = MODES.filter((mode) => mode !== 'bare');

  // The file every server streams: each media process stores its own copy of the same bytes; the
  // bare server streams the silent process's stored blob.
  const downloadSize = DOWNLOAD_SIZE_MB * MIB;
  const downloadTarget = new Map<Mode, string>();
  for (const mode of media) {
    const server = servers.get(mode)!;
    const stored = await upload(server, downloadSize);
    downloadTarget.set(mode, `/media/${stored.id}`);
    if (mode === 'silent') {
      const blob = path.join(server.objectsDir, ...stored.storage_path.split('/'));
      if ((await fs.stat(blob)).size !== downloadSize)
        throw new Error(`no blob of ${downloadSize} bytes at ${blob}`);
      downloadTarget.set('bare', `/bare?file=${encodeURIComponent(blob)}`);
    }
  }
  // Warm-up (JIT, connection paths, the quota row), not measured.
  for (const mode of MODES) {
    await timedUpload(servers.get(mode)!, 8 * MIB);
    await download(servers.get(mode)!, downloadTarget.get(mode)!);
  }

  type Key = `upload ${number}` | 'download';
  const keys: Key[] = [
    ...UPLOAD_SIZES_MB.map((size) => `upload ${size}` as const),
    ...(DOWNLOAD_REPEATS > 0 ? (['download'] as const) : []),
  ];
  const samples = new Map<string, Sample[]>();
  const rssGrowth = new Map<string, number>();
  const record = (key: Key, mode: Mode, sample: Sample) => {
    const list = samples.get(`${key} ${mode}`) ?? [];
    list.push(sample);
    samples.set(`${key} ${mode}`, list);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = MODES.map((_, index) => MODES[(index + round) % MODES.length]!);
    for (const sizeMb of UPLOAD_SIZES_MB) {
      for (const mode of order) {
        const sample = await timedUpload(servers.get(mode)!, sizeMb * MIB);
        record(`upload ${sizeMb}`, mode, sample);
        const key = `${sizeMb} ${mode}`;
        rssGrowth.set(key, Math.max(rssGrowth.get(key) ?? 0, sample.rssGrowth));
      }
    }
    for (const mode of order) {
      record(
        'download',
        mode,
        await timedDownloads(servers.get(mode)!, downloadTarget.get(mode)!, downloadSize),
      );
    }
    const line = keys.map((key) => {
      const bytes = key === 'download' ? downloadSize * DOWNLOAD_REPEATS : Number(key.split(' ')[1]) * MIB;
      const of = (mode: Mode) => samples.get(`${key} ${mode}`)![round]!;
      return `${key} ${MODES.map((mode) => mbPerSecond(bytes, of(mode).ms).toFixed(0)).join('/')}`;
    });
    console.log(`round ${round + 1}/${ROUNDS} (MB/s bare/info/silent): ${line.join(', ')}`);
  }

  console.log('');
  console.log(
    'workload          bare MB/s   info MB/s   silent MB/s   info÷bare          silent÷bare        CPU ms/GiB bare/info/silent   full GCs (ms) bare/info/silent',
  );
  for (const key of keys) {
    const bytes = key === 'download' ? downloadSize * DOWNLOAD_REPEATS : Number(key.split(' ')[1]) * MIB;
    const rate = (mode: Mode) =>
      samples.get(`${key} ${mode}`)!.map((sample) => mbPerSecond(bytes, sample.ms));
    const cpu = (mode: Mode) =>
      median(samples.get(`${key} ${mode}`)!.map((sample) => sample.cpuMs / (bytes / (1024 * MIB)))).toFixed(
        0,
      );
    const ratios = (mode: Mode) => rate(mode).map((value, round) => value / rate('bare')[round]!);
    const ratioText = (mode: Mode) =>
      `${median(ratios(mode)).toFixed(2)} (${spread(ratios(mode), 2)})`.padEnd(19);
    const gcs = (mode: Mode) => {
      const list = samples.get(`${key} ${mode}`)!;
      const count = list.reduce((sum, sample) => sum + sample.majorGcs, 0);
      return `${count} (${Math.round(list.reduce((sum, sample) => sum + sample.majorGcMs, 0))})`;
    };
    const label = key === 'download' ? `download ${DOWNLOAD_SIZE_MB} MiB` : `${key} MiB`;
    console.log(
      `${label.padEnd(18)}${median(rate('bare')).toFixed(0).padStart(9)}   ${median(rate('info')).toFixed(0).padStart(9)}   ${median(rate('silent')).toFixed(0).padStart(11)}   ${ratioText('info')}${ratioText('silent')}${`${cpu('bare')}/${cpu('info')}/${cpu('silent')}`.padEnd(30)}${MODES.map(gcs).join(' / ')}`,
    );
  }
  console.log(
    'targets: download ≥ 0.9, upload ≥ 0.8 at every size (ratios are per round: median (min–max)); full GCs: all rounds',
  );
  for (const sizeMb of UPLOAD_SIZES_MB) {
    const growth = media.map(
      (mode) => `${mode} +${((rssGrowth.get(`${sizeMb} ${mode}`) ?? 0) / MIB).toFixed(1)} MB`,
    );
    console.log(
      `media RSS growth during a ${sizeMb} MiB upload (worst round): ${growth.join(', ')} (target < 64 MB)`,
    );
  }
  const logLines = readFileSync(path.join(root, 'info.log'), 'utf8').split('\n').length - 1;
  console.log(`info: ${logLines} log lines written`);
  console.log(
    `load after: ${os
      .loadavg()
      .map((value) => value.toFixed(1))
      .join(' / ')}`,
  );
} finally {
  for (const server of servers.values()) await stopServer(server);
  if (!process.env.BENCH_KEEP) await fs.rm(root, { recursive: true, force: true });
}
