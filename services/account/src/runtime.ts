import type { ServiceContext } from '@trustplane/kernel';
import type { Registry } from 'prom-client';
import { KeyCipher, KeyStore } from './auth/key-store.js';
import { RevocationCache } from './auth/revocation-cache.js';
import { TokenService } from './auth/tokens.js';
import type { AccountConfig } from './config.js';
import type { AccountDB } from './db/types.js';
import type { AccountDeps } from './deps.js';
import { Limits } from './http/limits.js';

/** The composition root: config, keys, revocation cache, limits, outbox. */
export async function buildDeps(
  context: ServiceContext,
  config: AccountConfig,
  registry: Registry,
): Promise<AccountDeps> {
  const database = context.database<AccountDB>();
  const keys = new KeyStore(database.kysely, new KeyCipher(context.signingSecret));
  await keys.load();
  const limits = new Limits(config, database.pool, context.config.redisUrl, registry);
  const revocations = new RevocationCache(database.kysely, database.pool, context.logger, {
    accessTokenTtlSeconds: Math.max(config.accessTokenTtl, config.serviceTokenTtl),
    refreshMs: config.revocationRefreshMs,
    onKeysChanged: () => keys.load(),
    redis: limits.redis,
  });
  await revocations.start();
  context.onClose(async () => {
    await revocations.stop();
    await limits.close();
  });
  return {
    db: database.kysely,
    pool: database.pool,
    config,
    keys,
    tokens: new TokenService(keys, config),
    revocations,
    outbox: context.outbox,
    limits,
    logger: context.logger,
    publicUrl: context.publicUrl,
    amqpUrl: context.config.amqpUrl,
  };
}
