import { defineService, perContext, type ServiceDefinition } from '@trustplane/kernel';
import { buildBiometryApp } from './http/app.js';
import { createBiometry } from './service.js';

const biometry = perContext((context) => createBiometry(context, biometryService.version));

export const biometryService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'biometry',
  title: 'OAuth Biometry Service',
  seed: { file: '001_62ff2170cf155301.txt' },
  credentialHeaders: ['x-service-api-key'],
  ports: { http: 8000 },
  buildHttp: (context) => buildBiometryApp(biometry(context).deps),
  defineJobs: (context) => biometry(context).defineJobs(),
  startWorkers: (context) => biometry(context).startWorkers(),
  commands: [
    {
      path: ['key', 'create'],
      description:
        'Mint a service API key (X-Service-API-Key) and the secret its callbacks are signed with; both are shown once.',
      options: [{ flags: '--name <name>', description: 'who the key is for', required: true }],
      async run(context, options) {
        const created = await biometry(context).keys.create(String(options.name ?? ''));
        return { key: created.key, callbackSecret: created.callbackSecret };
      },
      format: (result) => `${result.key}\ncallback secret: ${result.callbackSecret}\n`,
    },
    {
      path: ['key', 'rotate-callback-secret'],
      description:
        'Replace the callback signing secret of a key (also gives one to keys minted before they existed); shown once.',
      options: [
        { flags: '--id <id>', description: 'key id (key_…) or display prefix (bio_…)', required: true },
      ],
      async run(context, options) {
        const rotated = await biometry(context).keys.rotateCallbackSecret(String(options.id ?? ''));
        return { id: rotated.id, callbackSecret: rotated.callbackSecret };
      },
      format: (result) => `callback secret: ${result.callbackSecret}\n`,
    },
    {
      path: ['key', 'list'],
      description: 'List service API keys (never their values).',
      async run(context) {
        const keys = await biometry(context).keys.list();
        return {
          keys: keys.map((key) => ({
            id: key.id,
            name: key.name,
            prefix: key.displayPrefix,
            created_at: key.createdAt.toISOString(),
            revoked_at: key.revokedAt ? key.revokedAt.toISOString() : null,
            callback_secret: key.hasCallbackSecret ? 'sealed' : 'legacy',
          })),
        };
      },
    },
    {
      path: ['key', 'revoke'],
      description: 'Revoke a service API key by id or display prefix (a prefix two keys share is refused).',
      options: [
        { flags: '--id <id>', description: 'key id (key_…) or display prefix (bio_…)', required: true },
      ],
      async run(context, options) {
        const revoked = await biometry(context).keys.revoke(String(options.id ?? ''));
        if (revoked.length === 0) throw new Error(`no single active key matches ${String(options.id)}`);
        return { revoked };
      },
    },
  ],
});
