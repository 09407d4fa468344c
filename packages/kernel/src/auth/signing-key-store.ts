import type pg from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../db/pg-listener.js';
import { runSql, type SqlExecutor, withinTransaction } from '../db/sql-executor.js';
import {
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  JwtKeyRing,
  type SigningAlgorithm,
  type SigningKey,
  type VerificationKey,
} from '../secrets/jwt.js';
import { openSecret, SealedSecretError, sealSecret } from '../secrets/sealed-box.js';

export interface SigningKeyStoreOptions {
  /** A pool on the service's database; its search_path finds `table`. */
  pool: pg.Pool;
  /**
   * The service's key table, with at least these columns: `kid text PRIMARY KEY`, `alg text`,
   * `public_pem text`, `private_enc text` (the sealed PKCS#8 private key), `active boolean` (one
   * active row: a unique partial index), `created_at timestamptz DEFAULT now()`,
   * `retired_at timestamptz`, `not_after timestamptz`.
   */
  table: string;
  /** 32 bytes, `deriveKey(platformSecret, purpose)`: private keys are `sealSecret`ed with it. */
  sealingKey: Buffer;
  algorithm: SigningAlgorithm;
  /** NOTIFY channel announcing a rotation to every process of the service. */
  channel: string;
  logger: Logger;
  /**
   * Opens a private key stored before keys were sealed with `sealSecret`. Such rows still load,
   * and are resealed in place the first time they are read.
   */
  openLegacy?: (stored: string) => string;
}

export interface ActiveSigningKey {
  kid: string;
  publicPem: string;
  createdAt: Date;
}

export interface SigningKeyRotation {
  keyId: string;
  previousKeyId: string | null;
  /** Until when the previous key still verifies; null when there was none. */
  previousKeyVerifiesUntil: Date | null;
}

interface SigningKeyRow {
  kid: string;
  alg: string;
  public_pem: string;
  private_enc: string;
  active: boolean;
  created_at: Date;
  not_after: Date | null;
}

type GeneratedKey = SigningKey & { sealed: string };

const TABLE_NAME = /^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?$/;
/** An unknown `kid` reloads at most this often: a forged token must not turn into a database storm. */
const MIN_RELOAD_INTERVAL_MS = 1000;

/**
 * A service's JWT signing keys, kept in its own table with the private keys sealed at rest
 * (`sealSecret`). Every process holds a `JwtKeyRing` built from the table and reloads it when
 * another process rotates (NOTIFY on `channel`, after a lost connection, and on an unknown `kid`).
 * The first process to find no active key creates one.
 */
export class SigningKeyStore {
  readonly #options: SigningKeyStoreOptions;
  #ring: JwtKeyRing | undefined;
  #active: ActiveSigningKey | undefined;
  #lastReloadAt = 0;
  #listener: PgListener | undefined;

  constructor(options: SigningKeyStoreOptions) {
    if (!TABLE_NAME.test(options.table))
      throw new TypeError(`invalid signing key table name: ${options.table}`);
    if (options.sealingKey.length !== 32) throw new RangeError('the sealing key must be 32 bytes');
    this.#options = options;
  }

  get ring(): JwtKeyRing {
    if (!this.#ring) throw new Error('signing keys are not loaded');
    return this.#ring;
  }

  get active(): ActiveSigningKey {
    if (!this.#active) throw new Error('signing keys are not loaded');
    return this.#active;
  }

  /** Loads the keys and follows rotations made by other processes until `stop`. */
  async start(): Promise<void> {
    await this.load();
    const { pool, channel, logger } = this.#options;
    this.#listener = new PgListener({
      pool,
      channels: [channel],
      logger,
      onNotification: () => {
        this.load().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
      },
      onConnected: () => this.load(),
    });
    await this.#listener.start();
  }

  async stop(): Promise<void> {
    await this.#listener?.stop();
    this.#listener = undefined;
  }

