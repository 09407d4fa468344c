import { isUniqueViolation } from '@trustplane/kernel';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { BacklexDatabase } from './tables.js';
import type { AlarmMetric, ProjectAlarmTable, StoredObjectKind } from './usage-tables.js';

type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;
export type AlarmRow = Selectable<ProjectAlarmTable>;

/** Channel every process LISTENs on for a changed `org_usage_enforcement` row (payload: the org id). */
export const ENFORCEMENT_CHANNEL = 'backlex_usage_enforcement';

/** Rows per statement of a flush (a few parameters each, far below PostgreSQL's 65,535). */
const BATCH = 500;

/** The same metric and threshold already exists on the project. */
export class AlarmTakenError extends Error {
  override readonly name = 'AlarmTakenError';
}

export interface RequestCount {
  projectId: string;
  orgId: string;
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  requests: number;
}

export interface GaugeSample {
  projectId: string;
  orgId: string;
  day: string;
  d1Bytes: number;
  r2Bytes: number;
}

/** Usage of one project over a range of days: requests summed, gauges at their newest sample. */
export interface ProjectPeriodUsage {
  projectId: string;
  requests: number;
  d1: number;
  r2: number;
  neurons: number;
}

export interface DailyUsageRow {
  projectId: string;
  day: string;
  requests: number;
  d1: number;
  r2: number;
  neurons: number;
}

export interface EnforcementState {
  requestThrottled: boolean;
  storageReadOnly: boolean;
  periodEnd: Date;
}

const byKey = (a: { projectId: string; day: string }, b: { projectId: string; day: string }) =>
  a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : 0;

/**
 * `project_usage_daily`, `project_stored_objects`, `project_alarms`, `org_usage_enforcement`
 * (migrations/0070). Days are `YYYY-MM-DD` strings (UTC) both ways: `date` columns are read as
 * `day::text`, never through the driver's local-time Date.
 */
