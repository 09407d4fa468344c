import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { verifactCommands } from './commands.js';
import { createVerifact, type VerifactDeps } from './composition.js';
import { buildVerifactApp } from './http/app.js';
import {
  PRUNE_REQUEST_LOG_QUEUE,
  PRUNE_REQUEST_LOG_SCHEDULE,
  pruneRequestLogJob,
} from './jobs/prune-request-log.js';
import { WELCOME_MAIL_QUEUE, welcomeMailJob } from './jobs/welcome-mail.js';

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
  schema: 'verifact',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 3002 },
  buildHttp: (context) => buildVerifactApp(verifactDeps(context)),
  defineJobs(context) {
    context.jobs.define(pruneRequestLogJob(context));
    context.jobs.define(welcomeMailJob(context, () => verifactDeps(context).users));
  },
  async startWorkers(context) {
    await context.jobs.work([PRUNE_REQUEST_LOG_QUEUE, WELCOME_MAIL_QUEUE]);
    await context.jobs.boss.schedule(PRUNE_REQUEST_LOG_QUEUE, PRUNE_REQUEST_LOG_SCHEDULE, { version: 1 });
    // pg-boss stops its workers with the platform's job queue.
    return undefined;
  },
  commands: verifactCommands(verifactDeps),
};

export { createVerifact, type VerifactDeps, type VerifactOverrides } from './composition.js';
export { buildVerifactApp } from './http/app.js';
