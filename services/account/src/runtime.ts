import { PasswordLogin, type ServiceContext } from '@trustplane/kernel';
import type { Registry } from 'prom-client';
import { createServiceKeyAuthenticator } from './auth/api-keys.js';
import { createSigningKeyStore } from './auth/key-store.js';
import { TokenService } from './auth/tokens.js';
import type { AccountConfig } from './config.js';
import { createRepositories } from './db/repositories.js';
import type { AccountDB } from './db/types.js';
import type { AccountDeps } from './deps.js';
import { Limits } from './http/limits.js';

/** The composition root: config, keys, revocation list, limits, outbox. */
export async function buildDeps(
  context: ServiceContext,
  config: AccountConfig,
  registry: Registry,
): Promise<AccountDeps> {
  const database = context.database<AccountDB>();
  const keys = createSigningKeyStore(database.pool, context.signingSecret, context.logger);
  // A key rotated by another process (`rotate-key`) is picked up at once; after a lost
  // connection the keys are reloaded, and an unknown `kid` reloads them too (TokenService).
  await keys.start();
  const repositories = createRepositories(database.kysely);
  const apiKeys = createServiceKeyAuthenticator(repositories.apiKeys, context.logger);
  const limits = new Limits(config, database.pool, context.config.redisUrl, registry);
  await context.revocations.start();
  context.onClose(async () => {
    await keys.stop();
    await apiKeys.drain();
    await limits.close();
  });
  return {
    repositories,
    pool: database.pool,
    config,
    keys,
    tokens: new TokenService(keys, config),
    apiKeys,
    passwords: new PasswordLogin({ parameters: config.passwordHash }),
    revocations: context.revocations,
    outbox: context.outbox,
    limits,
    logger: context.logger,
    publicUrl: context.publicUrl,
    amqpUrl: context.config.amqpUrl,
  };
}
