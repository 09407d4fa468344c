/**
 * Prints the SQL better-auth's migrator would run for backlex's configured plugins on an empty
 * schema, to be committed as a migration (`npx tsx services/backlex/scripts/generate-auth-sql.ts`).
 * better-auth's migrator never runs at runtime: the committed SQL is the schema.
 * A plugin added later: run this against a database migrated up to the previous migration
 * (`--url postgres://…`) and commit what it prints as the next migration of its range.
 */
import { createDatabase } from '@trustplane/kernel';
import { createTestDatabase, stopLocalTestServer } from '@trustplane/kernel/testkit';
import { getMigrations } from 'better-auth/db/migration';
import { createBacklexAuth } from '../src/auth/better-auth.js';
import { createOidcSecretBox } from '../src/sso/client-secret.js';

const urlFlag = process.argv.indexOf('--url');
const scratch = urlFlag === -1 ? await createTestDatabase('backlex_auth_sql') : undefined;
const url = urlFlag === -1 ? (scratch?.url as string) : (process.argv[urlFlag + 1] as string);
const database = createDatabase<unknown>({ url, schema: 'backlex' });
try {
  await database.pool.query('CREATE SCHEMA IF NOT EXISTS backlex');
  const auth = createBacklexAuth({
    db: database.kysely,
    mailer: { send: async () => ({ messageId: '', response: '' }) } as never,
    secret: 'x'.repeat(32),
    baseURL: 'http://localhost:8787',
    trustedOrigins: [],
    // The schema does not depend on the key: a throwaway one.
    oidcSecrets: createOidcSecretBox(Buffer.alloc(32)),
  });
  const { compileMigrations } = await getMigrations(auth.options);
  process.stdout.write(`${await compileMigrations()}\n`);
} finally {
  await database.close();
  await scratch?.drop();
  await stopLocalTestServer();
}
