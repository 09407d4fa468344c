import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { RevocationList } from '../auth/revocation-list.js';
import { ConfigError, type PlatformConfig, resolvePublicUrl } from '../config/platform-config.js';
import { createTransport, type MessageTransport, Outbox, PostgresQueues } from '../bus/index.js';
import { createDatabase, createPool, type Database } from '../db/database.js';
import { type DatabaseServer, startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { migrate } from '../db/migrate.js';
import { createHttpApp } from '../http/create-http-app.js';
import { redactUrl } from '../http/redact-url.js';
import { JobQueue } from '../jobs/job-queue.js';
import { createMailer, type Mailer } from '../mail/index.js';
import { createObjectStore, objectRoutes } from '../objects/index.js';
import { createRedisClient, type RateLimitStore } from '../ratelimit/index.js';
import { deriveKey } from '../secrets/sealed-box.js';
import { WebhookDispatcher } from '../webhooks/index.js';
import type { ServiceContext, ServiceDefinition, ServiceHttpOptions } from './service-definition.js';

export const KERNEL_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const KERNEL_SCHEMA = 'platform';

export type ProcessRole = 'server' | 'worker' | 'cli' | 'test';

export interface PlatformOptions {
  config: PlatformConfig;
  role: ProcessRole;
  logger?: Logger;
}

/** Headers that carry credentials in any HTTP API; a service adds its own (`credentialHeaders`). */
const STANDARD_CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/**
 * Where credentials would sit in a log object: request headers (under `req` or on their own) and
 * the cookies a response sets. The platform's request logs carry no headers at all; this is the
 * guard for a line that logs them anyway.
 */
export function credentialRedaction(credentialHeaders: readonly string[] = []): pino.LoggerOptions['redact'] {
  const headers = [...STANDARD_CREDENTIAL_HEADERS, ...credentialHeaders.map((name) => name.toLowerCase())];
  return {
    paths: [
      ...headers.flatMap((name) => [`req.headers["${name}"]`, `headers["${name}"]`]),
      'res.headers["set-cookie"]',
    ],
    censor: '[redacted]',
  };
}

let lastTimeMs = -1;
let lastTimeField = '';
/**
 * pino's `isoTime`, formatted once per millisecond: a busy server writes several lines in the same
 * millisecond, and formatting the date was a visible share of a request line's cost.
 */
export function isoTimeOncePerMillisecond(): string {
  const now = Date.now();
  if (now !== lastTimeMs) {
    lastTimeMs = now;
    lastTimeField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTimeField;
}

/** Platform log options: JSON, ISO time, credentials in headers and query strings masked. */
export function loggerOptions(config: Pick<PlatformConfig, 'logLevel'>): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { pid: process.pid },
    timestamp: isoTimeOncePerMillisecond,
    serializers: {
      // Fastify's request fields. Like the request line, the route pattern stands for the URL (path
      // segments may be tokens); only a request that matched no route shows its URL, with
      // credentials carried in the query string (`?token=`) masked.
      req: (request: {
        method?: string;
        url?: string;
        routeOptions?: { url?: string };
        host?: string;
        ip?: string;
        socket?: { remotePort?: number };
      }) => {
        const route = request.routeOptions?.url;
        return {
          method: request.method,
          ...(route !== undefined
            ? { route }
            : { url: request.url === undefined ? undefined : redactUrl(request.url) }),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        };
      },
      // Fastify logs `{ res: reply }` on a few paths (a stream closed early): the status is enough.
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
    },
    redact: credentialRedaction(),
  };
}

/**
 * Bytes of log lines gathered before one write; a busy server writes in batches, not per line.
 * Every write is handed to libuv's thread pool and its completion comes back to the event loop, a
 * cost per write, not per byte: 64 KiB (≈ 250 request lines) keeps it small per line.
 */
