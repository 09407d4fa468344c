import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  NotificationDatabase,
  NotificationStatus,
  NotificationsTable,
  StoredContent,
} from './schema.js';
import type { RecipientRow } from './notification-recipients-repository.js';

export type NotificationRow = Selectable<NotificationsTable>;

/** A new notification as the domain builds it (content and metadata as values, not JSON). */
export interface NotificationInsert {
  id: string;
  batch_id: string | null;
  source: string;
  source_message_id: string | null;
  provider_type: string;
  provider_name: string;
  priority: NotificationRow['priority'];
  status: 'queued';
  content: StoredContent;
  sealed_content: string | null;
  sensitive: boolean;
  metadata: Record<string, string>;
  max_retries: number;
  job_id: string;
  scheduled_at: Date | null;
  next_attempt_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** GetNotificationHistory's filters, checked by the domain. */
export interface NotificationFilter {
  status?: NotificationStatus;
  providerType?: string;
  createdFrom?: Date;
  /** Exclusive upper bound (a date-only `date_to`: the day after). */
  createdBefore?: Date;
  /** Inclusive upper bound (an RFC 3339 `date_to`). */
  createdUntil?: Date;
}

/** One attempt to claim: the message `jobId` for notification `id`, with its lease (AMQP) or none (pg-boss). */
export interface AttemptClaim {
  id: string;
  jobId: string;
  leaseSeconds: number | null;
}

/** How an attempt leaves a notification (the general settle path). */
export type Settlement =
  | { status: 'delivered'; wipeSealedContent: boolean }
  | { status: 'cancelled'; lastError: string | null }
  | { status: 'retrying'; lastError: string | null; jobId: string; nextAttemptAt: Date }
  | { status: 'failed'; lastError: string | null };

const INSERT_CHUNK = 500;

export function createNotificationRepository(db: Kysely<NotificationDatabase>) {
  return {
    async insertMany(rows: NotificationInsert[]): Promise<void> {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        await db
          .insertInto('notifications')
          .values(
            rows.slice(start, start + INSERT_CHUNK).map((row) => ({
              ...row,
              content: JSON.stringify(row.content),
              metadata: JSON.stringify(row.metadata),
            })),
          )
          .execute();
      }
    },

    find(id: string): Promise<NotificationRow | undefined> {
      return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Row-locks the notification for a state change. */
    lock(id: string): Promise<NotificationRow | undefined> {
      return db.selectFrom('notifications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    /**
     * Row-locks the notification while it still waits on (or runs) one of `jobIds` in one of
     * `statuses`; undefined when it moved on (settled, cancelled, superseded by a retry).
     */
    lockAttemptHolder(
      id: string,
      jobIds: string[],
      statuses: NotificationStatus[],
    ): Promise<NotificationRow | undefined> {
      if (jobIds.length === 0) return Promise.resolve(undefined);
      return db
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', id)
        .where('job_id', 'in', jobIds)
        .where('status', 'in', statuses)
        .forUpdate()
        .executeTakeFirst();
    },

    /** One page, newest first, and how many match in all. */
    async page(
      filter: NotificationFilter,
      window: { limit: number; offset: number },
    ): Promise<{ total: number; rows: NotificationRow[] }> {
      let base = db.selectFrom('notifications');
      if (filter.status) base = base.where('status', '=', filter.status);
      if (filter.providerType) base = base.where('provider_type', '=', filter.providerType);
      if (filter.createdFrom) base = base.where('created_at', '>=', filter.createdFrom);
      if (filter.createdBefore) base = base.where('created_at', '<', filter.createdBefore);
      if (filter.createdUntil) base = base.where('created_at', '<=', filter.createdUntil);
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(window.limit)
        .offset(window.offset)
        .execute();
      return { total: Number(total), rows };
    },

    async countByStatus(): Promise<Partial<Record<NotificationStatus, number>>> {
      const counts = await db
        .selectFrom('notifications')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(counts.map((entry) => [entry.status, Number(entry.count)]));
    },

    /** Mean seconds from creation (or the scheduled time) to delivery; null before any delivery. */
    async averageDeliverySeconds(): Promise<number | null> {
      const average = await sql<{ seconds: number | null }>`
        SELECT avg(extract(epoch FROM delivered_at - greatest(created_at, coalesce(scheduled_at, created_at))))::float8
               AS seconds
          FROM notifications WHERE status = 'delivered' AND delivered_at IS NOT NULL`.execute(db);
      return average.rows[0]?.seconds ?? null;
    },

    async isCancelRequested(id: string): Promise<boolean> {
      const row = await db
        .selectFrom('notifications')
        .select('cancel_requested_at')
        .where('id', '=', id)
        .executeTakeFirst();
      return Boolean(row?.cancel_requested_at);
    },

    /** A running attempt finishes what the provider accepted and makes no further attempt. */
    async requestCancel(id: string, at: Date): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ cancel_requested_at: at, updated_at: at })
        .where('id', '=', id)
        .execute();
    },

    /** A waiting notification cancelled: no job, no next attempt. */
    async cancelWaiting(id: string, at: Date): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ status: 'cancelled', cancelled_at: at, updated_at: at, job_id: null, next_attempt_at: null })
        .where('id', '=', id)
        .execute();
    },

    /** failed → queued with attempt `jobId` and a fresh budget counted from `budgetStart`. */
    async requeue(id: string, next: { jobId: string; budgetStart: number; at: Date }): Promise<void> {
      await db
        .updateTable('notifications')
        .set({
          status: 'queued',
          budget_start: next.budgetStart,
          job_id: next.jobId,
          failed_at: null,
          next_attempt_at: next.at,
          updated_at: next.at,
        })
        .where('id', '=', id)
        .execute();
    },

    /** Records how an attempt left the notification (locked by the caller). */
    async settle(id: string, settlement: Settlement, at: Date): Promise<void> {
      const changes =
        settlement.status === 'delivered'
          ? {
              status: settlement.status,
              last_error: null,
              delivered_at: at,
              job_id: null,
              ...(settlement.wipeSealedContent ? { sealed_content: null } : {}),
            }
          : settlement.status === 'cancelled'
            ? { status: settlement.status, last_error: settlement.lastError, cancelled_at: at, job_id: null }
            : settlement.status === 'retrying'
              ? {
                  status: settlement.status,
                  last_error: settlement.lastError,
                  job_id: settlement.jobId,
                  next_attempt_at: settlement.nextAttemptAt,
                }
              : { status: settlement.status, last_error: settlement.lastError, failed_at: at, job_id: null };
      await db
        .updateTable('notifications')
        .set({ updated_at: at, ...changes })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Takes the notifications of these attempts, counting an attempt each, and marks the attempts'
     * `ledgerQueue` entries delivered, in one statement (the claim's group commit); returns each
     * claimed notification with its pending recipients. An attempt whose notification moved on
     * (cancelled, purged, superseded by a retry, settled), or is held by a live lease, is absent.
     * The commit does not wait for the WAL flush: a claim lost to a power cut only means the
     * attempt runs again.
     */
    async claimAttempts(
      claims: AttemptClaim[],
      ledgerQueue: string,
    ): Promise<{ row: NotificationRow; pending: RecipientRow[] }[]> {
      const jobIds = claims.map((claim) => claim.jobId);
      const result = await sql<NotificationRow & { pending: RecipientRow[] | null }>`
        WITH input AS (
          SELECT * FROM unnest(${claims.map((claim) => claim.id)}::text[], ${jobIds}::uuid[],
                               ${claims.map((claim) => claim.leaseSeconds)}::int[]) AS v(id, job_id, lease)
        ), claimed AS (
          UPDATE notifications n
             SET status = 'processing', attempts = n.attempts + 1, updated_at = now(), next_attempt_at = NULL,
                 claimed_at = now()
            FROM input v
           WHERE n.id = v.id AND n.job_id = v.job_id
             AND (n.status IN ('queued', 'retrying')
                  OR (n.status = 'processing'
                      AND (v.lease IS NULL OR n.claimed_at IS NULL
                           OR n.claimed_at < now() - make_interval(secs => v.lease))))
             AND set_config('synchronous_commit', 'off', true) IS NOT NULL
          RETURNING n.*
        ), ledger AS (
          UPDATE message_ledger
             SET delivered_at = coalesce(delivered_at, now()), delivery_count = delivery_count + 1, status = 'unacked'
           WHERE queue = ${ledgerQueue} AND message_id = ANY(${jobIds}::text[])
        )
        SELECT c.*,
               (SELECT json_agg(r ORDER BY r.position) FROM notification_recipients r
                 WHERE r.notification_id = c.id AND r.status = 'pending') AS pending
          FROM claimed c`.execute(db);
      return result.rows.map(({ pending, ...row }) => ({
        row: row as NotificationRow,
        pending: (pending ?? []).map((recipient) => ({
          ...recipient,
          accepted_at: recipient.accepted_at ? new Date(recipient.accepted_at) : null,
        })),
      }));
    },

    /** Of these attempts, those whose notification another attempt's live lease holds: when it ends. */
    async leaseHolds(claims: AttemptClaim[]): Promise<{ jobId: string; retryInMs: number }[]> {
      const held = await sql<{ job_id: string; retry_in_ms: number }>`
        SELECT n.job_id::text AS job_id,
               greatest(0, extract(epoch FROM n.claimed_at + make_interval(secs => v.lease) - now()) * 1000)::int
                 AS retry_in_ms
          FROM notifications n
          JOIN unnest(${claims.map((claim) => claim.id)}::text[], ${claims.map((claim) => claim.jobId)}::uuid[],
                      ${claims.map((claim) => claim.leaseSeconds)}::int[]) AS v(id, job_id, lease)
            ON n.id = v.id AND n.job_id = v.job_id
         WHERE n.status = 'processing' AND v.lease IS NOT NULL AND n.claimed_at IS NOT NULL`.execute(db);
      return held.rows.map((entry) => ({ jobId: entry.job_id, retryInMs: entry.retry_in_ms }));
    },

    /**
     * Settles attempts whose every recipient accepted, in one statement (the group commit):
     * delivered (sealed content wiped), the `accepted` recipients recorded, the attempts'
     * `ledgerQueue` entries acknowledged. An attempt that cannot settle this way (cancel requested
     * meanwhile, superseded, a recipient still open) is left alone and absent from the result.
     * The commit does not wait for the WAL flush: losing it to a power cut only means the attempt
     * runs again.
     */
    async settleAccepted(
      attempts: { id: string; jobId: string }[],
      accepted: { id: string; position: number; reply: string }[],
      ledgerQueue: string,
    ): Promise<{ id: string; provider_type: string; attempts: number }[]> {
      const done = await sql<{ id: string; provider_type: string; attempts: number }>`
        WITH input AS (
          SELECT * FROM unnest(${attempts.map((attempt) => attempt.id)}::text[],
                               ${attempts.map((attempt) => attempt.jobId)}::uuid[]) AS v(id, job_id)
        ), accepted AS (
          SELECT * FROM unnest(${accepted.map((entry) => entry.id)}::text[], ${accepted.map((entry) => entry.position)}::int[],
                               ${accepted.map((entry) => entry.reply)}::text[]) AS a(id, position, reply)
        ), settled AS (
          UPDATE notifications n
             SET status = 'delivered', delivered_at = now(), updated_at = now(), job_id = NULL, last_error = NULL,
                 sealed_content = CASE WHEN n.sensitive THEN NULL ELSE n.sealed_content END
            FROM input v
           WHERE n.id = v.id AND n.job_id = v.job_id AND n.status = 'processing' AND n.cancel_requested_at IS NULL
             AND NOT EXISTS (
               SELECT 1 FROM notification_recipients r
                WHERE r.notification_id = n.id AND r.status <> 'accepted'
                  AND NOT EXISTS (SELECT 1 FROM accepted a WHERE a.id = r.notification_id AND a.position = r.position))
             AND set_config('synchronous_commit', 'off', true) IS NOT NULL
          RETURNING n.id, n.provider_type, n.attempts, v.job_id
        ), recipients AS (
          UPDATE notification_recipients r
             SET status = 'accepted', accepted_at = now(), provider_message_id = a.reply, last_error = NULL
            FROM accepted a
           WHERE r.notification_id = a.id AND r.position = a.position AND a.id IN (SELECT id FROM settled)
        ), ledger AS (
          UPDATE message_ledger SET status = 'acked', completed_at = now()
           WHERE queue = ${ledgerQueue} AND message_id IN (SELECT job_id::text FROM settled)
        )
        SELECT id, provider_type, attempts FROM settled`.execute(db);
      return done.rows;
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
