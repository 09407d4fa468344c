import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildVerifactApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const verifactService: ServiceDefinition = {
  name: 'verifact',
  title: 'Verifact Enterprise API',
  version,
  schema: 'verifact',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 3002 },
  buildHttp: (context) => buildVerifactApp(context, version),
};
