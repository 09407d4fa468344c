// Child process for bench/account-whoami.ts: `bare` serves a fixed whoami answer on a bare
// Fastify instance; `account` boots the account service (fresh database, the default
// argon2id parameters) and prints its port plus a registered user's access token.
import { writeSync } from 'node:fs';
import { bootService } from '@trustplane/kernel/testkit';
import { accountService } from '@trustplane/account';
import Fastify from 'fastify';

const mode = process.argv[2];
// fd 3 is a pipe to the parent, apart from stdout where the service logs.
const print = (value: Record<string, unknown>) => writeSync(3, `${JSON.stringify(value)}\n`);

if (mode === 'bare') {
  // The same JSON the account service answers (passed by the parent), so both send the same bytes.
  const body = JSON.parse(process.env.BENCH_WHOAMI_BODY ?? '{}');
  const app = Fastify();
  app.get('/api/v1/auth/whoami', async () => body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  print({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('SIGTERM', () => {
    app.close().then(() => process.exit(0));
  });
} else {
  // The per-IP windows would throttle a load generator on one address: lift them for the run.
  const booted = await bootService(accountService, {
    env: {
      ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE: '100000000',
      ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: '100000000',
      ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '100000000',
    },
  });
  const email = 'bench@example.com';
  const password = 'SecurePass123!';
  const registered = await booted.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, display_name: 'Bench' },
  });
  await booted.app.listen({ port: 0, host: '127.0.0.1' });
  const address = booted.app.server.address();
  print({
    port: typeof address === 'object' && address ? address.port : 0,
    token: registered.json().data.access_token,
    email,
    password,
  });
  process.on('SIGTERM', () => {
    booted.close().then(() => process.exit(0));
  });
}
