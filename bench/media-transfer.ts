// Upload + download of one large file through the media service vs a raw sequential write/read of
// the same size on the same disk, in the same run. Reports both throughput ratios (target ≥ 0.7)
// and the service process's RSS growth during the upload (target < 64 MB).
//
//   node --import tsx bench/media-transfer.ts            # 1 GiB
//   BENCH_SIZE_MB=256 node --import tsx bench/media-transfer.ts
//   BENCH_DIR=/path/on/disk to choose the disk (default: the OS temp dir)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const SIZE = SIZE_MB * 1024 * 1024;
const CHUNK = 1024 * 1024;
const root = await fs.mkdtemp(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'media-bench-'));
// Embedded PostgreSQL may run initdb as another user when started as root: let it in.
await fs.chmod(root, 0o755);
// Incompressible, and not all one byte value.
const block = randomBytes(CHUNK);

function mbPerSecond(bytes: number, ms: number): number {
  return bytes / 1024 / 1024 / (ms / 1000);
}

async function rawWrite(file: string): Promise<number> {
  const start = performance.now();
  const handle = await fs.open(file, 'w');
  for (let written = 0; written < SIZE; written += CHUNK)
    await handle.write(block, 0, Math.min(CHUNK, SIZE - written));
  await handle.sync(); // the store fsyncs too
  await handle.close();
  return performance.now() - start;
}

async function rawRead(file: string): Promise<number> {
  const start = performance.now();
  let total = 0;
  for await (const chunk of (await fs.open(file)).createReadStream({ highWaterMark: CHUNK }))
    total += chunk.length;
  if (total !== SIZE) throw new Error(`raw read ${total} bytes`);
  return performance.now() - start;
}

async function rssOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

async function startBare(): Promise<{ child: ChildProcess; port: number; pid: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./media-transfer-bare.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BARE_DIR: root },
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    return { child, ...(JSON.parse(line) as { port: number; pid: number }) };
  }
  throw new Error('bare server exited before listening');
}

async function startService(): Promise<{ child: ChildProcess; port: number; pid: number; token: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./media-transfer-server.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        TRUSTPLANE_DATA_DIR: path.join(root, 'data'),
        APP__MAX_FILE_SIZE: String(SIZE + CHUNK),
        MEDIA_DEFAULT_QUOTA_BYTES: String(SIZE * 4),
      },
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    return { child, ...(JSON.parse(line) as { port: number; pid: number; token: string }) };
  }
  throw new Error('media server exited before listening');
}

function upload(
  port: number,
  token: string,
  target = '/upload',
): Promise<{ id: string; size_bytes: number }> {
  const boundary = 'benchboundary';
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: target,
        headers: {
          authorization: `Bearer ${token}`,
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
            : reject(new Error(`${response.statusCode} ${text}`)),
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
      for (let sent = 0; sent < SIZE; sent += CHUNK)
        await write(block.subarray(0, Math.min(CHUNK, SIZE - sent)));
      request.end(`\r\n--${boundary}--\r\n`);
    })().catch(reject);
  });
}

function download(port: number, token: string, id: string, target = `/media/${id}`): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: target, headers: { authorization: `Bearer ${token}` } },
        (response) => {
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function remove(port: number, token: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'DELETE',
        path: `/media/${id}`,
        headers: { authorization: `Bearer ${token}` },
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

try {
  console.log(`media transfer benchmark: ${SIZE_MB} MiB × ${ROUNDS} rounds (medians) in ${root}`);
  const service = await startService();
  const bare = await startBare();
  const times = {
    rawWrite: [] as number[],
    rawRead: [] as number[],
    bareUpload: [] as number[],
    bareDownload: [] as number[],
    upload: [] as number[],
    download: [] as number[],
  };
  let worstGrowth = 0;
  let rssBaseline = 0;
  try {
    // Raw and service runs alternate, so disk and page-cache conditions drift equally for both.
    for (let round = 0; round < ROUNDS; round++) {
      const rawFile = path.join(root, 'raw.bin');
      times.rawWrite.push(await rawWrite(rawFile));
      times.rawRead.push(await rawRead(rawFile));
      await fs.rm(rawFile);

      let start = performance.now();
      await upload(bare.port, '', '/bare');
      times.bareUpload.push(performance.now() - start);
      start = performance.now();
      if ((await download(bare.port, '', '', '/bare')) <= SIZE) throw new Error('bare download short');
      times.bareDownload.push(performance.now() - start);

      const rssBefore = await rssOf(service.pid);
      if (round === 0) rssBaseline = rssBefore;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssOf(service.pid).then(
          (rss) => {
            rssPeak = Math.max(rssPeak, rss);
          },
          () => undefined,
        );
      }, 20);
      const uploadStart = performance.now();
      const media = await upload(service.port, service.token);
      times.upload.push(performance.now() - uploadStart);
      clearInterval(sampler);
      worstGrowth = Math.max(worstGrowth, rssPeak - rssBefore);
      if (media.size_bytes !== SIZE) throw new Error(`uploaded ${media.size_bytes} bytes`);
      const downloadStart = performance.now();
      const received = await download(service.port, service.token, media.id);
      times.download.push(performance.now() - downloadStart);
      if (received !== SIZE) throw new Error(`downloaded ${received} bytes`);
      await remove(service.port, service.token, media.id);
    }
  } finally {
    for (const child of [service.child, bare.child]) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  const rawWriteMs = median(times.rawWrite);
  const rawReadMs = median(times.rawRead);
  const uploadMs = median(times.upload);
  const downloadMs = median(times.download);
  const bareUploadMs = median(times.bareUpload);
  const bareDownloadMs = median(times.bareDownload);
  const rows = [
    ['raw write (fsync)', rawWriteMs],
    ['bare http upload', bareUploadMs],
    ['service upload', uploadMs],
    ['raw read', rawReadMs],
    ['bare http download', bareDownloadMs],
    ['service download', downloadMs],
  ] as const;
  for (const [name, ms] of rows)
    console.log(`${name.padEnd(20)} ${mbPerSecond(SIZE, ms).toFixed(1).padStart(9)} MB/s`);
  console.log(`upload ratio         ${(rawWriteMs / uploadMs).toFixed(2)} of raw write (target ≥ 0.7)`);
  console.log(`download ratio       ${(rawReadMs / downloadMs).toFixed(2)} of raw read (target ≥ 0.7)`);
  console.log(
    `vs bare node:http    upload ${(bareUploadMs / uploadMs).toFixed(2)}, download ${(bareDownloadMs / downloadMs).toFixed(2)} (the transport ceiling on this machine)`,
  );
  console.log(
    `service RSS          ${(rssBaseline / 1024 / 1024).toFixed(1)} MB at start, +${(worstGrowth / 1024 / 1024).toFixed(1)} MB worst peak during an upload (target < 64 MB)`,
  );
} finally {
  await fs.rm(root, { recursive: true, force: true });
}
