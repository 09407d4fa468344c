import { type Database, prepareStatement } from '@trustplane/kernel';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { newId } from './ids.js';
import type { UsageEventName, UsageEventTable, VerifactDatabase } from './tables.js';

export type UsageEventRow = Selectable<UsageEventTable>;
type Executor = Kysely<VerifactDatabase> | Transaction<VerifactDatabase>;

export interface EventTotals {
  event: UsageEventName;
  count: number;
  amountPaise: number;
  unbilledCount: number;
  unbilledAmountPaise: number;
}

/** Start of the UTC month holding `at`. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function nextMonthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

export function createUsageRepository(
  db: Kysely<VerifactDatabase>,
  pool: Database<VerifactDatabase>['pool'],
) {
  const recordUnlessPhoto = prepareStatement<{ id: string }>(
    pool,
    'verifact',
    'record_usage_unless_photo',
    `INSERT INTO usage_events (id, tenant_id, event, unit_price_paise)
     SELECT $1::text, $2::text, $3::text, $4::bigint
     WHERE NOT EXISTS (SELECT 1 FROM photos WHERE tenant_id = $2::text AND sha256 = $5::text)
     RETURNING id`,
  );
  return {
    async record(
      executor: Executor,
      row: {
        tenantId: string;
        event: UsageEventName;
        unitPricePaise: number;
        claimId?: string | null;
        claimNumber?: string | null;
      },
    ): Promise<UsageEventRow> {
      return executor
        .insertInto('usage_events')
        .values({
          id: newId('evt'),
          tenant_id: row.tenantId,
          event: row.event,
          unit_price_paise: row.unitPricePaise,
          claim_id: row.claimId ?? null,
          claim_number: row.claimNumber ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /**
     * Records a claimless event unless the tenant holds a photo with this SHA-256, in one
     * statement (verify's common case: a photo never uploaded to a claim), prepared, outside any
     * transaction: it commits on its own, durably. Returns the new event's id, or undefined when
     * such a photo exists and nothing was written.
     */
    async recordUnlessPhoto(
      row: { tenantId: string; event: UsageEventName; unitPricePaise: number },
      sha256: string,
    ): Promise<string | undefined> {
      const rows = await recordUnlessPhoto.run([
        newId('evt'),
        row.tenantId,
        row.event,
        row.unitPricePaise,
        sha256,
      ]);
      return rows[0]?.id;
    },
    /** Deletes an event not yet billed (an answer that failed after its event was written). */
    async removeUnbilled(executor: Executor, id: string): Promise<void> {
      await executor.deleteFrom('usage_events').where('id', '=', id).where('billed_at', 'is', null).execute();
    },
    /** Has this claim ever been billed? */
    async claimBilled(executor: Executor, claimId: string): Promise<boolean> {
      const row = await executor
        .selectFrom('usage_events')
        .select('id')
        .where('claim_id', '=', claimId)
        .where('event', '=', 'claim_set_billed')
        .executeTakeFirst();
      return row !== undefined;
    },
    /** Billed claims of the tenant in the UTC month holding `at`. */
    /** Records the cap notice of a tenant's billing cycle once; false when it was already sent. */
    async recordCapNotice(executor: Executor, tenantId: string, cycle: string): Promise<boolean> {
      const inserted = await executor
        .insertInto('cap_notices')
        .values({ tenant_id: tenantId, cycle })
        .onConflict((conflict) => conflict.doNothing())
        .returning('cycle')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async billedClaimsInMonth(executor: Executor, tenantId: string, at: Date): Promise<number> {
      const row = await executor
        .selectFrom('usage_events')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('tenant_id', '=', tenantId)
        .where('event', '=', 'claim_set_billed')
        .where('created_at', '>=', monthStart(at))
        .where('created_at', '<', nextMonthStart(at))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    /** Per-event totals of `[from, to)`, billed and not. */
    async totals(tenantId: string, from: Date, to: Date): Promise<EventTotals[]> {
      const rows = await db
        .selectFrom('usage_events')
        .select([
          'event',
          sql<string>`sum(quantity)`.as('count'),
          sql<string>`sum(quantity * unit_price_paise)`.as('amount'),
          sql<string>`coalesce(sum(quantity) filter (where billed_at is null), 0)`.as('unbilled_count'),
          sql<string>`coalesce(sum(quantity * unit_price_paise) filter (where billed_at is null), 0)`.as(
            'unbilled_amount',
          ),
        ])
        .where('tenant_id', '=', tenantId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .groupBy('event')
        .orderBy('event')
        .execute();
      return rows.map((row) => ({
        event: row.event,
        count: Number(row.count),
        amountPaise: Number(row.amount),
        unbilledCount: Number(row.unbilled_count),
        unbilledAmountPaise: Number(row.unbilled_amount),
      }));
    },
    /** The latest unbilled events of `[from, to)`. */
    unbilled(tenantId: string, from: Date, to: Date, limit: number): Promise<UsageEventRow[]> {
      return db
        .selectFrom('usage_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('created_at', '>=', from)
        .where('created_at', '<', to)
        .where('billed_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
    /**
     * Marks every unbilled event created before `through` billed under one run id, and records
     * the run per tenant from exactly the rows it marked.
     */
    async close(through: Date, tenantId?: string) {
      return db.transaction().execute(async (trx) => {
        const runId = newId('bil');
        let update = trx
          .updateTable('usage_events')
          .set({ billed_at: sql`now()`, billing_run_id: runId })
          .where('billed_at', 'is', null)
          .where('created_at', '<', through);
        if (tenantId) update = update.where('tenant_id', '=', tenantId);
        const marked = await update.returning(['tenant_id', 'quantity', 'unit_price_paise']).execute();
        const byTenant = new Map<string, { events: number; amountPaise: number }>();
        for (const row of marked) {
          const total = byTenant.get(row.tenant_id) ?? { events: 0, amountPaise: 0 };
          total.events += row.quantity;
          total.amountPaise += row.quantity * row.unit_price_paise;
          byTenant.set(row.tenant_id, total);
        }
        const runs = [...byTenant].map(([tenant, total]) => ({ id: runId, tenantId: tenant, ...total }));
        if (runs.length > 0) {
          await trx
            .insertInto('billing_runs')
            .values(
              runs.map((run) => ({
                id: run.id,
                tenant_id: run.tenantId,
                through,
                events: run.events,
                amount_paise: run.amountPaise,
              })),
            )
            .execute();
        }
        return runs;
      });
    },
  };
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
