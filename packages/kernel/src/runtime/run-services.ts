import type { FastifyInstance } from 'fastify';
import { type PlatformConfig, resolvePorts } from '../config/platform-config.js';
import { Platform } from './platform.js';
import type { ServiceContext, ServiceDefinition, Stoppable } from './service-definition.js';

export interface RunningService {
  definition: ServiceDefinition;
  context: ServiceContext;
  ports: Record<string, number>;
  http?: FastifyInstance;
  listeners?: Stoppable;
  workers?: Stoppable;
}

export interface RunningPlatform {
  platform: Platform;
  services: RunningService[];
  /** Idempotent graceful stop: listeners drain, workers finish, pools close, PostgreSQL stops. */
  stop(): Promise<void>;
}

export interface RunOptions {
  config: PlatformConfig;
  /** Where the listeners' ports are read (`<SERVICE>_PORT`); the config's environment when absent. */
  env?: NodeJS.ProcessEnv;
  /** Serve HTTP/gRPC listeners. */
  listen: boolean;
  /** Run background workers in this process. */
  workers: boolean;
}

/** Boots the given services in one process: `trustplane start` and `trustplane worker` both end here. */
export async function runServices(
  definitions: ServiceDefinition[],
  options: RunOptions,
): Promise<RunningPlatform> {
  const platform = await Platform.open({
    config: options.config,
    role: options.listen ? 'server' : 'worker',
  });
  const services: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Phase 1: stop accepting and drain in-flight requests.
      await Promise.allSettled(services.map((service) => service.http?.close()));
      await Promise.allSettled(services.map((service) => service.listeners?.stop()));
      // Phase 2: background work, then pools and the database server.
      await Promise.allSettled(services.map((service) => service.workers?.stop()));
      await platform.close();
    })();
    return stopping;
  };
  try {
    await platform.migrate(definitions);
    for (const definition of definitions) {
      const ports = resolvePorts(definition.name, definition.ports, options.env ?? options.config.env);
      const context = platform.createContext(definition, ports.http!);
      definition.defineJobs?.(context);
      // Leftovers of uploads cut short by a crash; an hour is far above the longest upload.
      if (options.listen && context.objects.kind === 'local')
        await context.objects.sweepStaging(60 * 60 * 1000);
      services.push({ definition, context, ports });
    }
    if (options.listen) {
      for (const service of services) {
        service.http = await service.definition.buildHttp(service.context);
        await service.http.listen({ port: service.ports.http!, host: options.config.host });
        if (service.definition.startListeners) {
          service.listeners = await service.definition.startListeners(service.context, service.ports);
        }
      }
    }
    if (options.workers) {
      await platform.startBackground();
      for (const service of services) {
        service.workers = await service.definition.startWorkers?.(service.context);
      }
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { platform, services, stop };
}

/**
 * SIGINT/SIGTERM start a graceful stop bounded by `timeoutMs`; a second signal, or the
 * timeout, forces the exit. Installed before the services start (pass the start's promise): a
 * signal during start-up stops what has started once it is up, instead of Node's default exit,
 * which would leave the embedded PostgreSQL running and the queued log lines unwritten.
 */
export function installShutdownHandlers(
  running: RunningPlatform | Promise<RunningPlatform>,
  timeoutMs: number,
  log: (message: string) => void,
): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log(`${signal} again: forcing exit`);
      process.exit(130);
    }
    signalled = true;
    log(`${signal}: shutting down (send again to force)`);
    const timer = setTimeout(() => {
      log(`shutdown took longer than ${timeoutMs} ms: forcing exit`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    Promise.resolve(running)
      .then((platform) => platform.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log(`shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
