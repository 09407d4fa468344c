import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { loadMediaSettings, type MediaSettings } from './config.js';
import { buildMediaApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

/**
 * The media service. Settings come from the environment when the service is built (never at
 * import); tests pass overrides instead of mutating `process.env`.
 */
export function createMediaService(overrides: Partial<MediaSettings> = {}): ServiceDefinition {
  return {
    name: 'media',
    title: 'Media Service',
    version,
    schema: 'media',
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    ports: { http: 3001 },
    buildHttp: async (context) => {
      const settings = { ...loadMediaSettings(process.env), ...overrides };
      // `trustplane start` sweeps staging too; this covers every other way the service is booted.
      if (context.objects.kind === 'local') await context.objects.sweepStaging(60 * 60 * 1000);
      return buildMediaApp(context, version, settings);
    },
  };
}

export const mediaService: ServiceDefinition = createMediaService();
export type { MediaSettings } from './config.js';
