import { PgListener, type ServiceContext } from '@trustplane/kernel';
import type { Registry } from 'prom-client';
import { KEYS_CHANNEL, KeyCipher, KeyStore } from './auth/key-store.js';
import { TokenService } from './auth/tokens.js';
import type { AccountConfig } from './config.js';
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
  const keys = new KeyStore(database.kysely, new KeyCipher(context.signingSecret));
  await keys.load();
  // A key rotated by another process (`rotate-key`) is picked up at once; after a lost
  // connection the keys are reloaded, and an unknown `kid` reloads them too (KeyStore).
  const keyWatcher = new PgListener({
    pool: database.pool,
    channels: [KEYS_CHANNEL],
    logger: context.logger,
    onNotification: () => {
      keys.load().catch((error: unknown) => context.logger.error({ err: error }, 'key reload failed'));
    },
    onConnected: () => keys.load(),
  });
  await keyWatcher.start();
  const limits = new Limits(config, database.pool, context.config.redisUrl, registry);
  await context.revocations.start();
  context.onClose(async () => {
    await keyWatcher.stop();
    await limits.close();
  });
  return {
    db: database.kysely,
    pool: database.pool,
    config,
    keys,
    tokens: new TokenService(keys, config),
    revocations: context.revocations,
    outbox: context.outbox,
    limits,
    logger: context.logger,
    publicUrl: context.publicUrl,
    amqpUrl: context.config.amqpUrl,
  };
}
