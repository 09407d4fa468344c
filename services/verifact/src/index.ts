import { defineService, perContext, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { verifactCommands } from './commands.js';
import { createVerifact, type VerifactDeps } from './composition.js';
import { buildVerifactApp } from './http/app.js';

export const verifactDeps: (context: ServiceContext) => VerifactDeps = perContext((context) =>
  createVerifact(context, verifactService.version),
);

export const verifactService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'verifact',
  title: 'Verifact Enterprise API',
  seed: { file: '002_9410134b0ec9a44c.txt' },
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
});

export { createVerifact, type VerifactDeps, type VerifactOverrides } from './composition.js';
export { buildVerifactApp } from './http/app.js';
