import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AccountDB } from '../db/types.js';
import { KEYS_CHANNEL } from './key-store.js';

/** NOTIFY channel (and Redis channel) carrying `jti:<id>:<until>` / `sid:<id>` per revocation. */
export const REVOCATION_CHANNEL = 'account_revocations';
export const REDIS_REVOCATION_CHANNEL = 'trustplane:account:revocations';

type Executor = Kysely<AccountDB>;

/**
 * Revoked access-token JTIs and revoked session ids, held in memory so that checking a token
 * costs no database round trip. PostgreSQL is the source of truth: every revocation is a row and
 * a NOTIFY, every process LISTENs and also reloads the whole set periodically (missed
 * notifications, restarts). Entries are kept only while a token they could match may still be
 * valid: a JTI until its token's exp, a session for one access-token lifetime after revocation.
 * With Redis configured, revocations are also published on a Redis channel every process
 * subscribes to (for deployments where LISTEN is unavailable, e.g. behind a transaction pooler).
 */
export class RevocationCache {
  readonly #jtis = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  #listener: pg.PoolClient | undefined;
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly db: Kysely<AccountDB>,
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly options: {
      accessTokenTtlSeconds: number;
      refreshMs: number;
      onKeysChanged: () => Promise<void>;
      redis?: Redis | undefined;
    },
  ) {}

  #broadcast(message: string): void {
    // Best effort: PostgreSQL stays the source of truth and the periodic reload catches up.
    this.options.redis?.publish(REDIS_REVOCATION_CHANNEL, message).catch((error: Error) => {
      this.logger.warn({ err: error }, 'revocation not published on Redis');
    });
  }

  /** Applies one `jti:<id>:<until>` / `sid:<id>` message from any channel. */
  #apply(payload: string): void {
    const [kind, id, until] = payload.split(':');
    if (!id) return;
    if (kind === 'jti') this.#jtis.set(id, Number(until) || this.#sessionHorizon());
    if (kind === 'sid') this.#sessions.set(id, this.#sessionHorizon());
  }

  isRevoked(jti: string | undefined, sessionId: string | null | undefined): boolean {
    const now = Date.now();
    if (jti) {
      const until = this.#jtis.get(jti);
      if (until !== undefined && until > now) return true;
    }
    if (sessionId) {
      const until = this.#sessions.get(sessionId);
      if (until !== undefined && until > now) return true;
    }
    return false;
  }

  /** Records a revoked JTI in the caller's transaction and in this process at once. */
  async revokeJti(executor: Executor, jti: string, expiresAt: Date, reason: string): Promise<void> {
    if (expiresAt.getTime() <= Date.now()) return;
    await executor
      .insertInto('revoked_tokens')
      .values({ jti, expires_at: expiresAt, reason })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
    await sql`SELECT pg_notify(${REVOCATION_CHANNEL}, ${`jti:${jti}:${expiresAt.getTime()}`})`.execute(
      executor,
    );
    this.#jtis.set(jti, expiresAt.getTime());
  }

  /** Marks sessions revoked (caller's transaction) so their access tokens stop validating. */
  async revokeSessions(
    executor: Executor,
    filter: { sessionIds?: string[]; accountId?: string; exceptSessionId?: string | null },
    reason: string,
  ): Promise<string[]> {
    let query = executor
      .updateTable('sessions')
      .set({ revoked_at: new Date(), revoked_reason: reason })
      .where('revoked_at', 'is', null);
    if (filter.sessionIds) {
      if (filter.sessionIds.length === 0) return [];
      query = query.where('id', 'in', filter.sessionIds);
    }
    if (filter.accountId) query = query.where('account_id', '=', filter.accountId);
    if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
    const rows = await query.returning('id').execute();
    const until = this.#sessionHorizon();
    for (const row of rows) {
      await sql`SELECT pg_notify(${REVOCATION_CHANNEL}, ${`sid:${row.id}`})`.execute(executor);
      this.#sessions.set(row.id, until);
      this.#broadcast(`sid:${row.id}`);
    }
    return rows.map((row) => row.id);
  }

  async start(): Promise<void> {
    await this.refresh();
    await this.#listen();
    await this.#subscribe();
    const tick = async () => {
      if (this.#stopped) return;
      try {
        await this.refresh();
        if (!this.#listener) await this.#listen();
      } catch (error) {
        this.logger.warn({ err: error }, 'revocation cache refresh failed; keeping the last known set');
      }
      if (!this.#stopped) this.#timer = setTimeout(tick, this.options.refreshMs).unref();
    };
    this.#timer = setTimeout(tick, this.options.refreshMs).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    subscriber?.disconnect();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) {
      await listener.query(`UNLISTEN *`).catch(() => undefined);
      listener.release(true);
    }
  }

  /** Replaces the in-memory set with the database's current state. */
  async refresh(): Promise<void> {
    const horizon = new Date(Date.now() - this.#sessionWindowMs());
    const [tokens, sessions] = await Promise.all([
      this.db
        .selectFrom('revoked_tokens')
        .select(['jti', 'expires_at'])
        .where('expires_at', '>', new Date())
        .execute(),
      this.db.selectFrom('sessions').select(['id', 'revoked_at']).where('revoked_at', '>', horizon).execute(),
    ]);
    this.#jtis.clear();
    for (const row of tokens) this.#jtis.set(row.jti, row.expires_at.getTime());
    this.#sessions.clear();
    for (const row of sessions) {
      if (row.revoked_at) this.#sessions.set(row.id, row.revoked_at.getTime() + this.#sessionWindowMs());
    }
    // Expired rows are useless; deleting them keeps the reload small.
    await this.db.deleteFrom('revoked_tokens').where('expires_at', '<', new Date()).execute();
  }

  #sessionWindowMs(): number {
    return (this.options.accessTokenTtlSeconds + 60) * 1000;
  }

  #sessionHorizon(): number {
    return Date.now() + this.#sessionWindowMs();
  }

  async #subscribe(): Promise<void> {
    if (!this.options.redis || this.#stopped) return;
    const subscriber = this.options.redis.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === REDIS_REVOCATION_CHANNEL) this.#apply(message);
    });
    try {
      await subscriber.subscribe(REDIS_REVOCATION_CHANNEL);
      this.#subscriber = subscriber;
    } catch (error) {
      subscriber.disconnect();
      this.logger.warn({ err: error }, 'revocation cache cannot subscribe on Redis; relying on PostgreSQL');
    }
  }

  async #listen(): Promise<void> {
    if (this.#stopped) return;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.logger.warn({ err: error }, 'revocation cache cannot LISTEN; relying on periodic refresh');
      return;
    }
    client.on('notification', (message) => {
      if (message.channel === KEYS_CHANNEL) {
        this.options.onKeysChanged().catch((error) => this.logger.error({ err: error }, 'key reload failed'));
        return;
      }
      this.#apply(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'revocation LISTEN connection lost');
      if (this.#listener === client) this.#listener = undefined;
      client.release(true);
    });
    await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    await client.query(`LISTEN ${KEYS_CHANNEL}`);
    this.#listener = client;
  }
}
