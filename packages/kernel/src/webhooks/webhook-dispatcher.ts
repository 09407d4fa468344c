import { randomUUID } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import pLimit, { type LimitFunction } from 'p-limit';
import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { runSql, type SqlExecutor, withinTransaction } from '../db/sql-executor.js';
import { defineJob, type JobContext, type JobDefinition, type JobQueue } from '../jobs/job-queue.js';
import { openSecret, sealSecret } from '../secrets/sealed-box.js';
import { formatSignature, SIGNATURE_FORMATS, type SignatureFormat, signWebhook } from './signing.js';
import {
  assertPublicDestination,
  type HostLookup,
  UnsafeDestinationError,
  type VettedDestination,
} from './ssrf-guard.js';
import { DestinationAgents, postWebhook, type WebhookResponse } from './webhook-request.js';

export const DEFAULT_WEBHOOK_QUEUE = 'platform.webhook-delivery';
export const DEFAULT_SIGNATURE_HEADER = 'X-Trustplane-Signature';
export const EVENT_HEADER = 'X-Trustplane-Event';
export const DELIVERY_HEADER = 'X-Trustplane-Delivery';
export const TIMESTAMP_HEADER = 'X-Trustplane-Timestamp';

export type WebhookStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRequest {
  url: string;
  /** The receiver's signing secret; kept with the delivery to sign each attempt, never logged or listed. */
  secret: string;
  event: string;
  /** Sent as the JSON body, as is. */
  payload: unknown;
  /** Who the delivery belongs to, for listing (e.g. `<service>:<tenant id>`). */
  owner?: string;
  /** Extra request headers; they cannot replace the ones the dispatcher sets. */
  headers?: Record<string, string>;
  signatureHeader?: string;
  signatureFormat?: SignatureFormat;
}

export interface WebhookDelivery {
  id: string;
  owner: string | null;
  url: string;
  event: string;
  payload: unknown;
  status: WebhookStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Earliest time of the next attempt (the queue adds up to as much again in jitter). */
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  createdAt: Date;
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  attemptLog: WebhookAttempt[];
}

export interface WebhookDispatcherOptions {
  jobs: JobQueue;
  /** A pool on the database where the `platform` migrations ran. */
  pool: pg.Pool;
  logger: Logger;
  /** Development and tests only: allow loopback and private destinations. */
  allowPrivateDestinations: boolean;
  queue?: string;
  /** Budget of one attempt, response included. Default 10 s. */
  timeoutMs?: number;
  /** Attempts before a delivery is `failed`. Default 8. */
  maxAttempts?: number;
  userAgent?: string;
  /** pg-boss retry delay in whole seconds, doubled per attempt (with jitter). Default 30. */
  retryDelaySeconds?: number;
  /** Deliveries one process attempts at the same time. Default 4. */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  /** Host name resolution for the SSRF guard; `dns.lookup` by default. */
  lookup?: HostLookup;
  /** 32-byte key sealing receivers' secrets at rest (AES-256-GCM); see `secrets/sealed-box.ts`. */
  secretKey: Buffer;
}

export class InvalidWebhookError extends Error {
  override readonly name = 'InvalidWebhookError';
}

/** A failed attempt that will be retried by the queue. */
export class WebhookAttemptError extends Error {
  override readonly name = 'WebhookAttemptError';
}

interface WebhookJob {
  deliveryId: string;
}

