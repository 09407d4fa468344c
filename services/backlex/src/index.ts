import { defineService, type ServiceDefinition } from '@trustplane/kernel';
import { buildBacklexApp } from './http/app.js';

export const backlexService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'backlex',
  title: 'backlex Cloud API',
  seed: { file: '003_ed5fbb156ace5f76.txt' },
  ports: { http: 8787 },
  buildHttp: (context) => buildBacklexApp(context, backlexService.version),
});
