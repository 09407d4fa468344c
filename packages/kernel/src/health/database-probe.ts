import pg from 'pg';
import { z } from 'zod';
import type { ProbeResult } from './probes.js';

/**
 * The pool's state when the probe ran: `busy` when every client is checked out (`idle` 0 and
 * `total` at `max`) or callers wait for one (`waiting`). A busy pool still serves, only later.
 */
export interface PoolFigures {
  busy: boolean;
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

/** `PoolFigures` as a health body shows them. */
export const poolFiguresSchema = z.object({
  busy: z.boolean(),
  max: z.number().int(),
  total: z.number().int(),
  idle: z.number().int(),
  waiting: z.number().int(),
});

/**
 * What a database probe found: `ok` when PostgreSQL answered `SELECT 1` on the probe's own
 * connection (so `ok: false` means it could not be reached, refused the login, or did not answer
 * in time: not that the pool was busy), and the service pool's figures beside it.
 */
export interface DatabaseProbeResult extends ProbeResult {
  pool: PoolFigures;
}

export function poolFigures(pool: pg.Pool): PoolFigures {
  const max = pool.options.max;
  const total = pool.totalCount;
  const idle = pool.idleCount;
  const waiting = pool.waitingCount;
  return { busy: waiting > 0 || (idle === 0 && total >= max), max, total, idle, waiting };
}

const TIMED_OUT = 'timed out';
const POOL_ENDED = 'Cannot use a pool after calling end on the pool';

interface Connection {
  client: pg.Client;
  ready: Promise<unknown>;
  discarded?: boolean;
}

/**
 * One connection of its own per pool, kept open between probes, on which the probe runs
 * `SELECT 1`: it never waits behind the pool's clients (requests holding all of them is load, not
 * an outage), and holding it keeps its slot when the server is at `max_connections`. Probes that
 * arrive while one runs share its answer, so a burst of health requests costs one query.
 */
class ProbeConnection {
  #connection: Connection | undefined;
  #running: Promise<ProbeResult> | undefined;
  #closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  check(timeoutMs: number): Promise<ProbeResult> {
    this.#running ??= this.#check(timeoutMs).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    if (this.#connection) this.#discard(this.#connection);
  }

  async #check(timeoutMs: number): Promise<ProbeResult> {
    const started = performance.now();
    const deadline = started + timeoutMs;
    const elapsed = () => Math.round(performance.now() - started);
    let kept = this.#connection !== undefined;
    for (;;) {
      try {
        await this.#selectOne(deadline);
        return { ok: true, latencyMs: elapsed() };
      } catch (error) {
        // A connection kept from an earlier probe may have died unnoticed (a server restart, a
        // dropped NAT entry): one more try on a new one before the database is called down.
        if (kept && !this.#closed && (error as Error).message !== TIMED_OUT) {
          kept = false;
          continue;
        }
        return { ok: false, latencyMs: elapsed(), error: (error as Error).message };
      }
    }
  }

  async #selectOne(deadline: number): Promise<void> {
    if (this.#closed) throw new Error(POOL_ENDED);
    const connection = this.#connection ?? this.#open(deadline);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(TIMED_OUT)), Math.max(0, deadline - performance.now()));
    });
    try {
      await Promise.race([connection.ready, timedOut]);
      await Promise.race([connection.client.query('SELECT 1'), timedOut]);
    } catch (error) {
      // Connecting, or the query, failed or hung: this connection is not used again.
      this.#discard(connection);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #open(deadline: number): Connection {
    const client = new pg.Client({
      ...this.config,
      // The client gives up connecting by itself too (it destroys the socket), so a connection
      // attempt into a black hole does not outlive the probe that started it.
      connectionTimeoutMillis: Math.max(1, Math.ceil(deadline - performance.now())),
    });
    // Not a reason for the process to stay alive (pg-pool does the same with allowExitOnIdle).
    (client as unknown as { unref(): void }).unref();
    const connection: Connection = { client, ready: client.connect() };
    connection.ready.catch(() => undefined);
    // Losing it between probes (a server restart) only means the next probe opens another.
    client.on('error', () => this.#discard(connection));
    client.on('end', () => this.#discard(connection));
    this.#connection = connection;
    return connection;
  }

  #discard(connection: Connection): void {
    if (this.#connection === connection) this.#connection = undefined;
    if (connection.discarded) return;
    connection.discarded = true;
    // `end` destroys the socket of a connection that is still connecting or has a query running.
    connection.client.end().catch(() => undefined);
  }
}

const probeConnections = new WeakMap<pg.Pool, ProbeConnection>();

function probeConnectionOf(pool: pg.Pool): ProbeConnection {
  let connection = probeConnections.get(pool);
  if (connection) return connection;
  const { options } = pool;
  connection = new ProbeConnection({
    ...options,
    // pg-pool keeps the password off the enumerable options.
    password: options.password,
    application_name: `${options.application_name ?? 'trustplane'}-probe`.slice(0, 63),
  });
  probeConnections.set(pool, connection);
  // The probe's connection ends with its pool (Kysely's `destroy` ends the pool through `end`).
  const end = pool.end.bind(pool) as (callback?: (error?: Error) => void) => Promise<void> | undefined;
  const probe = connection;
  (pool as { end: unknown }).end = (callback?: (error?: Error) => void) => {
    probe.close();
    return end(callback);
  };
  return connection;
}

/**
 * Readiness of `pool`'s database: `SELECT 1` on the probe's own connection (never queued behind
 * the pool's clients), bounded by `timeoutMs`, and the pool's figures. Never throws.
 */
export async function probeDatabase(pool: pg.Pool, timeoutMs = 2000): Promise<DatabaseProbeResult> {
  const figures = poolFigures(pool);
  if (pool.ending) return { ok: false, latencyMs: 0, error: POOL_ENDED, pool: figures };
  return { ...(await probeConnectionOf(pool).check(timeoutMs)), pool: figures };
}