interface DeliveryRow {
  id: string;
  owner: string | null;
  url: string;
  event: string;
  payload: unknown;
  headers: Record<string, string> | null;
  secret: string;
  signature_header: string;
  signature_format: SignatureFormat;
  status: WebhookStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface AttemptRow {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

interface AttemptOutcome {
  statusCode?: number;
  error?: string;
  durationMs: number;
}

const PUBLIC_COLUMNS = `id, owner, url, event, payload, status, attempts, last_status_code, last_error,
  next_attempt_at, delivered_at, created_at, updated_at`;
const RESERVED_HEADERS = new Set(
  ['content-type', 'content-length', 'user-agent', 'host', 'transfer-encoding', 'connection'].concat(
    [EVENT_HEADER, DELIVERY_HEADER, TIMESTAMP_HEADER].map((name) => name.toLowerCase()),
  ),
);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ERROR_LENGTH = 1000;
/** pg-boss loops fetching deliveries in each process (see the constructor). */
const FETCH_LOOPS = 4;
/** Jobs each loop fetches per concurrent attempt. */
const BATCH_PER_ATTEMPT = 4;

/**
 * Durable, signed webhook delivery. `enqueue` records the delivery and its job in the
 * caller's transaction; a pg-boss worker (`jobs.work([dispatcher.queue])`) then POSTs it,
 * signed afresh at each attempt, logging every attempt, retrying with exponential backoff up
 * to `maxAttempts`. The destination passes the SSRF guard at every attempt; an unsafe one
 * fails the delivery at once.
 */
export class WebhookDispatcher {
  readonly queue: string;
  /** Attempts (POSTs) this process has under way at most. */
  readonly concurrency: number;
  readonly definition: JobDefinition<WebhookJob>;
  private readonly jobs: JobQueue;
  private readonly secretKey: Buffer;
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly userAgent: string;
  private readonly retryDelaySeconds: number;
  private readonly lookup: HostLookup | undefined;
  /** POSTs of this process under way: `concurrency` at most, across the queue's batches. */
  private readonly attempts: LimitFunction;
  private readonly agents = new DestinationAgents();
  /** Delivery rows asked for in this turn of the event loop, read together (`loadRow`). */
  private rowRequests = new Map<string, ((row: DeliveryRow | undefined, error?: Error) => void)[]>();

  constructor(options: WebhookDispatcherOptions) {
    this.jobs = options.jobs;
    if (options.secretKey.length !== 32) throw new Error('WebhookDispatcher needs a 32-byte secretKey');
    this.secretKey = options.secretKey;
    this.pool = options.pool;
    this.logger = options.logger.child({ component: 'webhooks' });
    this.allowPrivate = options.allowPrivateDestinations;
    this.queue = options.queue ?? DEFAULT_WEBHOOK_QUEUE;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 8));
    this.userAgent = options.userAgent ?? 'Trustplane-Webhooks/1.0';
    // pg-boss refuses a backoff delay under one second.
    this.retryDelaySeconds = Math.max(1, Math.round(options.retryDelaySeconds ?? 30));
    this.lookup = options.lookup;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.attempts = pLimit(this.concurrency);
    this.definition = this.jobs.define(
      defineJob({
        name: this.queue,
        version: 1,
        payload: z.object({ deliveryId: z.string() }),
        retry: { limit: this.maxAttempts - 1, delaySeconds: this.retryDelaySeconds, backoff: true },
        // An attempt is bounded by timeoutMs (the SSRF lookup and the POST), and may wait for the
        // attempts of the other fetched batches first; the rest is margin.
        timeoutSeconds: Math.ceil(this.timeoutMs / 1000) * FETCH_LOOPS * BATCH_PER_ATTEMPT + 30,
        // Each fetch and each completion is a durable commit (a WAL flush, ≈ 13 ms on a loaded
        // disk) for a whole batch of `concurrency` jobs; several loops fetch, so while one waits
        // for its commits another's jobs are being POSTed. `attempts` keeps the POSTs under way at
        // `concurrency`, whatever the loops hold.
        concurrency: FETCH_LOOPS,
        batchSize: this.concurrency * BATCH_PER_ATTEMPT,
        ...(options.pollingIntervalSeconds !== undefined
          ? { pollingIntervalSeconds: options.pollingIntervalSeconds }
          : {}),
        handle: (data, context) => this.attempt(data, context),
      }),
    );
  }

  /**
   * Records a delivery and enqueues its first attempt through `executor`: pass the caller's
   * transaction, so the webhook goes out iff it commits. Returns the delivery id.
   */
  async enqueue(executor: SqlExecutor, request: WebhookDeliveryRequest): Promise<string> {
    const checked = validateRequest(request);
    const id = randomUUID();
    await withinTransaction(executor, async (transaction) => {
      await runSql(
        transaction,
        `INSERT INTO platform.webhook_deliveries
           (id, owner, url, event, payload, headers, secret, signature_header, signature_format)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9)`,
        [
          id,
          request.owner ?? null,
          checked.url,
          request.event,
          JSON.stringify(request.payload ?? null),
          JSON.stringify(checked.headers),
          sealSecret(this.secretKey, request.secret),
          checked.signatureHeader,
          checked.signatureFormat,
        ],
      );
      await this.jobs.send(this.definition, { deliveryId: id }, { transaction });
    });
    return id;
  }

