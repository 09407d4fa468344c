import type { RevocationList } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { KeyStore } from './auth/key-store.js';
import type { TokenService } from './auth/tokens.js';
import type { AccountConfig } from './config.js';
import type { AccountDB } from './db/types.js';
import type { OutboxPublisher } from './events/outbox.js';
import type { Limits } from './http/limits.js';

/** Everything the routes and domain modules of the service share; built once in `runtime.ts`. */
export interface AccountDeps {
  db: Kysely<AccountDB>;
  pool: pg.Pool;
  config: AccountConfig;
  keys: KeyStore;
  tokens: TokenService;
  /** The platform's revocation list (kernel), shared with every service trusting account tokens. */
  revocations: RevocationList;
  outbox: OutboxPublisher;
  limits: Limits;
  logger: Logger;
  publicUrl: string;
  amqpUrl: string | undefined;
}
