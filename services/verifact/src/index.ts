import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { verifactCommands } from './commands.js';
import { createVerifact, type VerifactDeps } from './composition.js';
import { buildVerifactApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

// One composition per context (a process may hold several contexts in tests).
const instances = new WeakMap<ServiceContext, VerifactDeps>();
export function verifactDeps(context: ServiceContext): VerifactDeps {
  let instance = instances.get(context);
  if (!instance) {
    instance = createVerifact(context, version);
    instances.set(context, instance);
  }
  return instance;
}

export const verifactService: ServiceDefinition = {
  name: 'verifact',
  title: 'Verifact Enterprise API',
  version,
  seed: { file: '002_9410134b0ec9a44c.txt' },
  schema: 'verifact',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 3002 },
  buildHttp: (context) => buildVerifactApp(verifactDeps(context)),
  defineJobs(context) {
    const { jobs } = verifactDeps(context);
    context.jobs.define(jobs.pruneRequestLog);
    context.jobs.define(jobs.welcomeMail);
  },
  async startWorkers(context) {
    const { jobs } = verifactDeps(context);
    // Workers and the prune's schedule; pg-boss stops them with the platform's job queue.
    await context.jobs.work([jobs.pruneRequestLog, jobs.welcomeMail]);
    return undefined;
  },
  commands: verifactCommands(verifactDeps),
};

export { createVerifact, type VerifactDeps, type VerifactOverrides } from './composition.js';
export { buildVerifactApp } from './http/app.js';
