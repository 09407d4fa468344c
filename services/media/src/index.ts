import { defineService, perContext, type ServiceDefinition } from '@trustplane/kernel';
import { composeMedia } from './composition.js';
import { loadMediaSettings, type MediaSettings } from './config.js';
import { buildMediaApp } from './http/app.js';

/**
 * The media service. Settings come from the environment the platform was booted with
 * (`context.env`) when the service is composed; tests boot with an env or pass overrides.
 */
export function createMediaService(overrides: Partial<MediaSettings> = {}): ServiceDefinition {
  const compose = perContext((context) =>
    composeMedia(context, { ...loadMediaSettings(context.env), ...overrides }),
  );
  const definition: ServiceDefinition = defineService(new URL('..', import.meta.url), {
    name: 'media',
    title: 'Media Service',
    // The 004 document is shared by the platform services; these sections are this one's (PLATFORM.md).
    seed: {
      file: '004_61d7e886695bdff9.txt',
      sections: ['folders', 'health', 'media', 'recent', 'shared-links', 'starred', 'upload'],
    },
    credentialHeaders: ['x-share-password'],
    ports: { http: 3001 },
    buildHttp: async (context) => {
      const deps = compose(context);
      // Tokens account has revoked (logout, session revoke, password change…) are refused here too.
      await context.revocations.start();
      return buildMediaApp(context, definition.version, deps);
    },
    defineJobs(context) {
      const { jobs } = compose(context);
      context.jobs.define(jobs.deleteBlobs);
      context.jobs.define(jobs.sweepOrphans);
    },
    async startWorkers(context) {
      const deps = compose(context);
      // Leftovers of uploads a crash cut short: at every start of the workers, then on schedule.
      await deps.sweeper.sweep();
      await context.jobs.work([deps.jobs.deleteBlobs, deps.jobs.sweepOrphans]);
      return undefined;
    },
    commands: [
      {
        path: ['sweep'],
        description: 'Remove staged files and blobs left behind by interrupted uploads',
        run: async (context) => ({ ...(await compose(context).sweeper.sweep()) }),
      },
      {
        path: ['quota', 'set'],
        description: "Set one user's storage quota in bytes",
        options: [
          { flags: '--owner <account-id>', description: 'Account id (JWT sub)', required: true },
          { flags: '--max-bytes <bytes>', description: 'New quota in bytes', required: true },
        ],
        run: async (context, options) => {
          const maxBytes = Number(options.maxBytes);
          if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
            throw new Error('--max-bytes must be a non-negative integer');
          const owner = String(options.owner);
          const usage = await compose(context).media.setQuota(owner, maxBytes);
          return { quota: { owner_id: owner, used_bytes: usage.usedBytes, max_bytes: usage.maxBytes } };
        },
      },
    ],
  });
  return definition;
}

export const mediaService: ServiceDefinition = createMediaService();
export type { MediaSettings } from './config.js';
