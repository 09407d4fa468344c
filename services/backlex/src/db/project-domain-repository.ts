import { isUniqueViolation } from '@trustplane/kernel';
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { ProjectDomainTable } from './domain-tables.js';
import type { BacklexDatabase } from './tables.js';

export type DomainRow = Selectable<ProjectDomainTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/** The project already has this hostname (the unique index said so). */
export class DomainExistsError extends Error {
  override readonly name = 'DomainExistsError';
}

/** `project_domains` (migrations/0065). */
export function createProjectDomainRepository(db: Kysely<BacklexDatabase>) {
  return {
    /** Serializes every change deciding who holds `hostname` until the transaction ends. */
    async lockHostname(trx: Transaction<BacklexDatabase>, hostname: string): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`backlex.domain:${hostname}`}, 0))`.execute(
        trx,
      );
    },
    listOfProject(projectId: string, executor: Executor = db): Promise<DomainRow[]> {
      return executor
        .selectFrom('project_domains')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    lockById(
      trx: Transaction<BacklexDatabase>,
      projectId: string,
      id: string,
    ): Promise<DomainRow | undefined> {
      return trx
        .selectFrom('project_domains')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    /** The live project (other than `exceptProjectId`) that verified `hostname`, if any. */
    async verifiedElsewhere(
      executor: Executor,
      hostname: string,
      exceptProjectId: string,
    ): Promise<{ projectId: string } | undefined> {
      const row = await executor
        .selectFrom('project_domains as d')
        .innerJoin('projects as p', 'p.id', 'd.project_id')
        .select('d.project_id')
        .where('d.hostname', '=', hostname)
        .where('d.status', '=', 'verified')
        .where('p.status', '<>', 'deleted')
        .where('d.project_id', '<>', exceptProjectId)
        .executeTakeFirst();
      return row ? { projectId: row.project_id } : undefined;
    },
    /** Where a verified hostname routes: its live project's id. */
    async routeOf(hostname: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('project_domains as d')
        .innerJoin('projects as p', 'p.id', 'd.project_id')
        .select('d.project_id')
        .where('d.hostname', '=', hostname)
        .where('d.status', '=', 'verified')
        .where('p.status', '<>', 'deleted')
        .orderBy('d.verified_at')
        .executeTakeFirst();
      return row?.project_id;
    },
    async insert(trx: Transaction<BacklexDatabase>, row: Insertable<ProjectDomainTable>): Promise<DomainRow> {
      try {
        return await trx.insertInto('project_domains').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new DomainExistsError(row.hostname);
        throw error;
      }
    },
    async recordCheck(
      trx: Transaction<BacklexDatabase>,
      id: string,
      outcome: { verified: true; at: Date } | { verified: false; at: Date; error: string },
    ): Promise<DomainRow> {
      return trx
        .updateTable('project_domains')
        .set(
          outcome.verified
            ? { status: 'verified', verified_at: outcome.at, last_checked_at: outcome.at, last_error: null }
            : { last_checked_at: outcome.at, last_error: outcome.error },
        )
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async remove(trx: Transaction<BacklexDatabase>, id: string): Promise<void> {
      await trx.deleteFrom('project_domains').where('id', '=', id).execute();
    },
  };
}

export type ProjectDomainRepository = ReturnType<typeof createProjectDomainRepository>;
