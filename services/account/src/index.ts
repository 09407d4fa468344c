import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildAccountApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const accountService: ServiceDefinition = {
  name: 'account',
  title: 'Account Service',
  version,
  schema: 'account',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 8874 },
  buildHttp: (context) => buildAccountApp(context, version),
};
