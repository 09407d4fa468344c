import { z } from 'zod';
import type { BackupRow } from '../db/project-backup-repository.js';

/** The `Backup` object (open in the seed; fields fixed in the README). */
export const backupSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  kind: z.enum(['manual', 'auto']),
  status: z.enum(['pending', 'completed', 'failed']),
  sizeBytes: z.number().int().nullable().describe('Bytes of the stored copy; null until completed.'),
  sha256: z.string().nullable().describe('Hex SHA-256 of the stored copy; null until completed.'),
  error: z.string().nullable().describe('Why it failed (status `failed`).'),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  restoredAt: z.string().nullable().describe('The last time this backup was restored.'),
});

export function backupView(row: BackupRow): z.infer<typeof backupSchema> {
  return {
    id: row.id,
    projectId: row.project_id,
    kind: row.kind,
    status: row.status,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    restoredAt: row.restored_at?.toISOString() ?? null,
  };
}
