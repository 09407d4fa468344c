import { type Kysely, sql } from 'kysely';
import type { EventsDatabase } from './events-tables.js';

/**
 * Recipients of notifications: the user ids of an org's members holding one of `roles`, read
 * from better-auth's `member` table (identity migrations). better-auth may store several roles
 * comma-separated in one member's `role`.
 */
export function createMemberRecipientsRepository() {
  return async (
    transaction: Kysely<EventsDatabase>,
    orgId: string,
    roles: readonly string[],
  ): Promise<string[]> => {
    const { rows } = await sql<{ userId: string }>`
      SELECT DISTINCT "userId" FROM member
       WHERE "organizationId" = ${orgId}
         AND string_to_array(role, ',') && ${sql.val([...roles])}::text[]`.execute(transaction);
    return rows.map((row) => row.userId);
  };
}
