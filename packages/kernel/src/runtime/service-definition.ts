import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RevocationList } from '../auth/revocation-list.js';
import type { MessageTransport, Outbox } from '../bus/index.js';
import type { PlatformConfig } from '../config/platform-config.js';
import type { Database } from '../db/database.js';
import type { HttpAppOptions } from '../http/create-http-app.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Mailer } from '../mail/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { WebhookDispatcher } from '../webhooks/index.js';
import type { AnyObjectStore } from '../objects/index.js';

/** Something started that must be stopped on shutdown. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** What the platform hands each service: its configuration, logger and the shared mechanisms. */
export interface ServiceContext {
  service: string;
  config: PlatformConfig;
  /**
   * The environment the platform was configured from (`config.env`): a service loads its settings
   * from it (`loadXSettings(context.env)`), never from `process.env`, so `bootService(definition,
   * { env })` reaches every setting.
   */
  env: Readonly<NodeJS.ProcessEnv>;
  logger: Logger;
  /** URL of the database holding every service schema. */
  databaseUrl: string;
  /** The service's own pool, with its schema first on the search path. */
  database<DB>(): Database<DB>;
  jobs: JobQueue;
  objects: AnyObjectStore;
  /** Outbound mail: `.eml` sink in the data dir by default, SMTP when `SMTP_URL` is set. */
  mailer: Mailer;
  /** Subscribe to messages between services (in-process, or RabbitMQ when `AMQP_URL` is set). */
  bus: MessageTransport;
  /** Publish a message in the caller's transaction: `outbox.publish(trx, {exchange, topic, payload})`. */
  outbox: Outbox;
  /** Signed, retried, logged webhook delivery: `webhooks.enqueue(trx, {url, secret, event, payload})`. */
  webhooks: WebhookDispatcher;
  /** Store for `createRateLimiter` / `BruteForceGuard`: Redis when `REDIS_URL` is set, PostgreSQL otherwise. */
  rateLimitStore(): RateLimitStore;
  /**
   * The process's list of revoked token and session ids (`platform.revocations`, LISTEN/NOTIFY,
   * Redis when `REDIS_URL` is set, periodic reload). Shared by every service of the process;
   * `await revocations.start()` (idempotent) before checking tokens against it.
   */
  revocations: RevocationList;
  /** Base URL a client reaches the service's HTTP port at (for hosted pages, presigned URLs). */
  publicUrl: string;
  /** Secret for the service's own HMACs (presigned URLs, signed cookies), stable across restarts. */
  signingSecret: Buffer;
  /** Fastify app with the platform stack: request ids, logs, metrics, OpenAPI, docs, error envelope. */
  createHttpApp(options: ServiceHttpOptions): Promise<FastifyInstance>;
  /** Registers cleanup run when the service stops (reverse order). */
  onClose(close: () => Promise<void>): void;
}

export type ServiceHttpOptions = Omit<HttpAppOptions, 'service' | 'logger' | 'metricsRegistry'>;

export interface ServiceCommandOption {
  /** commander flags, e.g. `--name <name>` or `--json`. */
  flags: string;
  description: string;
  required?: boolean;
  defaultValue?: string;
}

/** An operator command (`trustplane <service> <path…>`); returns the object printed with `--json`. */
export interface ServiceCommand {
  path: string[];
  description: string;
  options?: ServiceCommandOption[];
  run(
    context: ServiceContext,
    options: Record<string, string | boolean | undefined>,
  ): Promise<Record<string, unknown>>;
  /** Plain-text rendering when `--json` is absent; defaults to pretty JSON. */
  format?(result: Record<string, unknown>): string;
}

/** The seed document that is a service's contract, for contract-checked tests. */
export interface ServiceSeed {
  /** File name in the seeds directory (`../shared/seeds/` beside the repository root). */
  file: string;
  /** For a document several services share: the `sections[].id`s that are this service's. */
  sections?: readonly string[];
}

export interface ServiceDefinition {
  name: string;
  title: string;
  version: string;
  /** The seed the service implements. */
  seed?: ServiceSeed;
  /** PostgreSQL schema the service owns. */
  schema: string;
  /** Absolute directory of its ordered `NNNN_name.sql` migrations. */
  migrationsDir: string;
  /**
   * Request headers that carry the service's credentials (`x-api-key`); masked in any log line
   * that includes headers, beside the standard ones (`authorization`, `cookie`).
   */
  credentialHeaders?: readonly string[];
  /** Default ports by listener name; `http` is the HTTP API. */
  ports: { http: number } & Record<string, number>;
  /** Builds the HTTP API (not listening). */
  buildHttp(context: ServiceContext): Promise<FastifyInstance>;
  /** Starts listeners other than HTTP (gRPC), on the given ports. */
  startListeners?(context: ServiceContext, ports: Record<string, number>): Promise<Stoppable>;
  /** Registers the service's job definitions; runs in every process that may enqueue them. */
  defineJobs?(context: ServiceContext): void;
  /** Starts background work (job workers, relays); runs in `start` and `worker`. */
  startWorkers?(context: ServiceContext): Promise<Stoppable | undefined>;
  commands?: ServiceCommand[];
}
