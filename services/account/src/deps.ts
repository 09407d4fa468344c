import type { PasswordLogin, RevocationList, SigningKeyStore } from '@trustplane/kernel';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ServiceKeyAuthenticator } from './auth/api-keys.js';
import type { TokenService } from './auth/tokens.js';
import type { AccountConfig } from './config.js';
import type { Repositories } from './db/repositories.js';
import type { OutboxPublisher } from './events/outbox.js';
import type { Limits } from './http/limits.js';

/** Everything the routes and domain modules of the service share; built once in `runtime.ts`. */
export interface AccountDeps {
  /** One repository per table; domain modules reach the database only through these. */
  repositories: Repositories;
  pool: pg.Pool;
  config: AccountConfig;
  keys: SigningKeyStore;
  tokens: TokenService;
  /** Service-account API keys (kernel authenticator). */
  apiKeys: ServiceKeyAuthenticator;
  /** Password checks behind the brute-force guards, with the decoy hash (kernel). */
  passwords: PasswordLogin;
  /** The platform's revocation list (kernel), shared with every service trusting account tokens. */
  revocations: RevocationList;
  outbox: OutboxPublisher;
  limits: Limits;
  logger: Logger;
  publicUrl: string;
  amqpUrl: string | undefined;
}
