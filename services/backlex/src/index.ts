import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildBacklexApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const backlexService: ServiceDefinition = {
  name: 'backlex',
  title: 'backlex Cloud API',
  version,
  seed: { file: '003_ed5fbb156ace5f76.txt' },
  schema: 'backlex',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 8787 },
  buildHttp: (context) => buildBacklexApp(context, version),
};
