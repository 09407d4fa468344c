import { defineService, type ServiceDefinition } from '@trustplane/kernel';
import { backlexBilling } from './billing-composition.js';
import { backlexEvents } from './events-composition.js';
import { buildBacklexApp } from './http/app.js';
import { backlexProjects } from './projects-composition.js';
import { backlexUsage } from './usage-composition.js';

export { backlexBilling } from './billing-composition.js';
export { backlexEvents } from './events-composition.js';
export { backlexProjects } from './projects-composition.js';
export { backlexUsage } from './usage-composition.js';

export const backlexService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'backlex',
  title: 'backlex Cloud API',
  seed: { file: '003_ed5fbb156ace5f76.txt' },
  ports: { http: 8787 },
  buildHttp: (context) => buildBacklexApp(context, backlexService.version),
  defineJobs(context) {
    // The dispatcher defines its own queue when it is created; the others are defined here.
    const { jobs } = backlexEvents(context);
    context.jobs.define(jobs.fanOut);
    context.jobs.define(jobs.deliverIntegration);
    context.jobs.define(backlexBilling(context).renewalsJob);
    for (const job of backlexProjects(context).jobDefinitions) context.jobs.define(job);
    for (const job of backlexUsage(context).jobDefinitions) context.jobs.define(job);
  },
  async startWorkers(context) {
    const { jobDefinitions } = backlexEvents(context);
    await context.jobs.work([
      ...jobDefinitions,
      backlexBilling(context).renewalsJob,
      ...backlexProjects(context).jobDefinitions,
      ...backlexUsage(context).jobDefinitions,
    ]);
    return undefined;
  },
});
