// packages/database-host, in one run with interleaved rounds (a change in the machine's load hits
// both sides alike): (1) primary-key SELECTs/s through the host (IPC to a child process, many in
// flight) vs libsql in this process on the same file, and (2) `clone` (checkpoint + FICLONE copy,
// plain copy without reflink, fsync'd) vs `fs.copyFile` of the same file, in MB/s (target ≥ 0.5),
// and vs `fs.copyFile` + fsync (what durability costs on a file system without reflinks).
// The data API's own target (≥ 0.4 of a bare Fastify route on libsql) is measured with the
// service; `support/libsql-baseline.ts` has that bare route.
// Options: --rounds N (5), --seconds S per side per round (2), --in-flight N (32), --clone-mb N (64),
// --hosts N (cores), --directory D (where the files go: a btrfs/XFS mount shows the reflink case;
// default the temporary directory). The run prints whether that file system has reflinks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDatabaseHost } from '../packages/database-host/src/index.js';
import { numberArgument, textArgument } from './support/arguments.js';
import { openInProcess, PRIMARY_KEY_SELECT, seedItemsStatements } from './support/libsql-baseline.js';
import { median, spread } from './support/statistics.js';

const ROUNDS = numberArgument('rounds', 5);
const SECONDS = numberArgument('seconds', 2);
const IN_FLIGHT = numberArgument('in-flight', 32);
const CLONE_MB = numberArgument('clone-mb', 64);
const HOSTS = numberArgument('hosts', os.availableParallelism());
const ROWS = 10_000;

const directory = fs.mkdtempSync(
  path.join(textArgument('directory') ?? os.tmpdir(), 'trustplane-bench-database-host-'),
);

/** Whether the file system under `directory` makes reflinks (FICLONE), probed with a tiny file. */
function hasReflinks(): boolean {
  const probe = path.join(directory, 'reflink-probe');
  fs.writeFileSync(probe, 'probe');
  try {
    fs.copyFileSync(probe, `${probe}-copy`, fs.constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
    fs.rmSync(`${probe}-copy`, { force: true });
  }
}
const host = createDatabaseHost({ directory, hosts: HOSTS });
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

try {
  console.log(`machine: ${os.availableParallelism()} cores, load average ${load()}; hosts: ${HOSTS}`);
  console.log(`files in ${directory}; reflinks (FICLONE): ${hasReflinks() ? 'yes' : 'no'}`);
  await host.warm();
  await host.create('items');
  await host.execute('items', { statements: seedItemsStatements(ROWS) as never });
  await host.checkpoint('items');
  const inProcess = openInProcess(path.join(directory, 'items.sqlite'));
  const randomId = () => 1 + Math.floor(Math.random() * ROWS);

  async function hostRound(): Promise<number> {
    const until = performance.now() + SECONDS * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < until) {
          const { results } = await host.execute('items', {
            statements: [{ sql: PRIMARY_KEY_SELECT, params: [randomId()] }],
          });
          if (results[0]!.rows.length !== 1) throw new Error('row missing');
          done += 1;
        }
      }),
    );
    return done / SECONDS;
  }

  function inProcessRound(): number {
    const start = performance.now();
    const until = start + SECONDS * 1000;
    let done = 0;
    while (performance.now() < until) {
      for (let n = 0; n < 100; n += 1) if (!inProcess.selectById(randomId())) throw new Error('row missing');
      done += 100;
    }
    return done / ((performance.now() - start) / 1000);
  }

  const viaHost: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    viaHost.push(await hostRound());
    direct.push(inProcessRound());
  }
  inProcess.close();
  const selectRatio = median(viaHost) / median(direct);
  console.log('primary-key SELECT, requests/s (median, min–max):');
  console.log(`  via host (${IN_FLIGHT} in flight): ${median(viaHost).toFixed(0)} (${spread(viaHost, 0)})`);
  console.log(`  libsql in-process:          ${median(direct).toFixed(0)} (${spread(direct, 0)})`);
  console.log(`  ratio host / in-process: ${selectRatio.toFixed(3)}  (load average ${load()})`);

  // A database of about CLONE_MB MB.
  await host.create('big');
  await host.execute('big', {
    statements: [{ sql: 'CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)' }],
  });
  for (let written = 0; written < CLONE_MB; written += 8) {
    await host.execute('big', {
      statements: [
        {
          sql: 'INSERT INTO blobs (data) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 8) SELECT randomblob(1048576) FROM n',
        },
      ],
    });
  }
  await host.checkpoint('big');
  const bigFile = path.join(directory, 'big.sqlite');
  const megabytes = fs.statSync(bigFile).size / 1024 / 1024;
  const cloneRates: number[] = [];
  const copyRates: number[] = [];
  const durableCopyRates: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    let start = performance.now();
    await host.clone('big', `big-clone-${round}`);
    cloneRates.push(megabytes / ((performance.now() - start) / 1000));
    await host.remove(`big-clone-${round}`);
    const copyPath = path.join(directory, `plain-copy-${round}.sqlite`);
    start = performance.now();
    await fs.promises.copyFile(bigFile, copyPath);
    copyRates.push(megabytes / ((performance.now() - start) / 1000));
    fs.rmSync(copyPath);
    // What the clone does to be durable (a branch survives a power cut): the copy fsync'd.
    start = performance.now();
    await fs.promises.copyFile(bigFile, copyPath);
    const handle = await fs.promises.open(copyPath, 'r+');
    await handle.sync();
    await handle.close();
    durableCopyRates.push(megabytes / ((performance.now() - start) / 1000));
    fs.rmSync(copyPath);
  }
  const cloneRatio = median(cloneRates) / median(copyRates);
  console.log(`clone of a ${megabytes.toFixed(0)} MB database, MB/s (median, min–max):`);
  console.log(`  host.clone:   ${median(cloneRates).toFixed(0)} (${spread(cloneRates, 0)})`);
  console.log(`  fs.copyFile:  ${median(copyRates).toFixed(0)} (${spread(copyRates, 0)})`);
  console.log(
    `  fs.copyFile + fsync: ${median(durableCopyRates).toFixed(0)} (${spread(durableCopyRates, 0)})`,
  );
  console.log(`  ratio clone / copyFile: ${cloneRatio.toFixed(3)} (target ≥ 0.5)  (load average ${load()})`);
  console.log(
    `  ratio clone / (copyFile + fsync): ${(median(cloneRates) / median(durableCopyRates)).toFixed(3)}`,
  );
} finally {
  await host.close();
  fs.rmSync(directory, { recursive: true, force: true });
}
