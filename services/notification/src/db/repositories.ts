import type { KyselyExecutor } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import { createConsumerRepository } from './consumers-repository.js';
import { createDeadLetterRepository } from './dead-letters-repository.js';
import { createIdempotencyKeyRepository } from './idempotency-keys-repository.js';
import { createMessageLedgerRepository } from './message-ledger-repository.js';
import { createNotificationRecipientRepository } from './notification-recipients-repository.js';
import { createNotificationRepository } from './notifications-repository.js';
import { createProcessedMessageRepository } from './processed-messages-repository.js';
import { createQueueDeclarationRepository } from './queue-declarations-repository.js';
import type { NotificationDatabase } from './schema.js';

function tables(db: Kysely<NotificationDatabase>) {
  return {
    notifications: createNotificationRepository(db),
    recipients: createNotificationRecipientRepository(db),
    idempotencyKeys: createIdempotencyKeyRepository(db),
    processedMessages: createProcessedMessageRepository(db),
    deadLetters: createDeadLetterRepository(db),
    messageLedger: createMessageLedgerRepository(db),
    consumers: createConsumerRepository(db),
    queueDeclarations: createQueueDeclarationRepository(db),
  };
}

/**
 * The repositories bound to one transaction, and that transaction as an executor for the kernel
 * writers that join it (outbox, job queue). Domain modules never see Kysely itself.
 */
export type NotificationTransaction = ReturnType<typeof tables> & { executor: KyselyExecutor };

export interface TransactionOptions {
  /**
   * false: the commit does not wait for the WAL flush (`SET LOCAL synchronous_commit = off`), for
   * work whose loss to a power cut (not a process crash) only means it runs again.
   */
  synchronousCommit?: boolean;
}

export type NotificationRepositories = ReturnType<typeof tables> & {
  /** The service's pool as an executor, for kernel readers outside a transaction (job counts). */
  executor: KyselyExecutor;
  /** Runs `work` in one transaction; everything it writes through `tx` commits or rolls back together. */
  transaction<T>(work: (tx: NotificationTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
};

/** One repository per table; built once per service context (`service.ts`). */
export function createRepositories(db: Kysely<NotificationDatabase>): NotificationRepositories {
  return {
    ...tables(db),
    executor: db,
    transaction: (work, options = {}) =>
      db.transaction().execute(async (trx) => {
        if (options.synchronousCommit === false) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
        return work({ ...tables(trx), executor: trx });
      }),
  };
}
