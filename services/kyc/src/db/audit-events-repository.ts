import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditEventTable, KycDatabase } from './tables.js';

export type AuditEventRow = Selectable<AuditEventTable>;

export interface AuditEventInput {
  sessionId?: string | null;
  organizationId?: string | null;
  eventType: string;
  actorType: 'system' | 'end_user' | 'operator' | 'api_key';
  actorUserId?: string | null;
  payload?: Record<string, unknown> | null;
  rationale?: string | null;
  modelVersions?: Record<string, unknown> | null;
  rawScores?: Record<string, unknown> | null;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  /** `seq` of the first row whose hash or link does not hold. */
  brokenAt: number | null;
}

const json = (value: Record<string, unknown> | null | undefined) =>
  value === undefined || value === null ? null : JSON.stringify(value);

/**
 * Append-only audit trail. The database refuses UPDATE/DELETE/TRUNCATE and a trigger chains
 * every row to the previous one (`hash = sha256(prev_hash | row)`), so an edit made by anyone
 * who bypasses the triggers is detected by `verifyChain`.
 */
export function createAuditEventsRepository(db: Kysely<KycDatabase>) {
  return {
    /** Appends in the repository's transaction when it is bound to one (`repositories.transaction`). */
    async append(event: AuditEventInput): Promise<void> {
      await db
        .insertInto('audit_events')
        .values({
          session_id: event.sessionId ?? null,
          organization_id: event.organizationId ?? null,
          event_type: event.eventType,
          actor_type: event.actorType,
          actor_user_id: event.actorUserId ?? null,
          payload: json(event.payload),
          rationale: event.rationale ?? null,
          model_versions: json(event.modelVersions),
          raw_scores: json(event.rawScores),
        })
        .execute();
    },
    listForSession(sessionId: string): Promise<AuditEventRow[]> {
      return db
        .selectFrom('audit_events')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('seq', 'asc')
        .execute();
    },
    /**
     * One session's events, each checked as `verifyChain` checks every row: its hash covers its
     * content, and its `prev_hash` is the hash of the row before it in the platform-wide chain
     * (which may belong to another tenant: only the comparison's result leaves the database).
     */
    async verifySessionLinks(
      sessionId: string,
    ): Promise<{ id: string; hash: string; prevHash: string; valid: boolean }[]> {
      const { rows } = await sql<{ id: string; hash: string; prev_hash: string; valid: boolean }>`
        SELECT e.id, e.hash, e.prev_hash,
               e.hash = audit_event_digest(e.prev_hash, e)
                 AND e.prev_hash = coalesce(
                   (SELECT p.hash FROM audit_events p WHERE p.seq < e.seq ORDER BY p.seq DESC LIMIT 1),
                   repeat('0', 64)) AS valid
          FROM audit_events e
         WHERE e.session_id = ${sessionId}
         ORDER BY e.seq`.execute(db);
      return rows.map((row) => ({ id: row.id, hash: row.hash, prevHash: row.prev_hash, valid: row.valid }));
    },
    async verifyChain(): Promise<ChainVerification> {
      const { rows } = await sql<{ seq: number; ok: boolean }>`
        SELECT seq,
               hash = audit_event_digest(prev_hash, e)
                 AND prev_hash = coalesce(lag(hash) OVER (ORDER BY seq), repeat('0', 64)) AS ok
          FROM audit_events e
         ORDER BY seq`.execute(db);
      const broken = rows.find((row) => !row.ok);
      return { ok: !broken, checked: rows.length, brokenAt: broken ? Number(broken.seq) : null };
    },
  };
}

export type AuditEventsRepository = ReturnType<typeof createAuditEventsRepository>;
