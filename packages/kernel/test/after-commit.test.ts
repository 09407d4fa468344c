import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { afterCommit, createDatabase, createPool, type Database } from '../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

// `afterCommit` holds an in-memory effect until the transaction's writes are visible to every other
// connection: what a background sampler reads when the hook marks something for it.
describe('afterCommit', () => {
  let database: TestDatabase;
  let db: Database<unknown>;
  let other: ReturnType<typeof createPool>;

  before(async () => {
    database = await createTestDatabase('after_commit');
    db = createDatabase({ url: database.url, schema: 'public' });
    other = createPool({ url: database.url, schema: 'public', max: 1 });
    await db.pool.query('CREATE TABLE marks (id int PRIMARY KEY)');
  });
  after(async () => {
    await other.end();
    await db.close();
    await database.drop();
  });

  const seenElsewhere = async (id: number) =>
    (await other.query('SELECT 1 FROM marks WHERE id = $1', [id])).rowCount === 1;

  test('in a transaction: runs after the commit, when another connection sees the row', async () => {
    const seen: boolean[] = [];
    await db.transaction(async (trx) => {
      await sql`INSERT INTO marks VALUES (1)`.execute(trx);
      afterCommit(trx, () => {
        seen.push(true);
      });
      // Not yet: the row is not committed, so a reader elsewhere would miss it.
      assert.deepEqual(seen, []);
      assert.equal(await seenElsewhere(1), false);
    });
    assert.deepEqual(seen, [true]);
    assert.equal(await seenElsewhere(1), true);
  });

  test('a rolled-back transaction runs none of its hooks', async () => {
    let ran = false;
    await assert.rejects(
      db.transaction(async (trx) => {
        await sql`INSERT INTO marks VALUES (2)`.execute(trx);
        afterCommit(trx, () => {
          ran = true;
        });
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(ran, false);
    assert.equal(await seenElsewhere(2), false);
  });

  test('outside a transaction (the pool: each statement commits by itself): at once', async () => {
    let ran = false;
    await sql`INSERT INTO marks VALUES (3)`.execute(db.kysely);
    afterCommit(db.kysely, () => {
      ran = true;
    });
    assert.equal(ran, true);
  });
});
