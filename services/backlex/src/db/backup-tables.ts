import type { ColumnType } from 'kysely';

/** Backups of project files (migrations/0061). */
export type BackupKind = 'manual' | 'auto';
export type BackupStatus = 'pending' | 'completed' | 'failed';

export interface ProjectBackupTable {
  id: string;
  project_id: string;
  kind: BackupKind;
  status: BackupStatus;
  object_key: string;
  /** PostgreSQL `bigint` comes back as a string from node-postgres. */
  size_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  sha256: string | null;
  error: string | null;
  created_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  completed_at: Date | null;
  restored_at: Date | null;
}

export interface BackupsDatabase {
  project_backups: ProjectBackupTable;
}
