import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildBiometryApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const biometryService: ServiceDefinition = {
  name: 'biometry',
  title: 'OAuth Biometry Service',
  version,
  schema: 'biometry',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 8000 },
  buildHttp: (context) => buildBiometryApp(context, version),
};