  /**
   * One signed POST now, outside the queue, for callers that run their own retry policy (the
   * notification service's http channel). The destination passes the SSRF guard first; an unsafe
   * one comes back as `refused`, never requested. `deliveryId` is sent as `X-Trustplane-Delivery`,
   * so the receiver can deduplicate attempts of the same delivery.
   */
  async deliverNow(
    request: WebhookDeliveryRequest & { deliveryId: string; timeoutMs?: number },
  ): Promise<WebhookResponse & { refused?: string }> {
    const checked = validateRequest(request);
    let destination: VettedDestination;
    try {
      destination = await assertPublicDestination(checked.url, {
        allowPrivate: this.allowPrivate,
        lookup: this.lookup,
      });
    } catch (error) {
      if (error instanceof UnsafeDestinationError) return { refused: error.message, durationMs: 0 };
      return { error: (error as Error).message, durationMs: 0 };
    }
    const body = JSON.stringify(request.payload ?? null);
    const timestamp = Math.floor(Date.now() / 1000);
    return postWebhook({
      destination,
      agents: this.agents,
      body,
      timeoutMs: request.timeoutMs ?? this.timeoutMs,
      headers: {
        ...checked.headers,
        'Content-Type': 'application/json',
        'User-Agent': this.userAgent,
        [EVENT_HEADER]: request.event,
        [DELIVERY_HEADER]: request.deliveryId,
        [TIMESTAMP_HEADER]: String(timestamp),
        [checked.signatureHeader]: formatSignature(
          checked.signatureFormat,
          signWebhook(request.secret, body, timestamp),
          timestamp,
        ),
      },
    });
  }

  /** The owner's deliveries, newest first; secrets are never returned. */
  async listDeliveries(
    owner: string,
    options: { status?: WebhookStatus; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), 500);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM platform.webhook_deliveries
        WHERE owner = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at DESC, id DESC
        LIMIT $3`,
      [owner, options.status ?? null, limit],
    );
    return rows.map(toDelivery);
  }

  /**
   * Deliveries of one owner (`{ owner }`) or of every owner starting with `ownerPrefix` (a tenant
   * whose receivers each have their own owner, `<tenant>:<receiver>`), newest first, each with its
   * attempt log, in one statement. Secrets are never returned.
   */
  async listDeliveriesWithAttempts(
    match: { owner: string } | { ownerPrefix: string },
    options: { limit?: number } = {},
  ): Promise<WebhookDeliveryDetail[]> {
    const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 50)), 500);
    const exact = 'owner' in match;
    const { rows } = await this.pool.query<DeliveryRow & { attempt_log: AttemptRow[] }>(
      `SELECT ${PUBLIC_COLUMNS},
              COALESCE((SELECT json_agg(json_build_object(
                          'attempt', a.attempt, 'status_code', a.status_code, 'error', a.error,
                          'duration_ms', a.duration_ms, 'created_at', a.created_at) ORDER BY a.attempt)
                          FROM platform.webhook_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempt_log
         FROM platform.webhook_deliveries d
        WHERE ${exact ? 'owner = $1' : 'starts_with(owner, $1)'}
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      [exact ? match.owner : match.ownerPrefix, limit],
    );
    return rows.map((row) => ({
      ...toDelivery(row),
      attemptLog: row.attempt_log.map((attempt) => ({
        attempt: attempt.attempt,
        statusCode: attempt.status_code,
        error: attempt.error,
        durationMs: attempt.duration_ms,
        createdAt: new Date(attempt.created_at),
      })),
    }));
  }

