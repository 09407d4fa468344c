import type pg from 'pg';

/**
 * Waits until every notification of `ids` is delivered, polling every 100 ms. Each poll asks about
 * the oldest 256 not yet seen delivered (attempts are taken roughly in creation order), so the
 * observer costs PostgreSQL a few hundred index lookups per poll rather than one per email
 * (asking about all 5,000 ids ten times a second took about a tenth of PostgreSQL's work).
 */
export async function untilDelivered(pool: pg.Pool, ids: string[]): Promise<void> {
  let next = 0;
  let window: string[] = [];
  while (next < ids.length || window.length > 0) {
    while (window.length < 256 && next < ids.length) window.push(ids[next++]!);
    const { rows } = await pool.query<{ id: string }>(
      "SELECT id FROM notifications WHERE id = ANY($1) AND status = 'delivered'",
      [window],
    );
    const delivered = new Set(rows.map((row) => row.id));
    const before = window.length;
    window = window.filter((id) => !delivered.has(id));
    // A window all delivered: look at the next one at once.
    if (delivered.size < before) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
