import {
  type Insertable,
  type Kysely,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
import { isUniqueViolation } from '@trustplane/kernel';
import type { ClaimStatus, ClaimTable, RiskBand, VerifactDatabase } from './tables.js';
import type { TenantRow } from './tenant-repository.js';

export type ClaimRow = Selectable<ClaimTable>;
type Executor = Kysely<VerifactDatabase> | Transaction<VerifactDatabase>;

export class ClaimNumberTakenError extends Error {
  override readonly name = 'ClaimNumberTakenError';
}

export interface ClaimSummaryRow extends ClaimRow {
  surveyor_name: string;
  photo_count: number;
  verified_photos: number;
}

export interface ClaimFilter {
  status?: ClaimStatus;
  surveyorId?: string;
  updatedSince?: Date;
  page: number;
  limit: number;
}

function summaryQuery(db: Executor) {
  return db
    .selectFrom('claims as c')
    .innerJoin('users as u', 'u.id', 'c.surveyor_id')
    .selectAll('c')
    .select([
      'u.name as surveyor_name',
      sql<number>`(select count(*) from photos p where p.claim_id = c.id)::int`.as('photo_count'),
      sql<number>`(select count(*) from photos p where p.claim_id = c.id and p.verify_status = 'verified')::int`.as(
        'verified_photos',
      ),
    ]);
}

export function createClaimRepository(db: Kysely<VerifactDatabase>) {
  return {
    /**
     * Locks the tenant row for the rest of the transaction and hands out its next claim
     * timestamp: strictly later than any before it. Claim writes of one tenant thus commit in
     * `updated_at` order, so a poller passing the highest `updatedAt` it saw never skips one.
     *
     * `FOR NO KEY UPDATE`, not `FOR UPDATE`: it serialises the tenant's claim writes just the
     * same, but leaves the row's key to the foreign keys that reference it. Every counted request
     * logs a row referencing the tenant (`consume_request` → `api_requests`, FK check `FOR KEY
     * SHARE`) while holding its key's counter row: under `FOR UPDATE`, each request of the tenant
     * waited for the claim write in progress, and on a busy instance they queued for seconds, the
     * pool's clients with them (the scale lane's kill test: claims for 10–13 s, the health probe
     * past its 2 s).
     */
    async lockTenantClock(
      trx: Transaction<VerifactDatabase>,
      tenantId: string,
    ): Promise<{ tenant: TenantRow; at: Date }> {
      const tenant = await trx
        .selectFrom('tenants')
        .selectAll()
        .where('id', '=', tenantId)
        .forNoKeyUpdate()
        .executeTakeFirstOrThrow();
      const row = await trx
        .updateTable('tenants')
        .set({
          claims_clock: sql`greatest(date_trunc('milliseconds', clock_timestamp()), claims_clock + interval '1 millisecond')`,
        })
        .where('id', '=', tenantId)
        .returning('claims_clock')
        .executeTakeFirstOrThrow();
      return { tenant, at: row.claims_clock };
    },
    async insert(trx: Transaction<VerifactDatabase>, row: Insertable<ClaimTable>) {
      try {
        return await trx.insertInto('claims').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'claims_tenant_number')) throw new ClaimNumberTakenError();
        throw error;
      }
    },
    byId(executor: Executor, tenantId: string, id: string, lock = false): Promise<ClaimRow | undefined> {
      let query = executor
        .selectFrom('claims')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id);
      if (lock) query = query.forUpdate();
      return query.executeTakeFirst();
    },
    byNumber(tenantId: string, claimNumber: string): Promise<ClaimRow | undefined> {
      return db
        .selectFrom('claims')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('claim_number', '=', claimNumber)
        .executeTakeFirst();
    },
    summary(tenantId: string, id: string): Promise<ClaimSummaryRow | undefined> {
      return summaryQuery(db).where('c.tenant_id', '=', tenantId).where('c.id', '=', id).executeTakeFirst();
    },
    async list(tenantId: string, filter: ClaimFilter): Promise<{ rows: ClaimSummaryRow[]; total: number }> {
      let base = db.selectFrom('claims as c').where('c.tenant_id', '=', tenantId);
      if (filter.status) base = base.where('c.status', '=', filter.status);
      if (filter.surveyorId) base = base.where('c.surveyor_id', '=', filter.surveyorId);
      if (filter.updatedSince) base = base.where('c.updated_at', '>', filter.updatedSince);
      const counted = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      let query = summaryQuery(db).where('c.tenant_id', '=', tenantId);
      if (filter.status) query = query.where('c.status', '=', filter.status);
      if (filter.surveyorId) query = query.where('c.surveyor_id', '=', filter.surveyorId);
      if (filter.updatedSince) query = query.where('c.updated_at', '>', filter.updatedSince);
      const rows = await query
        .orderBy('c.updated_at')
        .orderBy('c.id')
        .limit(filter.limit)
        .offset((filter.page - 1) * filter.limit)
        .execute();
      return { rows, total: Number(counted.total) };
    },
    async update(
      trx: Transaction<VerifactDatabase>,
      tenantId: string,
      id: string,
      changes: Updateable<ClaimTable>,
    ) {
      return trx
        .updateTable('claims')
        .set(changes)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /**
     * Raises a claim's risk to `riskScore` (never lowers it: concurrent triages keep the highest),
     * with the band that goes with the higher score.
     */
    raiseRisk(
      trx: Transaction<VerifactDatabase>,
      tenantId: string,
      id: string,
      risk: { score: number; band: RiskBand },
      changes: Updateable<ClaimTable>,
    ) {
      return trx
        .updateTable('claims')
        .set({
          ...changes,
          risk_score: sql<number>`greatest(coalesce(risk_score, 0), ${risk.score})`,
          risk_band: sql<RiskBand>`case when coalesce(risk_score, 0) > ${risk.score} then risk_band else ${risk.band} end`,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Bumps `updated_at` of claims whose photos changed (under the tenant clock lock). */
    async touch(
      trx: Transaction<VerifactDatabase>,
      tenantId: string,
      ids: string[],
      at: Date,
    ): Promise<void> {
      if (ids.length === 0) return;
      await trx
        .updateTable('claims')
        .set({ updated_at: at })
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', ids)
        .execute();
    },
    /** The surveyor's claims still in the field (`pending`, `under_review`). */
    openForSurveyor(tenantId: string, surveyorId: string): Promise<ClaimRow[]> {
      return db
        .selectFrom('claims')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('surveyor_id', '=', surveyorId)
        .where('status', 'in', ['pending', 'under_review'])
        .orderBy('submitted_at')
        .orderBy('id')
        .execute();
    },
  };
}

export type ClaimRepository = ReturnType<typeof createClaimRepository>;
