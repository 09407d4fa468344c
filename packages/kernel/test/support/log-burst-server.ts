// `npm start` in miniature for the shutdown test: one service through runServices and the
// platform's own logger and signal handlers. Prints its port (as a log line) once listening.
import os from 'node:os';
import path from 'node:path';
import { loadPlatformConfig } from '../../src/config/platform-config.js';
import { installShutdownHandlers, runServices } from '../../src/runtime/run-services.js';
import type { ServiceDefinition } from '../../src/runtime/service-definition.js';

const definition: ServiceDefinition = {
  name: 'logburst',
  title: 'log burst',
  version: '0',
  schema: 'logburst',
  migrationsDir: path.join(os.tmpdir(), 'trustplane-no-migrations'),
  ports: { http: 0 },
  buildHttp: async (context) => {
    const app = await context.createHttpApp({
      title: 'log burst',
      version: '0',
      renderError: (error) => ({ statusCode: error.statusCode, body: { error: error.kind } }),
      docs: false,
    });
    app.get('/ping', async () => ({ ok: true }));
    return app;
  },
};

const config = loadPlatformConfig(process.env);
const running = await runServices([definition], {
  config,
  env: { LOGBURST_PORT: '0' },
  listen: true,
  workers: false,
});
installShutdownHandlers(running, config.shutdownTimeoutMs, (message) =>
  running.platform.logger.info(message),
);
const address = running.services[0]?.http?.server.address();
running.platform.logger.info(
  { port: typeof address === 'object' && address ? address.port : 0 },
  'listening',
);
