import dns from 'node:dns';
import path from 'node:path';
import { createRateLimiter, perContext, type ServiceContext } from '@trustplane/kernel';
import { createAuditLog } from './audit/audit.js';
import { createAuditRepository } from './db/audit-repository.js';
import { createProjectDomainRepository } from './db/project-domain-repository.js';
import { createProjectExportRepository } from './db/project-export-repository.js';
import type { BacklexDatabase } from './db/tables.js';
import { backlexEvents } from './events-composition.js';
import { createDomainRouter, listenForDomainRoutes } from './projects/domain-routes.js';
import { createDomains } from './projects/domains.js';
import { createOrgExport } from './projects/org-export.js';
import { backlexProjects } from './projects-composition.js';
import { dnsServersSchema } from './sso/dns-servers.js';
import { backlexUsage } from './usage-composition.js';

/** A DNS lookup of a verification gives up after this long per try (two tries). */
const DNS_TIMEOUT_MS = 3000;

/**
 * Custom domains, the Host-routed data API and org exports (issue 17, h17-domains): one set per
 * context, shared by the HTTP app and the tests. `BACKLEX_DNS_SERVERS` (the same setting the SSO
 * domain check reads) points verification lookups at other resolvers.
 */
export function createBacklexDomains(context: ServiceContext) {
  const database = context.database<BacklexDatabase>();
  const db = database.kysely;
  const projectsArea = backlexProjects(context);
  const events = backlexEvents(context).events;
  const audit = createAuditLog(createAuditRepository(db));
  const domainRepository = createProjectDomainRepository(db);
  const dnsServers = dnsServersSchema.parse(context.env.BACKLEX_DNS_SERVERS);
  const router = createDomainRouter({ lookup: (hostname) => domainRepository.routeOf(hostname) });
  const listener = listenForDomainRoutes(router, database.pool, context.logger);
  context.onClose(() => listener.stop());
  const domains = createDomains({
    projects: projectsArea.repositories.projects,
    domains: domainRepository,
    router,
    audit,
    events,
    transaction: database.transaction,
    resolver: () => {
      const resolver = new dns.promises.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
      if (dnsServers.length > 0) resolver.setServers(dnsServers);
      return resolver;
    },
    platformHost: new URL(context.publicUrl).hostname,
  });
  const orgExport = createOrgExport({
    projects: projectsArea.repositories.projects,
    exports: createProjectExportRepository(db),
    storedObjects: backlexUsage(context).storedObjects,
    databases: projectsArea.databases,
    objects: context.objects,
    limiter: createRateLimiter({
      keyPrefix: 'backlex.exports',
      points: 1,
      durationSeconds: 600,
      store: context.rateLimitStore(),
    }),
    audit,
    events,
    transaction: database.transaction,
    scratchDirectory: path.join(context.config.dataDir, 'backlex', 'export-scratch'),
  });
  return { repositories: { domains: domainRepository }, router, domains, orgExport };
}

export type BacklexDomains = ReturnType<typeof createBacklexDomains>;

export const backlexDomains: (context: ServiceContext) => BacklexDomains = perContext((context) =>
  createBacklexDomains(context),
);