  async load(): Promise<void> {
    let rows = await this.#rows();
    if (!rows.some((row) => row.active)) {
      // First boot: a concurrent process may win the unique index; then its key is loaded.
      await this.#insertActive(this.#options.pool, await this.#generate()).catch(() => undefined);
      rows = await this.#rows();
    }
    const activeRow = rows.find((row) => row.active);
    if (!activeRow) throw new Error('no active signing key');
    const { algorithm } = this.#options;
    const active = await importSigningKey(
      await this.#openPrivateKey(activeRow),
      activeRow.public_pem,
      algorithm,
      activeRow.kid,
    );
    const previous: VerificationKey[] = [];
    for (const row of rows) {
      if (row.active) continue;
      await this.#openPrivateKey(row); // reseals a legacy row; its private key signs nothing any more
      previous.push(
        await importVerificationKey(row.public_pem, algorithm, row.kid, row.not_after ?? undefined),
      );
    }
    this.#ring = new JwtKeyRing({ active, previous });
    this.#active = { kid: activeRow.kid, publicPem: activeRow.public_pem, createdAt: activeRow.created_at };
    this.#lastReloadAt = Date.now();
  }

  /** Reloads unless the last load was under a second ago; true when it reloaded. */
  async reloadIfStale(): Promise<boolean> {
    if (Date.now() - this.#lastReloadAt < MIN_RELOAD_INTERVAL_MS) return false;
    await this.load();
    return true;
  }

  /**
   * Makes a new key sign; the previous one keeps verifying for `retireAfterSeconds` (the longest
   * lifetime of a token it signed; 0 stops it at once). Every process reloads on the NOTIFY.
   */
  async rotate(retireAfterSeconds: number): Promise<SigningKeyRotation> {
    const next = await this.#generate();
    const { table, channel } = this.#options;
    return withinTransaction(this.#options.pool, async (executor) => {
      const [current] = await runSql<{ kid: string }>(
        executor,
        `SELECT kid FROM ${table} WHERE active FOR UPDATE`,
      );
      const notAfter = new Date(Date.now() + retireAfterSeconds * 1000);
      if (current) {
        await runSql(
          executor,
          `UPDATE ${table} SET active = false, retired_at = now(), not_after = $2 WHERE kid = $1`,
          [current.kid, notAfter],
        );
      }
      await this.#insertActive(executor, next);
      await runSql(executor, 'SELECT pg_notify($1, $2)', [channel, next.kid]);
      return {
        keyId: next.kid,
        previousKeyId: current?.kid ?? null,
        previousKeyVerifiesUntil: current ? notAfter : null,
      };
    });
  }

  async #generate(): Promise<GeneratedKey> {
    const key = await generateSigningKey({ alg: this.#options.algorithm });
    return { ...key, sealed: sealSecret(this.#options.sealingKey, key.privatePkcs8Pem) };
  }

  async #insertActive(executor: SqlExecutor, key: GeneratedKey): Promise<void> {
    await runSql(
      executor,
      `INSERT INTO ${this.#options.table} (kid, alg, public_pem, private_enc, active) VALUES ($1, $2, $3, $4, true)`,
      [key.kid, key.alg, key.publicSpkiPem, key.sealed],
    );
  }

  #rows(): Promise<SigningKeyRow[]> {
    return runSql<SigningKeyRow>(
      this.#options.pool,
      `SELECT kid, alg, public_pem, private_enc, active, created_at, not_after FROM ${this.#options.table}
        WHERE active OR not_after > now() ORDER BY created_at DESC`,
    );
  }

  async #openPrivateKey(row: SigningKeyRow): Promise<string> {
    const { sealingKey, openLegacy, table, pool } = this.#options;
    try {
      return openSecret(sealingKey, row.private_enc);
    } catch (error) {
      if (!(error instanceof SealedSecretError) || !openLegacy || row.private_enc.startsWith('v1.'))
        throw error;
    }
    const pem = openLegacy(row.private_enc);
    // Only the row still holding the legacy value is rewritten: a concurrent reseal is not undone.
    await runSql(pool, `UPDATE ${table} SET private_enc = $2 WHERE kid = $1 AND private_enc = $3`, [
      row.kid,
      sealSecret(sealingKey, pem),
      row.private_enc,
    ]);
    return pem;
  }
}