const LOG_BATCH_BYTES = 64 * 1024;
/** The largest single write: what piles up while the previous write is in flight. */
const LOG_MAX_WRITE_BYTES = 4 * LOG_BATCH_BYTES;
/** How long a line may wait for its batch to fill: a quiet server's lines still show at once. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * JSON logs; `fd` 2 keeps stdout free for a command's own output (a benchmark passes a file's
 * descriptor, as a log collector would take them). Lines are written
 * asynchronously, in batches (a request never waits for its log line to reach the terminal or
 * pipe); what is still queued is written when the platform closes (`logsWritten`) and, for an exit
 * on any other path, synchronously by pino's exit hook.
 *
 * sonic-boom (pino's destination) queues lines as Buffers (`contentMode: 'buffer'`): in its
 * string mode each line is appended to the pending string and that string's byte length is
 * measured again, which flattens (copies) everything queued so far on every line, so a batch cost
 * grew with the square of its size. pino writes strings, so each is encoded once on the way in.
 */
export function createLogger(config: Pick<PlatformConfig, 'logLevel'>, fd = 1): Logger {
  const destination = pino.destination({
    fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxWrite: LOG_MAX_WRITE_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
    contentMode: 'buffer',
  });
  const writeBuffer = destination.write as unknown as (this: typeof destination, data: Buffer) => boolean;
  (destination as unknown as { write(line: string): boolean }).write = (line: string) =>
    writeBuffer.call(destination, Buffer.from(line));
  return pino(loggerOptions(config), destination);
}

/**
 * Resolves once every line logged so far has been written to the logger's destination, or after
 * `timeoutMs` (a pipe nobody reads must not hold a shutdown forever). pino's exit hook also writes
 * what is queued synchronously, but it skips a chunk whose asynchronous write is still in flight
 * (a reader that lags), so a clean shutdown waits here first. `_len` (bytes queued, in flight
 * included) is sonic-boom's own count: it has no public one, and without it this resolves at once.
 */
export async function logsWritten(logger: Logger, timeoutMs = 2000): Promise<void> {
  const destination = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | {
        _len?: unknown;
        destroyed?: boolean;
        flush(): void;
        once(event: string, listener: () => void): unknown;
        off(event: string, listener: () => void): unknown;
      }
    | undefined;
  if (!destination || typeof destination._len !== 'number') return;
  const deadline = Date.now() + timeoutMs;
  while (!destination.destroyed && (destination._len as number) > 0 && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        destination.off('drain', done);
        destination.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
      timer.unref();
      destination.once('drain', done);
      destination.once('error', done);
      // Writes what waits for its batch to fill; a write already in flight continues by itself.
      destination.flush();
    });
  }
}

/** Shortest platform secret accepted, in bytes (decoded); `TRUSTPLANE_SIGNING_SECRET` has the same floor in characters. */
export const MIN_PLATFORM_SECRET_BYTES = 32;

const SECRET_FILE = 'signing.secret';

async function readSecretFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = /^[A-Za-z0-9_-]*$/.test(text) ? Buffer.from(text, 'base64url') : undefined;
  if (!secret || secret.length < MIN_PLATFORM_SECRET_BYTES) {
    throw new ConfigError([
      `${file}: the platform signing secret must be base64url of at least ${MIN_PLATFORM_SECRET_BYTES} bytes` +
        ` (found ${secret ? `${secret.length} bytes` : 'other characters'}). Restore it from a backup, or delete` +
        ' the file to generate a new one (links, cookies and sealed secrets signed with the old one stop working).',
    ]);
  }
  return secret;
}

/**
 * Reads the platform secret from config or from the data dir, creating it once. The file is
 * written whole under a temporary name (mode 0600, synced) and then hard-linked into place:
 * `link` fails if the name exists, so among processes starting together exactly one secret
 * wins, every one of them reads that one, and no reader ever sees a partly written file.
 */