  /** One delivery with its attempts, or undefined (also when `owner` is given and differs). */
  async getDelivery(
    id: string,
    options: { owner?: string } = {},
  ): Promise<WebhookDeliveryDetail | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${PUBLIC_COLUMNS} FROM platform.webhook_deliveries WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row || (options.owner !== undefined && row.owner !== options.owner)) return undefined;
    const attempts = await this.pool.query<{
      attempt: number;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
      created_at: Date;
    }>(
      `SELECT attempt, status_code, error, duration_ms, created_at FROM platform.webhook_attempts
        WHERE delivery_id = $1 ORDER BY attempt`,
      [id],
    );
    return {
      ...toDelivery(row),
      attemptLog: attempts.rows.map((attempt) => ({
        attempt: attempt.attempt,
        statusCode: attempt.status_code,
        error: attempt.error,
        durationMs: attempt.duration_ms,
        createdAt: attempt.created_at,
      })),
    };
  }

  /** One attempt: the job handler. Throws to have the queue retry. */
  private async attempt(job: WebhookJob, context: JobContext): Promise<void> {
    const row = await this.loadRow(job.deliveryId);
    if (!row) {
      context.logger.warn({ deliveryId: job.deliveryId }, 'webhook delivery not found; dropped');
      return;
    }
    if (row.status !== 'pending') return;
    const log = { deliveryId: row.id, event: row.event, owner: row.owner };

    let destination: VettedDestination | undefined;
    let lookupFailure = 'no attempt made';
    try {
      destination = await assertPublicDestination(row.url, {
        allowPrivate: this.allowPrivate,
        lookup: this.lookup,
      });
    } catch (error) {
      if (error instanceof UnsafeDestinationError) {
        await this.record(row.id, { error: error.message, durationMs: 0 }, { giveUp: true, retryCount: 0 });
        context.logger.warn(
          { ...log, reason: error.message },
          'webhook destination refused; delivery failed',
        );
        return;
      }
      // Name resolution failing is an ordinary failed attempt: DNS may recover.
      lookupFailure = (error as Error).message;
    }
    // Only the POST holds one of the `concurrency` slots: reading and logging the delivery do not.
    const vetted = destination;
    const outcome: AttemptOutcome = vetted
      ? await this.attempts(() => this.send(row, vetted))
      : { error: lookupFailure, durationMs: 0 };

    const lastRun = context.retryCount >= this.maxAttempts - 1;
    const recorded = await this.record(row.id, outcome, { giveUp: lastRun, retryCount: context.retryCount });
    const details = {
      ...log,
      host: destination?.url.host,
      attempt: recorded?.attempt,
      statusCode: outcome.statusCode,
      durationMs: outcome.durationMs,
    };
    if (!recorded || recorded.status === 'delivered') {
      if (recorded) context.logger.info(details, 'webhook delivered');
      return;
    }
    const reason = describeOutcome(outcome);
    if (recorded.status === 'failed') {
      context.logger.warn({ ...details, reason }, 'webhook delivery failed after its last attempt');
    } else {
      context.logger.info({ ...details, reason }, 'webhook attempt failed; will retry');
    }
    // Thrown on the last attempt too, so the queue dead-letters the job.
    throw new WebhookAttemptError(`webhook delivery ${row.id} attempt ${recorded.attempt} failed: ${reason}`);
  }

  /**
   * A delivery row; the rows a fetched batch of jobs asks for in the same turn of the event loop
   * are read in one statement.
   */
  private loadRow(id: string): Promise<DeliveryRow | undefined> {
    // Not a delivery id (the row's key is a uuid): nothing to read, and it must not fail the batch's read.
    if (!UUID.test(id)) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const settle = (row: DeliveryRow | undefined, error?: Error) => (error ? reject(error) : resolve(row));
      if (this.rowRequests.size === 0) setImmediate(() => void this.readRows());
      const waiting = this.rowRequests.get(id);
      if (waiting) waiting.push(settle);
      else this.rowRequests.set(id, [settle]);
    });
  }

  private async readRows(): Promise<void> {
    const requests = this.rowRequests;
    this.rowRequests = new Map();
    try {
      const { rows } = await this.pool.query<DeliveryRow>(
        'SELECT * FROM platform.webhook_deliveries WHERE id = ANY($1::uuid[])',
        [[...requests.keys()]],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, waiting] of requests) for (const settle of waiting) settle(byId.get(id));
    } catch (error) {
      for (const waiting of requests.values())
        for (const settle of waiting) settle(undefined, error as Error);
    }
  }

  private async send(row: DeliveryRow, destination: VettedDestination): Promise<WebhookResponse> {
    const body = JSON.stringify(row.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = formatSignature(
      row.signature_format,
      signWebhook(openSecret(this.secretKey, row.secret), body, timestamp),
      timestamp,
    );
    return postWebhook({
      destination,
      agents: this.agents,
      body,
      timeoutMs: this.timeoutMs,
      headers: {
        ...(row.headers ?? {}),
        'Content-Type': 'application/json',
        'User-Agent': this.userAgent,
        [EVENT_HEADER]: row.event,
        [DELIVERY_HEADER]: row.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [row.signature_header]: signature,
      },
    });
  }

  /** Counts the attempt, logs it and settles the delivery, in one statement. */
  private async record(
    id: string,
    outcome: AttemptOutcome,
    { giveUp, retryCount }: { giveUp: boolean; retryCount: number },
  ): Promise<{ attempt: number; status: WebhookStatus } | undefined> {
    const delivered =
      outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const error = delivered ? null : describeOutcome(outcome).slice(0, MAX_ERROR_LENGTH);
    const nextDelaySeconds = this.retryDelaySeconds * 2 ** Math.min(retryCount, 16);
    const { rows } = await this.pool.query<{ attempt: number; status: WebhookStatus }>(
      `WITH updated AS (
         UPDATE platform.webhook_deliveries
            SET attempts = attempts + 1,
                last_status_code = $2,
                last_error = $3,
                status = CASE WHEN $4 THEN 'delivered'
                              WHEN $5 OR attempts + 1 >= $6 THEN 'failed'
                              ELSE 'pending' END,
                delivered_at = CASE WHEN $4 THEN now() END,
                next_attempt_at = CASE WHEN $4 OR $5 OR attempts + 1 >= $6 THEN NULL
                                       ELSE now() + $7::double precision * interval '1 second' END,
                updated_at = now()
          WHERE id = $1 AND status = 'pending'
            -- Committed without waiting for the WAL flush: the job's completion (or failure),
            -- committed after this and durably, flushes it too. A database crash before then
            -- loses both, and the attempt is made again (at least once, as always).
            AND set_config('synchronous_commit', 'off', true) = 'off'
          RETURNING id, attempts, status
       ), logged AS (
         INSERT INTO platform.webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
         SELECT id, attempts, $2, $3, $8 FROM updated
       )
       SELECT attempts AS attempt, status FROM updated`,
      [
        id,
        outcome.statusCode ?? null,
        error,
        delivered,
        giveUp,
        this.maxAttempts,
        nextDelaySeconds,
        outcome.durationMs,
      ],
    );
    return rows[0];
  }
}

