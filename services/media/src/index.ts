import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildMediaApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const mediaService: ServiceDefinition = {
  name: 'media',
  title: 'Media Service',
  version,
  schema: 'media',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 3001 },
  buildHttp: (context) => buildMediaApp(context, version),
};
