import { defineService, type ServiceDefinition } from '@trustplane/kernel';
import { createSigningKeyStore } from './auth/key-store.js';
import { loadAccountConfig } from './config.js';
import { createRepositories } from './db/repositories.js';
import type { AccountDB } from './db/types.js';
import { buildAccountApp } from './http/app.js';
import { PRUNE_QUEUE, pruneJob } from './jobs/prune.js';

export const accountService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'account',
  title: 'Account Service',
  // The 004 document is shared by the platform services; these sections are this one's (PLATFORM.md).
  seed: {
    file: '004_61d7e886695bdff9.txt',
    sections: ['account', 'auth', 'operations', 'organizations', 'service-accounts', 'api-keys'],
  },
  credentialHeaders: ['x-api-key'],
  ports: { http: 8874 },
  buildHttp: (context) => buildAccountApp(context, accountService.version),
  defineJobs(context) {
    context.jobs.define(pruneJob(() => createRepositories(context.database<AccountDB>().kysely)));
  },
  async startWorkers(context) {
    // Workers and the hourly schedule; pg-boss stops them with the platform's job queue.
    await context.jobs.work([PRUNE_QUEUE]);
    return undefined;
  },
  commands: [
    {
      path: ['rotate-key'],
      description:
        'make a new RS256 key sign; the previous key keeps verifying until the tokens it signed expire',
      options: [
        {
          flags: '--revoke-previous',
          description:
            'the previous key stops verifying at once (key compromise: every session must sign in again)',
        },
      ],
      async run(context, options) {
        const config = loadAccountConfig(context.env, context.publicUrl);
        const database = context.database<AccountDB>();
        // Refresh tokens live longest: the old key must verify them until their natural exp.
        const retireAfter =
          options.revokePrevious === true
            ? 0
            : Math.max(config.refreshTokenTtl, config.serviceTokenTtl, config.accessTokenTtl) + 60;
        const rotation = await createSigningKeyStore(
          database.pool,
          context.signingSecret,
          context.logger,
        ).rotate(retireAfter);
        return {
          key_id: rotation.keyId,
          algorithm: 'RS256' as const,
          previous_key_id: rotation.previousKeyId,
          previous_key_verifies_until: rotation.previousKeyVerifiesUntil?.toISOString() ?? null,
        };
      },
    },
  ],
});