function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.error) return outcome.error;
  if (outcome.statusCode !== undefined) return `HTTP ${outcome.statusCode}`;
  return 'no response';
}

function validateRequest(request: WebhookDeliveryRequest): {
  url: string;
  headers: Record<string, string>;
  signatureHeader: string;
  signatureFormat: SignatureFormat;
} {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new InvalidWebhookError('webhook url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidWebhookError('webhook url must use http or https');
  }
  if (typeof request.secret !== 'string' || request.secret.length === 0) {
    throw new InvalidWebhookError('webhook secret must not be empty');
  }
  if (typeof request.event !== 'string' || request.event.length === 0) {
    throw new InvalidWebhookError('webhook event must not be empty');
  }
  const signatureHeader = request.signatureHeader ?? DEFAULT_SIGNATURE_HEADER;
  const signatureFormat = request.signatureFormat ?? 'v1';
  if (!SIGNATURE_FORMATS.includes(signatureFormat)) {
    throw new InvalidWebhookError(`unknown signature format ${String(signatureFormat)}`);
  }
  const headers: Record<string, string> = {};
  try {
    validateHeaderName(signatureHeader);
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower) || lower === signatureHeader.toLowerCase()) {
        throw new InvalidWebhookError(`header ${name} is set by the dispatcher`);
      }
      headers[name] = value;
    }
  } catch (error) {
    if (error instanceof InvalidWebhookError) throw error;
    throw new InvalidWebhookError(`invalid webhook header: ${(error as Error).message}`);
  }
  if (RESERVED_HEADERS.has(signatureHeader.toLowerCase())) {
    throw new InvalidWebhookError(`signature header ${signatureHeader} is set by the dispatcher`);
  }
  return { url: url.toString(), headers, signatureHeader, signatureFormat };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    owner: row.owner,
    url: row.url,
    event: row.event,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
