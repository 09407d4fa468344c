import { fileURLToPath } from 'node:url';
import { packageVersion } from './package-version.js';
import type { ServiceContext, ServiceDefinition } from './service-definition.js';

/** What a service declares; `defineService` adds what its package already says. */
export type ServiceDeclaration = Omit<ServiceDefinition, 'version' | 'migrationsDir' | 'schema'> & {
  /** PostgreSQL schema the service owns; its name unless given. */
  schema?: string;
};

/**
 * A service's definition from its declaration and its package directory (the one holding its
 * `package.json` and `migrations/`; from `src/index.ts`: `new URL('..', import.meta.url)`): the
 * version is the package's, the migrations its `migrations/`, the schema the service's name.
 */
export function defineService(packageDir: URL, declaration: ServiceDeclaration): ServiceDefinition {
  return {
    version: packageVersion(new URL('package.json', packageDir)),
    migrationsDir: fileURLToPath(new URL('migrations', packageDir)),
    schema: declaration.name,
    ...declaration,
  };
}

/**
 * One composition per context, made on first use: a process may hold several contexts of a
 * service (tests boot it more than once), and every hook of one context (HTTP, jobs, workers,
 * commands) shares that context's instance.
 */
export function perContext<T>(create: (context: ServiceContext) => T): (context: ServiceContext) => T {
  const instances = new WeakMap<ServiceContext, T>();
  return (context) => {
    let instance = instances.get(context);
    if (instance === undefined) {
      instance = create(context);
      instances.set(context, instance);
    }
    return instance;
  };
}
