// Child process for bench/backlex.ts: boots backlex (LOG_LEVEL from argv[2]) on a fresh database of
// the parent's embedded PostgreSQL, makes an org with a few members, a pending invitation and an
// API key through HTTP (sign-up through the mail sink, as tests do), then serves two apps sharing
// the service's pool: backlex itself and a bare Fastify route running the members list's two
// statements (`createMemberRepository`) and answering the same JSON (`memberListView`). Sends ports and credentials.
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { createMemberRepository } from '../../services/backlex/src/db/member-repository.js';
import type { BacklexDatabase } from '../../services/backlex/src/db/tables.js';
import { buildBacklexApp } from '../../services/backlex/src/http/app.js';
import { memberListView } from '../../services/backlex/src/members/members.js';
import { BacklexHarness } from '../../services/backlex/test/support/backlex.js';

const level = process.argv[2] ?? 'info';
let signIn: (() => Promise<string>) | undefined;
process.on('message', (message) => {
  if ((message as { cpu?: boolean }).cpu) {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  }
  // A fresh session (its 60 s cache cookie included) before each cookie round, as a browser keeps it.
  if ((message as { cookie?: boolean }).cookie && signIn) {
    signIn().then((cookie) => process.send?.({ cookie }));
  }
});
const portOf = (address: ReturnType<import('node:net').Server['address']>) =>
  typeof address === 'object' && address ? address.port : 0;

const h = await BacklexHarness.boot({ env: { LOG_LEVEL: level } });
const org = await h.org();
signIn = () => h.signIn(org.owner);
for (const role of ['admin', 'developer', 'viewer'] as const) await h.member(org, role);
await h.invite(org, 'pending@example.com', 'viewer');
const created = await h.inject({
  method: 'POST',
  url: `/api/org/${org.slug}/api-keys`,
  as: org.owner,
  payload: { name: 'bench', scope: 'read-only' },
});
const key = created.json().key.secret as string;

// The same service on the same context and pool, its per-caller limit raised so the bench is not
// refused (the limiter still runs on every request).
const { context } = h.service.booted;
const app = await buildBacklexApp(context, 'bench', { requestsPerMinute: 1_000_000_000 });
await app.listen({ port: 0, host: '127.0.0.1' });

const members = createMemberRepository(context.database<BacklexDatabase>().kysely as Kysely<BacklexDatabase>);
const bare = Fastify();
bare.get('/members', async () => {
  const [rows, invitations] = await Promise.all([
    members.listMembers(org.id),
    members.listPendingInvitations(org.id),
  ]);
  return { members: memberListView(rows, invitations) };
});
await bare.listen({ port: 0, host: '127.0.0.1' });

process.send?.({
  backlexPort: portOf(app.server.address()),
  barePort: portOf(bare.server.address()),
  slug: org.slug,
  cookie: org.owner.cookie,
  ip: org.owner.ip,
  key,
});
process.on('SIGTERM', () => {
  Promise.all([app.close(), bare.close()])
    .then(() => h.close())
    .then(() => process.exit(0));
});