export function createUsageRepository(db: Kysely<BacklexDatabase>) {
  return {
    /**
     * Adds request counts, one statement per batch of rows. Rows are sorted by (project, day), so
     * two processes flushing at once lock them in the same order (no deadlock).
     */
    async addRequests(counts: RequestCount[]): Promise<void> {
      const sorted = [...counts].sort(byKey);
      for (let start = 0; start < sorted.length; start += BATCH) {
        const batch = sorted.slice(start, start + BATCH);
        await db
          .insertInto('project_usage_daily')
          .values(
            batch.map((count) => ({
              project_id: count.projectId,
              day: count.day,
              org_id: count.orgId,
              requests: count.requests,
            })),
          )
          .onConflict((conflict) =>
            conflict.columns(['project_id', 'day']).doUpdateSet({
              requests: sql`project_usage_daily.requests + excluded.requests`,
              updated_at: sql`now()`,
            }),
          )
          .execute();
      }
    },

    /** Sets the day's d1 and r2 samples (gauges: the newest sample of the day wins). */
    async setGauges(samples: GaugeSample[]): Promise<void> {
      const sorted = [...samples].sort(byKey);
      for (let start = 0; start < sorted.length; start += BATCH) {
        const batch = sorted.slice(start, start + BATCH);
        await db
          .insertInto('project_usage_daily')
          .values(
            batch.map((sample) => ({
              project_id: sample.projectId,
              day: sample.day,
              org_id: sample.orgId,
              d1_bytes: sample.d1Bytes,
              r2_bytes: sample.r2Bytes,
            })),
          )
          .onConflict((conflict) =>
            conflict.columns(['project_id', 'day']).doUpdateSet({
              d1_bytes: sql`excluded.d1_bytes`,
              r2_bytes: sql`excluded.r2_bytes`,
              updated_at: sql`now()`,
            }),
          )
          .execute();
      }
    },

    /**
     * Per project of the org, over days [from, to): requests and neurons summed, d1 and r2 at
     * the newest day sampled.
     */
    async periodUsage(orgId: string, from: string, to: string): Promise<ProjectPeriodUsage[]> {
      const rows = await db
        .selectFrom('project_usage_daily')
        .select([
          'project_id',
          sql<string>`sum(requests)`.as('requests'),
          sql<string>`sum(neurons)`.as('neurons'),
          sql<string>`(array_agg(d1_bytes ORDER BY day DESC))[1]`.as('d1'),
          sql<string>`(array_agg(r2_bytes ORDER BY day DESC))[1]`.as('r2'),
        ])
        .where('org_id', '=', orgId)
        .where('day', '>=', from)
        .where('day', '<', to)
        .groupBy('project_id')
        .execute();
      return rows.map((row) => ({
        projectId: row.project_id,
        requests: Number(row.requests),
        neurons: Number(row.neurons),
        d1: Number(row.d1),
        r2: Number(row.r2),
      }));
    },

    /** Every row of the org over days [from, to], oldest first. */
    async daily(orgId: string, from: string, to: string): Promise<DailyUsageRow[]> {
      const rows = await db
        .selectFrom('project_usage_daily')
        .select([
          'project_id',
          sql<string>`day::text`.as('day'),
          'requests',
          'd1_bytes',
          'r2_bytes',
          'neurons',
        ])
        .where('org_id', '=', orgId)
        .where('day', '>=', from)
        .where('day', '<=', to)
        .orderBy('day')
        .orderBy('project_id')
        .execute();
      return rows.map((row) => ({
        projectId: row.project_id,
        day: row.day,
        requests: Number(row.requests),
        d1: Number(row.d1_bytes),
        r2: Number(row.r2_bytes),
        neurons: Number(row.neurons),
      }));
    },

    /** Projects of the org (deleted ones too) by id: what history and usage name them by. */
    projectsOfOrg(orgId: string, ids?: readonly string[]) {
      let query = db
        .selectFrom('projects')
        .select(['id', 'slug', 'name', 'status', 'created_at', 'deleted_at'])
        .where('org_id', '=', orgId);
      if (ids) {
        if (ids.length === 0) return Promise.resolve([]);
        query = query.where('id', 'in', ids);
      }
      return query.orderBy('created_at').orderBy('id').execute();
    },

    /** Projects with a file that can be sampled (not deleted), with their live branches. */
    async sampleTargets(projectIds?: readonly string[]) {
      let query = db.selectFrom('projects').select(['id', 'org_id']).where('status', '<>', 'deleted');
      if (projectIds) {
        if (projectIds.length === 0) return [];
        query = query.where('id', 'in', projectIds);
      }
      const projects = await query.execute();
      if (projects.length === 0) return [];
      const branches = await db
        .selectFrom('project_branches')
        .select(['id', 'project_id'])
        .where('status', '=', 'active')
        .where(
          'project_id',
          'in',
          projects.map((project) => project.id),
        )
        .execute();
      return projects.map((project) => ({
        projectId: project.id,
        orgId: project.org_id,
        branchIds: branches.filter((branch) => branch.project_id === project.id).map((branch) => branch.id),
      }));
    },

    // ── stored objects (r2)

    async recordStoredObject(
      executor: Executor,
      object: { kind: StoredObjectKind; key: string; projectId: string; sizeBytes: number; at?: Date },
    ): Promise<void> {
      const at = object.at ?? new Date();
      await executor
        .insertInto('project_stored_objects')
        .columns(['kind', 'key', 'project_id', 'org_id', 'size_bytes', 'created_at'])
        .expression((eb) =>
          eb
            .selectFrom('projects')
            .select([
              sql.lit(object.kind).as('kind'),
              sql`${object.key}::text`.as('key'),
              'id',
              'org_id',
              sql`${object.sizeBytes}::bigint`.as('size_bytes'),
              sql`${at}::timestamptz`.as('created_at'),
            ])
            .where('id', '=', object.projectId),
        )
        .onConflict((conflict) =>
          conflict
            .columns(['kind', 'key'])
            .doUpdateSet({ size_bytes: sql`excluded.size_bytes`, deleted_at: null }),
        )
        .execute();
    },

    async forgetStoredObject(
      executor: Executor,
      object: { kind: StoredObjectKind; key: string; at?: Date },
    ): Promise<string | undefined> {
      const row = await executor
        .updateTable('project_stored_objects')
        .set({ deleted_at: object.at ?? new Date() })
        .where('kind', '=', object.kind)
        .where('key', '=', object.key)
        .where('deleted_at', 'is', null)
        .returning('project_id')
        .executeTakeFirst();
      return row?.project_id;
    },

    /** Bytes stored per project at some moment of the UTC day `day` (`YYYY-MM-DD`). */
    async objectBytesByProject(day: string, projectIds?: readonly string[]): Promise<Map<string, number>> {
      const start = new Date(`${day}T00:00:00.000Z`);
      const end = new Date(start.getTime() + 86_400_000);
      let query = db
        .selectFrom('project_stored_objects')
        .select(['project_id', sql<string>`sum(size_bytes)`.as('bytes')])
        .where('created_at', '<', end)
        .where((eb) => eb.or([eb('deleted_at', 'is', null), eb('deleted_at', '>=', start)]));
      if (projectIds) {
        if (projectIds.length === 0) return new Map();
        query = query.where('project_id', 'in', projectIds);
      }
      const rows = await query.groupBy('project_id').execute();
      return new Map(rows.map((row) => [row.project_id, Number(row.bytes)]));
    },

    // ── alarms

    async insertAlarm(
      trx: Transaction<BacklexDatabase>,
      row: {
        id: string;
        projectId: string;
        orgId: string;
        metric: AlarmMetric;
        thresholdPct: number;
        createdBy: string;
      },
    ): Promise<AlarmRow> {
      try {
        return await trx
          .insertInto('project_alarms')
          .values({
            id: row.id,
            project_id: row.projectId,
            org_id: row.orgId,
            metric: row.metric,
            threshold_pct: row.thresholdPct,
            created_by: row.createdBy,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new AlarmTakenError();
        throw error;
      }
    },

    listAlarms(projectId: string): Promise<AlarmRow[]> {
      return db
        .selectFrom('project_alarms')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    deleteAlarm(
      trx: Transaction<BacklexDatabase>,
      projectId: string,
      id: string,
    ): Promise<AlarmRow | undefined> {
      return trx
        .deleteFrom('project_alarms')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /** Alarms of the org's live projects, with the project's slug. */
    alarmsOfOrg(orgId: string) {
      return db
        .selectFrom('project_alarms')
        .innerJoin('projects', 'projects.id', 'project_alarms.project_id')
        .selectAll('project_alarms')
        .select('projects.slug as project_slug')
        .where('project_alarms.org_id', '=', orgId)
        .where('projects.status', '<>', 'deleted')
        .execute();
    },

    /**
     * Marks the alarm fired for the period starting at `periodStart`, unless it already fired in
     * it: true when this call claimed it (then the caller publishes `alarm.fired` in `trx`).
     */
    async claimAlarm(
      trx: Transaction<BacklexDatabase>,
      id: string,
      periodStart: Date,
      at: Date,
    ): Promise<boolean> {
      const row = await trx
        .updateTable('project_alarms')
        .set({ fired_period_start: periodStart, last_fired_at: at })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('fired_period_start', 'is', null), eb('fired_period_start', '<>', periodStart)]),
        )
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    // ── enforcement

    /**
     * Writes the org's state; when it differs from the stored one, NOTIFYs every process in the
     * same statement (delivered on commit).
     */
    async saveEnforcement(orgId: string, state: EnforcementState): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`backlex.usage-enforcement:${orgId}`}, 0))`.execute(
          trx,
        );
        const previous = await trx
          .selectFrom('org_usage_enforcement')
          .selectAll()
          .where('org_id', '=', orgId)
          .executeTakeFirst();
        const changed =
          !previous ||
          previous.request_throttled !== state.requestThrottled ||
          previous.storage_read_only !== state.storageReadOnly ||
          previous.period_end.getTime() !== state.periodEnd.getTime();
        if (!changed) return false;
        await trx
          .insertInto('org_usage_enforcement')
          .values({
            org_id: orgId,
            request_throttled: state.requestThrottled,
            storage_read_only: state.storageReadOnly,
            period_end: state.periodEnd,
          })
          .onConflict((conflict) =>
            conflict.column('org_id').doUpdateSet({
              request_throttled: state.requestThrottled,
              storage_read_only: state.storageReadOnly,
              period_end: state.periodEnd,
              updated_at: new Date(),
            }),
          )
          .execute();
        await sql`SELECT pg_notify(${ENFORCEMENT_CHANNEL}, ${orgId})`.execute(trx);
        return true;
      });
    },

    async enforcementOf(orgId: string): Promise<EnforcementState | undefined> {
      const row = await db
        .selectFrom('org_usage_enforcement')
        .selectAll()
        .where('org_id', '=', orgId)
        .executeTakeFirst();
      return row
        ? {
            requestThrottled: row.request_throttled,
            storageReadOnly: row.storage_read_only,
            periodEnd: row.period_end,
          }
        : undefined;
    },

    /** Orgs with a restriction in force at `now` (what a process loads when it starts). */
    async restrictedOrgs(now: Date): Promise<(EnforcementState & { orgId: string })[]> {
      const rows = await db
        .selectFrom('org_usage_enforcement')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('storage_read_only', '=', true),
            eb.and([eb('request_throttled', '=', true), eb('period_end', '>', now)]),
          ]),
        )
        .execute();
      return rows.map((row) => ({
        orgId: row.org_id,
        requestThrottled: row.request_throttled,
        storageReadOnly: row.storage_read_only,
        periodEnd: row.period_end,
      }));
    },
  };
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
