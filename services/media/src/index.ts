import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { composeMedia } from './composition.js';
import { loadMediaSettings, type MediaSettings } from './config.js';
import { buildMediaApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));
const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The media service. Settings come from the environment when the service is built (never at
 * import); tests pass overrides instead of mutating `process.env`.
 */
export function createMediaService(overrides: Partial<MediaSettings> = {}): ServiceDefinition {
  const settingsFor = () => ({ ...loadMediaSettings(process.env), ...overrides });
  const compose = (context: ServiceContext) => composeMedia(context, settingsFor());
  return {
    name: 'media',
    title: 'Media Service',
    version,
    // The 004 document is shared by the platform services; these sections are this one's (PLATFORM.md).
    seed: {
      file: '004_61d7e886695bdff9.txt',
      sections: ['folders', 'health', 'media', 'recent', 'shared-links', 'starred', 'upload'],
    },
    credentialHeaders: ['x-share-password'],
    schema: 'media',
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    ports: { http: 3001 },
    buildHttp: async (context) => {
      const deps = compose(context);
      // Tokens account has revoked (logout, session revoke, password change…) are refused here too.
      await context.revocations.start();
      // Leftovers of uploads a crash cut short, at every boot and then periodically.
      await deps.sweeper.sweep();
      const every = Math.max(1000, Math.min(deps.settings.orphanGraceMs, MAX_SWEEP_INTERVAL_MS));
      const timer = setInterval(() => {
        deps.sweeper
          .sweep()
          .catch((error: unknown) => context.logger.warn({ err: error }, 'orphan sweep failed'));
      }, every);
      timer.unref();
      context.onClose(async () => clearInterval(timer));
      return buildMediaApp(context, version, deps);
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
  };
}

export const mediaService: ServiceDefinition = createMediaService();
export type { MediaSettings } from './config.js';
