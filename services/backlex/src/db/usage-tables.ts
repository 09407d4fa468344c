import type { ColumnType } from 'kysely';

/** Usage, stored objects, alarms and enforcement (migrations/0070). */

/** PostgreSQL `bigint` comes back as a string from node-postgres. */
type BigIntColumn = ColumnType<string, number | string | undefined, number | string>;
/** A `date` column: written as `YYYY-MM-DD`, read back as a string (see the pg type parser in usage-repository). */
type DayColumn = ColumnType<string, string, string>;

export type AlarmMetric = 'requests' | 'd1' | 'r2';
export type StoredObjectKind = 'backup' | 'export';

export interface ProjectUsageDailyTable {
  project_id: string;
  day: DayColumn;
  org_id: string;
  requests: BigIntColumn;
  d1_bytes: BigIntColumn;
  r2_bytes: BigIntColumn;
  neurons: BigIntColumn;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ProjectStoredObjectTable {
  kind: StoredObjectKind;
  key: string;
  project_id: string;
  org_id: string;
  size_bytes: BigIntColumn;
  created_at: ColumnType<Date, Date | undefined, Date>;
  deleted_at: Date | null;
}

export interface ProjectAlarmTable {
  id: string;
  project_id: string;
  org_id: string;
  metric: AlarmMetric;
  threshold_pct: number;
  created_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  fired_period_start: Date | null;
  last_fired_at: Date | null;
}

export interface OrgUsageEnforcementTable {
  org_id: string;
  request_throttled: boolean;
  storage_read_only: boolean;
  period_end: Date;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface UsageDatabase {
  project_usage_daily: ProjectUsageDailyTable;
  project_stored_objects: ProjectStoredObjectTable;
  project_alarms: ProjectAlarmTable;
  org_usage_enforcement: OrgUsageEnforcementTable;
}
