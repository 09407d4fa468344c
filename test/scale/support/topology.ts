// What a scale test file sees of the lane (started by `scripts/test-scale.mjs`, see lane.ts):
// the balancer's and each instance's URLs, the servers' URLs, and the control calls.

/** Each service's health route, which haproxy checks on every instance (gRPC: a TCP check). */
export const HEALTH_PATHS: Record<string, string | undefined> = {
  account: '/health',
  media: '/health',
  notification: '/health',
  notification_grpc: undefined,
  kyc: '/api/health',
  biometry: '/health',
  verifact: '/health',
  backlex: '/api/health',
};

export interface CapturedMail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
  receivedAt: string;
}

/** A mail to `hold-…` the lane's SMTP server holds, and the instance whose connection sent it. */
export interface HeldMail {
  to: string[];
  /** `aborted`: its connection closed (the sender died) before the mail was accepted. */
  state: 'held' | 'released' | 'aborted';
  instance: number | null;
}

export interface RunningTopology {
  skip: false;
  /** Service (or `notification_grpc`) → the haproxy frontend's URL. */
  balancer: Record<string, string>;
  /** Each instance's own URLs, bypassing the balancer (to show which one answered). */
  instances: { index: number; urls: Record<string, string>; logFile: string }[];
  /** haproxy's stats as CSV: each server's state (`UP`, `DOWN`…). */
  haproxyStatsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  amqpUrl: string;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; region: string };
  /** The environment both instances share (ports and data dirs aside). */
  env: Record<string, string>;
}

/** `skip` names the server that could not be started, and why. */
export type Topology = RunningTopology | { skip: string };

const controlUrl = process.env.SCALE_CONTROL_URL;

/** The lane's topology; `{ skip }` when the lane is not running (run it with `npm run test:scale`). */
export async function laneTopology(): Promise<Topology> {
  if (!controlUrl) return { skip: 'SCALE_CONTROL_URL is unset: run the lane with `npm run test:scale`' };
  const response = await fetch(`${controlUrl}/topology`);
  return (await response.json()) as Topology;
}

async function control(pathname: string): Promise<void> {
  const response = await fetch(`${controlUrl}${pathname}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`${pathname}: ${await response.text()}`);
}

/** SIGKILL of instance `index`'s process (its HTTP listeners and workers at once). */
export const killInstance = (index: number) => control(`/instances/${index}/kill`);
/** Starts instance `index` again with the same environment; resolves once it is ready. */
export const startInstance = (index: number) => control(`/instances/${index}/start`);

/** Each instance's current process id (`null` while it is down): job worker ids carry it. */
export async function instancePids(): Promise<{ index: number; pid: number | null }[]> {
  const response = await fetch(`${controlUrl}/instances`);
  return (await response.json()) as { index: number; pid: number | null }[];
}

/** haproxy's view of instance `index` in every backend: `UP`, `DOWN`, … by backend. */
export async function balancerStates(lane: RunningTopology, index: number): Promise<Record<string, string>> {
  const csv = await (await fetch(lane.haproxyStatsUrl)).text();
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = header!.split(',');
  const [pxname, svname, status] = ['pxname', 'svname', 'status'].map((name) => columns.indexOf(name));
  const states: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[svname!] === `i${index}`) states[cells[pxname!]!.replace(/_instances$/, '')] = cells[status!]!;
  }
  return states;
}

/** Every mail the lane's SMTP server accepted so far. */
export async function capturedMails(): Promise<CapturedMail[]> {
  const response = await fetch(`${controlUrl}/mails`);
  return (await response.json()) as CapturedMail[];
}

/** The mails to `hold-…` the SMTP server held, with who sent them (see `HeldMail`). */
export async function heldMails(): Promise<HeldMail[]> {
  const response = await fetch(`${controlUrl}/smtp/held`);
  if (response.status !== 200) throw new Error(`held mails: ${await response.text()}`);
  return (await response.json()) as HeldMail[];
}

/** Accepts every held mail and holds no more. */
export const releaseMails = () => control('/smtp/release');

/** A biometry client key, minted with `trustplane biometry key create` as an operator does. */
export async function biometryKey(): Promise<string> {
  const response = await fetch(`${controlUrl}/biometry-key`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`biometry key: ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

/**
 * For a test file: `skip` (false, or why the lane's servers are not there: pass it to `describe`)
 * and the running topology, which only a test that was not skipped reads.
 */
export async function scaleLane(): Promise<{ skip: string | false; lane: RunningTopology }> {
  const topology = await laneTopology();
  if (topology.skip === false) return { skip: false, lane: topology };
  const reason = topology.skip;
  const absent = new Proxy({} as RunningTopology, {
    get() {
      throw new Error(`the scale lane is not running: ${reason}`);
    },
  });
  return { skip: reason, lane: absent };
}
