import pg from 'pg';
import type { Logger } from 'pino';

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgListenerOptions {
  /** Connection settings are taken from this pool; the LISTEN connection is its own, not a pool slot. */
  pool?: pg.Pool;
  /** Or the connection settings themselves (one of `pool` and `connection` is required). */
  connection?: pg.ClientConfig;
  channels: string[];
  logger: Logger;
  onNotification(channel: string, payload: string): void;
  /**
   * Runs after every successful (re)connection. Notifications sent while no connection was
   * listening are lost, so this is where a caller catches up.
   */
  onConnected?(): Promise<void> | void;
  /** Delay before reconnecting after a lost or refused connection. Default 2000 ms. */
  retryMs?: number;
}

/**
 * One dedicated connection LISTENing on `channels`, reconnected after it is lost. A NOTIFY is
 * delivered when the notifying transaction commits, so what arrives here is already durable.
 */
export class PgListener {
  readonly #options: PgListenerOptions;
  #client: pg.Client | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: PgListenerOptions) {
    if (!options.pool && !options.connection)
      throw new Error('PgListener needs a pool or connection settings');
    for (const channel of options.channels) {
      if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid NOTIFY channel name: ${channel}`);
    }
    this.#options = options;
  }

  /** Whether a connection is LISTENing right now. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Connects once; on failure keeps retrying in the background. Resolves to whether it listens now. */
  async start(): Promise<boolean> {
    this.#stopped = false;
    await this.#connect();
    return this.listening;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#client) return;
    const client = new pg.Client(this.#options.pool?.options ?? this.#options.connection);
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      this.#options.logger.warn({ err: error, channels: this.#options.channels }, 'LISTEN connection lost');
      this.#scheduleRetry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      this.#options.onNotification(message.channel, message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of this.#options.channels) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      lost = true;
      client.end().catch(() => undefined);
      if (!this.#stopped) {
        this.#options.logger.warn({ err: error, channels: this.#options.channels }, 'cannot LISTEN');
        this.#scheduleRetry();
      }
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    try {
      await this.#options.onConnected?.();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'catching up after LISTEN (re)connection failed');
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, this.#options.retryMs ?? 2000);
    this.#retryTimer.unref();
  }
}
