import { type BoundRepositories, createRepositorySet, type RepositorySet } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
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

/** The repositories bound to one transaction, and that transaction as their executor. */
export type NotificationTransaction = BoundRepositories<ReturnType<typeof tables>>;

/** `executor`: the service's pool, for kernel readers outside a transaction (job counts). */
export type NotificationRepositories = RepositorySet<ReturnType<typeof tables>>;

/** One repository per table; built once per service context (`service.ts`). */
export function createRepositories(db: Kysely<NotificationDatabase>): NotificationRepositories {
  return createRepositorySet(db, tables);
}
