import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ProjectExportTable } from './domain-tables.js';
import type { BacklexDatabase } from './tables.js';

export type ExportRow = Selectable<ProjectExportTable>;

/** `project_exports` (migrations/0065): one row per project dump of an org export. */
export function createProjectExportRepository(db: Kysely<BacklexDatabase>) {
  return {
    async insert(trx: Transaction<BacklexDatabase>, rows: Insertable<ProjectExportTable>[]): Promise<void> {
      if (rows.length > 0) await trx.insertInto('project_exports').values(rows).execute();
    },
    listOfExport(exportId: string): Promise<ExportRow[]> {
      return db
        .selectFrom('project_exports')
        .selectAll()
        .where('export_id', '=', exportId)
        .orderBy('id')
        .execute();
    },
  };
}

export type ProjectExportRepository = ReturnType<typeof createProjectExportRepository>;
