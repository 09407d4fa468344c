import type { Kysely, Selectable } from 'kysely';
import type { NotificationDatabase, QueueDeclarationsTable } from './schema.js';

export type QueueDeclarationRow = Selectable<QueueDeclarationsTable>;

/** The service's queues as a worker declared them (GetQueueInfo). */
export function createQueueDeclarationRepository(db: Kysely<NotificationDatabase>) {
  return {
    /** Records the declaration; the backend may change between starts (AMQP_URL set or not), the creation time stays. */
    async declare(
      name: string,
      declared: { backend: string; arguments: Record<string, unknown> },
    ): Promise<void> {
      const values = { backend: declared.backend, arguments: JSON.stringify(declared.arguments) };
      await db
        .insertInto('queue_declarations')
        .values({ name, durable: true, auto_delete: false, ...values })
        .onConflict((oc) => oc.column('name').doUpdateSet(values))
        .execute();
    },

    find(name: string): Promise<QueueDeclarationRow | undefined> {
      return db.selectFrom('queue_declarations').selectAll().where('name', '=', name).executeTakeFirst();
    },
  };
}

export type QueueDeclarationRepository = ReturnType<typeof createQueueDeclarationRepository>;