export async function loadPlatformSecret(
  config: Pick<PlatformConfig, 'signingSecret' | 'dataDir'>,
): Promise<Buffer> {
  if (config.signingSecret) return Buffer.from(config.signingSecret, 'utf8');
  const file = path.join(config.dataDir, SECRET_FILE);
  const existing = await readSecretFile(file);
  if (existing) return existing;
  await fs.mkdir(config.dataDir, { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(MIN_PLATFORM_SECRET_BYTES).toString('base64url'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(temporary, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another process won: its secret is the one
    });
  } finally {
    await fs.rm(temporary, { force: true });
  }
  const secret = await readSecretFile(file);
  if (!secret) throw new Error(`${file} vanished while it was being created`);
  return secret;
}

/**
 * Everything one process shares between the services it runs: the PostgreSQL server
 * (embedded or `DATABASE_URL`), the job queue, the object store root and the platform secret.
 */
export class Platform {
  private readonly closers: (() => Promise<void>)[] = [];
  private closed = false;
  private redis: ReturnType<typeof createRedisClient> | undefined;
  private revocationList: RevocationList | undefined;

  private constructor(
    readonly config: PlatformConfig,
    readonly role: ProcessRole,
    readonly logger: Logger,
    readonly databaseUrl: string,
    readonly jobs: JobQueue,
    readonly mailer: Mailer,
    /** Messages between services: in-process, or RabbitMQ when `AMQP_URL` is set. */
    readonly bus: MessageTransport,
    /** Transactional outbox relayed to `bus`. */
    readonly outbox: Outbox,
    readonly webhooks: WebhookDispatcher,
    private readonly kernelPool: pg.Pool,
    private readonly secret: Buffer,
    private readonly server: DatabaseServer | undefined,
  ) {}

  static async open(options: PlatformOptions): Promise<Platform> {
    const { config, role } = options;
    // One-shot commands print their result on stdout, so their logs go to stderr.
    const logger = options.logger ?? createLogger(config, role === 'cli' ? 2 : 1);
    // Before anything is started: a bad secret file stops the start with nothing to clean up.
    const secret = await loadPlatformSecret(config);
    let server: DatabaseServer | undefined;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      server = await startEmbeddedPostgres(config.dataDir, (message) =>
        logger.debug({ component: 'postgres' }, message),
      );
      databaseUrl = await ensureDatabase(server.adminUrl, 'trustplane');
      if (server.adopted) {
        logger.warn(
          { component: 'postgres' },
          'embedded PostgreSQL adopted: a previous process left it running; this one stops it on shutdown',
        );
      } else if (server.owned) logger.info({ component: 'postgres' }, 'embedded PostgreSQL started');
    }
    const jobs = new JobQueue({
      databaseUrl,
      logger: logger.child({ component: 'jobs' }),
      supervise: role !== 'cli',
      maintenanceIntervalSeconds: config.jobsMaintenanceSeconds,
    });
    const mailer = createMailer({ dataDir: config.dataDir, smtpUrl: config.smtpUrl, from: config.mailFrom });
    const kernelPool = createPool({ url: databaseUrl, schema: KERNEL_SCHEMA, max: 5 });
    let relay: Outbox | undefined;
    const bus = await createTransport({
      amqpUrl: config.amqpUrl,
      logger: logger.child({ component: 'bus' }),
      durable: new PostgresQueues({ pool: kernelPool, jobs, logger: logger.child({ component: 'bus' }) }),
      // A queue bound on the broker (possibly by another process's consumer) wakes the mandatory
      // messages the broker returned before it existed, as a new binding does in embedded mode.
      amqp: { onBound: (exchange) => relay?.expedite(exchange) },
    });
    const outbox = new Outbox({
      pool: kernelPool,
      logger: logger.child({ component: 'outbox' }),
      transport: bus,
    });
    relay = outbox;
    const webhooks = new WebhookDispatcher({
      jobs,
      pool: kernelPool,
      logger: logger.child({ component: 'webhooks' }),
      allowPrivateDestinations: config.allowPrivateWebhooks,
      secretKey: deriveKey(secret, 'webhook-secrets'),
    });
    return new Platform(
      config,
      role,
      logger,
      databaseUrl,
      jobs,
      mailer,
      bus,
      outbox,
      webhooks,
      kernelPool,
      secret,
      server,
    );
  }

  /** Relays the outbox and delivers webhooks: runs wherever workers run. */
  async startBackground(): Promise<void> {
    await this.jobs.start();
    await this.outbox.start();
    await this.jobs.work([this.webhooks.queue]);
  }

  /** Applies the kernel's and then each service's migrations. */
  async migrate(services: ServiceDefinition[]): Promise<{ schema: string; applied: string[] }[]> {
    const results = [await migrate(this.databaseUrl, KERNEL_SCHEMA, KERNEL_MIGRATIONS_DIR)];
    for (const service of services)
      results.push(await migrate(this.databaseUrl, service.schema, service.migrationsDir));
    return results.map(({ schema, applied }) => ({ schema, applied }));
  }

  /**
   * Where shared counters live: Redis when `REDIS_URL` is set (one client per process),
   * PostgreSQL otherwise, so limits hold across processes either way.
   */
  rateLimitStore(): RateLimitStore {
    if (this.config.redisUrl) {
      this.redis ??= createRedisClient(this.config.redisUrl);
      return { kind: 'redis', client: this.redis };
    }
    return { kind: 'postgres', pool: this.kernelPool };
  }

  /** One revocation list per process, started by the first service that needs it. */
  get revocations(): RevocationList {
    if (!this.revocationList) {
      if (this.config.redisUrl) this.redis ??= createRedisClient(this.config.redisUrl);
      this.revocationList = new RevocationList({
        pool: this.kernelPool,
        logger: this.logger.child({ component: 'revocations' }),
        redis: this.redis,
      });
    }
    return this.revocationList;
  }

  /** Per-service secret derived from the platform secret, so services never share HMAC keys. */
  serviceSecret(service: string): Buffer {
    return createHmac('sha256', this.secret).update(`service:${service}`).digest();
  }

  /** `<SERVICE>_PUBLIC_URL`, else `http://<TRUSTPLANE_PUBLIC_HOST>:<port>`. */
  publicUrl(port: number, service: string): string {
    return resolvePublicUrl(service, port, this.config.publicHost, this.config.env);
  }

  createContext(definition: ServiceDefinition, httpPort: number): ServiceContext {
    const logger = this.logger.child(
      { service: definition.name },
      definition.credentialHeaders?.length
        ? { redact: credentialRedaction(definition.credentialHeaders) }
        : {},
    );
    const signingSecret = this.serviceSecret(definition.name);
    const publicUrl = this.publicUrl(httpPort, definition.name);
    const objects = createObjectStore({
      s3: this.config.s3,
      rootDir: path.join(this.config.dataDir, 'objects'),
      namespace: definition.name,
      signingSecret,
      publicBaseUrl: publicUrl,
    });
    let database: Database<unknown> | undefined;
    const platform = this;
    const closers: (() => Promise<void>)[] = [];
    const context: ServiceContext = {
      service: definition.name,
      config: this.config,
      env: this.config.env,
      logger,
      databaseUrl: this.databaseUrl,
      database: <DB>() => {
        database ??= createDatabase<unknown>({ url: this.databaseUrl, schema: definition.schema });
        return database as unknown as Database<DB>;
      },
      jobs: this.jobs,
      objects,
      mailer: this.mailer,
      bus: this.bus,
      outbox: this.outbox,
      webhooks: this.webhooks,
      rateLimitStore: () => this.rateLimitStore(),
      get revocations() {
        return platform.revocations;
      },
      publicUrl,
      signingSecret,
      createHttpApp: async (options: ServiceHttpOptions): Promise<FastifyInstance> => {
        const app = await createHttpApp({
          ...options,
          // Clients (and generators) need the base URL; a service under a prefix sets its own.
          openapi: { servers: [{ url: publicUrl }], ...options.openapi },
          service: definition.name,
          logger,
          bodyLimit: options.bodyLimit ?? this.config.bodyLimitBytes,
          trustProxy: options.trustProxy ?? this.config.trustedProxies,
        });
        if (objects.kind === 'local') await app.register(objectRoutes, { store: objects });
        return app;
      },
      onClose: (close) => closers.push(close),
    };
    this.closers.push(async () => {
      for (const close of closers.reverse()) await close();
      await database?.close();
    });
    return context;
  }

  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Stops workers, closes pools, then stops the embedded server if this process started it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.outbox.stop().catch((error) => this.logger.error({ err: error }, 'outbox stop failed'));
    await this.jobs
      .stop(this.config.shutdownTimeoutMs)
      .catch((error) => this.logger.error({ err: error }, 'job queue stop failed'));
    for (const close of this.closers.reverse()) {
      await close().catch((error) => this.logger.error({ err: error }, 'close failed'));
    }
    await this.revocationList?.stop();
    await this.mailer.close();
    await this.bus.close().catch((error) => this.logger.error({ err: error }, 'bus close failed'));
    this.redis?.disconnect();
    await this.kernelPool.end();
    await this.server?.stop();
    // Within the shutdown budget: past it the forced exit writes what it can synchronously.
    await logsWritten(this.logger, this.config.shutdownTimeoutMs);
  }
}

/** Creates `name` on the server when missing and returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created concurrently by another process
        });
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
