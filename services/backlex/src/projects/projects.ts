import slugify from '@sindresorhus/slugify';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { currentPlanOf, type PlanId, planById } from '../billing/plan-catalogue.js';
import { newId } from '../db/ids.js';
import type { ProjectDeployRepository } from '../db/project-deploy-repository.js';
import type { ProjectErrorRepository } from '../db/project-error-repository.js';
import { type ProjectRepository, type ProjectRow, ProjectSlugTakenError } from '../db/project-repository.js';
import type { ProjectEnvironment, ProjectStatus } from '../db/project-tables.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import { nextFreeSlug } from '../orgs/slug.js';
import {
  DEFAULT_REGION,
  type Region,
  type Residency,
  RESIDENCY_REGIONS,
  regionAllowed,
} from '../orgs/regions.js';
import { mintAdminToken } from './admin-token.js';
import type { ProjectAccess } from './project-access.js';
import type { ProjectDatabases } from './project-databases.js';
import {
  DEFAULT_TEMPLATE,
  parseTemplateSpec,
  parseTemplateVersion,
  type TemplateRegistry,
} from './templates.js';

export interface CreateProjectInput {
  name: string;
  region?: Region | undefined;
  dbType?: 'd1' | undefined;
  template?: string | undefined;
}

export interface UpdateProjectInput {
  name?: string | undefined;
  environment?: ProjectEnvironment | undefined;
}

export type UpgradeResult =
  | { status: 'upgraded'; from: string | null; to: string }
  | { status: 'skipped'; from: string | null; to: string; reason: string }
  | { status: 'failed'; from: string | null; to: string; error: string };

export interface ProjectsDeps {
  projects: ProjectRepository;
  deploys: ProjectDeployRepository;
  errors: ProjectErrorRepository;
  templates: TemplateRegistry;
  databases: ProjectDatabases;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** The data API's cached access state: told after each commit that changes a status or token. */
  access: Pick<ProjectAccess, 'changed' | 'invalidate'>;
  /** Sends the provisioning job in the caller's transaction. */
  sendProvision(trx: Transaction<BacklexDatabase>, projectId: string): Promise<void>;
}

const MAX_SLUG = 48;

/** A 422 `VALIDATION` naming one field. */
function invalid(
  path: string,
  location: 'body' | 'querystring',
  message: string,
  extra?: Record<string, unknown>,
) {
  return errors.VALIDATION({ details: { details: [{ path, location, message, ...extra }] } });
}

/** The project slug of a name: ASCII, lowercase, `-`-joined, ≤ 48 characters, `project` when nothing is left. */
export function projectSlugBase(name: string): string {
  let slug = slugify(name, { customReplacements: [['&', ' and ']] })
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, MAX_SLUG);
  while (slug.endsWith('-')) slug = slug.slice(0, -1);
  return slug.length > 0 ? slug : 'project';
}

function actorIdOf(access: OrgAccess): string {
  return access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
}

/**
 * The project lifecycle (issue 17): create (→ provisioning, the job makes it active or failed),
 * rename, pause/resume, provision-retry, token rotation, template upgrades, soft delete. Every write
 * locks the project row, checks its state, and writes its audit row and event in one transaction.
 */
export function createProjects(deps: ProjectsDeps) {
  const { projects } = deps;

  async function audited(
    trx: Transaction<BacklexDatabase>,
    access: OrgAccess,
    project: ProjectRow,
    action: string,
    data?: Record<string, unknown>,
  ) {
    await deps.audit.record(trx, {
      organizationId: access.org.id,
      actor: auditActor(access.principal),
      action,
      target: { type: 'project', id: project.id },
      ip: access.ip,
      data: { slug: project.slug, ...data },
    });
  }

  function eventBase(access: OrgAccess, project: ProjectRow) {
    return { projectId: project.id, projectSlug: project.slug, actorId: actorIdOf(access) };
  }

  async function lockLive(trx: Transaction<BacklexDatabase>, access: OrgAccess, slug: string) {
    const project = await projects.lockLive(trx, access.org.id, slug);
    if (!project) throw errors.NOT_FOUND();
    return project;
  }

  async function findLive(access: OrgAccess, slug: string): Promise<ProjectRow> {
    const project = await projects.findLive(access.org.id, slug);
    if (!project) throw errors.NOT_FOUND();
    return project;
  }

  function requireStatus(project: ProjectRow, allowed: readonly ProjectStatus[], action: string) {
    if (!allowed.includes(project.status))
      throw errors.INVALID_PROJECT_STATE(project.status, allowed, action);
  }

  /** A state change with its audit row and event, `from` one of `allowed`. */
  async function transition(
    access: OrgAccess,
    slug: string,
    action: 'pause' | 'resume',
    allowed: ProjectStatus,
    next: ProjectStatus,
  ): Promise<ProjectRow> {
    const changed = await deps.transaction(async (trx) => {
      const project = await lockLive(trx, access, slug);
      requireStatus(project, [allowed], action);
      const updated = await projects.update(trx, project.id, { status: next });
      const event = action === 'pause' ? 'project.paused' : 'project.resumed';
      await audited(trx, access, updated, event);
      await deps.events.publish(trx, access.org.id, event, eventBase(access, updated));
      return updated;
    });
    await deps.access.changed(changed.id);
    return changed;
  }

  /**
   * Billing's plan-change hook: after a downgrade, the org's projects beyond the new plan's limit
   * are paused (the oldest keep running), in the plan change's own transaction. Paused projects
   * stay readable in the console and resume once the plan allows them.
   */
  async function pauseOverPlanLimit(
    trx: Transaction<BacklexDatabase>,
    change: { organizationId: string; to: PlanId },
  ): Promise<void> {
    await projects.lockOrgProjects(trx, change.organizationId);
    const live = await projects.lockLiveOfOrg(trx, change.organizationId);
    const limit = planById(change.to).projects;
    for (const project of live.slice(limit)) {
      if (project.status !== 'active') continue;
      const paused = await projects.update(trx, project.id, { status: 'paused' });
      // Billing's transaction: read from PostgreSQL until its commit's NOTIFY arrives.
      deps.access.invalidate(paused.id);
      await deps.audit.record(trx, {
        organizationId: change.organizationId,
        actor: { type: 'system', id: null, label: 'billing' },
        action: 'project.paused',
        target: { type: 'project', id: paused.id },
        data: { slug: paused.slug, reason: 'plan_limit', planId: change.to, limit },
      });
      await deps.events.publish(trx, change.organizationId, 'project.paused', {
        projectId: paused.id,
        projectSlug: paused.slug,
        actorId: null,
      });
    }
  }

  return {
    list: (access: OrgAccess) => projects.list(access.org.id),
    pauseOverPlanLimit,

    async get(access: OrgAccess, slug: string) {
      const project = await findLive(access, slug);
      const latest = deps.templates.latest(project.template);
      return { project, latestTemplateVersion: latest === undefined ? null : String(latest) };
    },

    async create(
      access: OrgAccess,
      input: CreateProjectInput,
    ): Promise<{ project: ProjectRow; adminToken: string }> {
      const residency = access.org.residency as Residency;
      const region = input.region ?? (access.org.defaultRegion as Region) ?? DEFAULT_REGION[residency];
      if (!regionAllowed(residency, region)) {
        throw invalid('region', 'body', `outside the org's ${residency} residency`, {
          allowed: RESIDENCY_REGIONS[residency],
        });
      }
      const spec = parseTemplateSpec(input.template ?? DEFAULT_TEMPLATE);
      const template = spec ? deps.templates.get(spec.name) : undefined;
      if (!spec || !template) {
        throw invalid('template', 'body', 'unknown template', { available: deps.templates.names() });
      }
      const version = spec.version ?? (deps.templates.latest(spec.name) as number);
      if (!template.versions.some((entry) => entry.version === version)) {
        throw invalid('template', 'body', `${spec.name} has no version ${version}`);
      }
      const { token, hash } = mintAdminToken();
      const project = await deps.transaction(async (trx) => {
        await projects.lockOrgProjects(trx, access.org.id);
        const plan = await currentPlanOf(trx, access.org.id);
        if (!plan) throw errors.NOT_FOUND();
        if ((await projects.countLive(trx, access.org.id)) >= plan.projects) {
          throw errors.PLAN_LIMIT('projects', plan.projects, plan.id);
        }
        const base = projectSlugBase(input.name);
        const slug = nextFreeSlug(base, await projects.liveSlugsLike(trx, access.org.id, base));
        let created: ProjectRow;
        try {
          created = await projects.insert(trx, {
            id: newId('prj'),
            org_id: access.org.id,
            slug,
            name: input.name,
            status: 'provisioning',
            environment: 'production',
            region,
            db_type: 'd1',
            template: spec.name,
            template_target_version: version,
            admin_token_hash: hash,
            created_by: actorIdOf(access),
          });
        } catch (error) {
          // Serialized per org by the lock above; a collision here is a bug, not a client error.
          if (error instanceof ProjectSlugTakenError)
            throw new Error(`project slug ${slug} taken under the lock`);
          throw error;
        }
        await audited(trx, access, created, 'project.created', {
          region,
          template: `${spec.name}@${version}`,
        });
        await deps.events.publish(trx, access.org.id, 'project.created', {
          ...eventBase(access, created),
          name: created.name,
          region,
        });
        await deps.sendProvision(trx, created.id);
        return created;
      });
      return { project, adminToken: token };
    },

    async update(access: OrgAccess, slug: string, input: UpdateProjectInput): Promise<ProjectRow> {
      return deps.transaction(async (trx) => {
        const project = await lockLive(trx, access, slug);
        const changed = (['name', 'environment'] as const).filter(
          (field) => input[field] !== undefined && input[field] !== project[field],
        );
        if (changed.length === 0) return project;
        const updated = await projects.update(trx, project.id, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.environment !== undefined ? { environment: input.environment } : {}),
        });
        await audited(trx, access, updated, 'project.updated', { changed });
        await deps.events.publish(trx, access.org.id, 'project.updated', {
          ...eventBase(access, updated),
          changed,
        });
        return updated;
      });
    },

    /** Soft delete: hidden at once, slug free, files purged after the grace period by the purge job. */
    async remove(access: OrgAccess, slug: string): Promise<void> {
      const deleted = await deps.transaction(async (trx) => {
        const project = await lockLive(trx, access, slug);
        const deleted = await projects.update(trx, project.id, { status: 'deleted', deleted_at: new Date() });
        await audited(trx, access, deleted, 'project.deleted');
        await deps.events.publish(trx, access.org.id, 'project.deleted', eventBase(access, deleted));
        return deleted;
      });
      await deps.access.changed(deleted.id);
    },

    pause: (access: OrgAccess, slug: string) => transition(access, slug, 'pause', 'active', 'paused'),
    resume: (access: OrgAccess, slug: string) => transition(access, slug, 'resume', 'paused', 'active'),

    /** Back to `provisioning` with a new job; only a `failed` project. */
    async provisionRetry(access: OrgAccess, slug: string): Promise<ProjectRow> {
      return deps.transaction(async (trx) => {
        const project = await lockLive(trx, access, slug);
        requireStatus(project, ['failed'], 'provision-retry');
        const updated = await projects.update(trx, project.id, {
          status: 'provisioning',
          provision_error: null,
        });
        await audited(trx, access, updated, 'project.provision_retried');
        await deps.sendProvision(trx, updated.id);
        return updated;
      });
    },

    /** A new admin token; the old one stops opening the data API when this commits. */
    async reprovisionAdmin(
      access: OrgAccess,
      slug: string,
    ): Promise<{ project: ProjectRow; adminToken: string }> {
      const { token, hash } = mintAdminToken();
      const project = await deps.transaction(async (trx) => {
        const project = await lockLive(trx, access, slug);
        const updated = await projects.update(trx, project.id, { admin_token_hash: hash });
        await audited(trx, access, updated, 'project.admin_token_rotated');
        await deps.events.publish(
          trx,
          access.org.id,
          'project.admin_token_rotated',
          eventBase(access, updated),
        );
        return updated;
      });
      // The old token is refused from the next request on, on every instance.
      await deps.access.changed(project.id);
      return { project, adminToken: token };
    },

    /**
     * Applies the template's migrations (current, target] in one SQLite transaction, under the
     * project row's lock. A failing statement rolls the whole upgrade back (`failed` + `error`).
     */
    async upgrade(access: OrgAccess, slug: string, versionParam: string | undefined): Promise<UpgradeResult> {
      return deps.transaction(async (trx) => {
        const project = await lockLive(trx, access, slug);
        const template = deps.templates.get(project.template);
        let target: number | undefined;
        if (versionParam === undefined) {
          target = deps.templates.latest(project.template);
        } else {
          target = parseTemplateVersion(versionParam);
          if (target === undefined) throw invalid('version', 'querystring', 'a positive integer');
        }
        if (
          !template ||
          target === undefined ||
          !template.versions.some((entry) => entry.version === target)
        ) {
          throw invalid(
            'version',
            'querystring',
            `${project.template} has no version ${versionParam ?? 'in the registry'}`,
          );
        }
        requireStatus(project, ['active'], 'upgrade');
        const current = project.template_version ?? 0;
        const from = project.template_version === null ? null : String(project.template_version);
        const to = String(target);
        if (target <= current) {
          return {
            status: 'skipped',
            from,
            to,
            reason:
              target === current
                ? `already at version ${current}`
                : `version ${target} is older than the applied version ${current}; templates only move forward`,
          };
        }
        const statements = deps.templates
          .migrations(project.template, current, target)
          .map((sql) => ({ sql }));
        let failure: string | undefined;
        try {
          await deps.databases.execute(project.id, { statements, transaction: true });
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
        }
        const deploy = {
          project_id: project.id,
          kind: 'upgrade' as const,
          template: project.template,
          from_version: project.template_version,
          to_version: target,
          actor_id: actorIdOf(access),
        };
        if (failure !== undefined) {
          await deps.deploys.record(trx, { ...deploy, status: 'failed', error: failure });
          await audited(trx, access, project, 'project.upgrade_failed', { from, to, error: failure });
          return { status: 'failed', from, to, error: failure };
        }
        const upgraded = await projects.update(trx, project.id, { template_version: target });
        await deps.deploys.record(trx, { ...deploy, status: 'succeeded' });
        await audited(trx, access, upgraded, 'project.upgraded', { from, to });
        await deps.events.publish(trx, access.org.id, 'project.upgraded', {
          ...eventBase(access, upgraded),
          from: current,
          to: target,
        });
        return { status: 'upgraded', from, to };
      });
    },

    async deploys(access: OrgAccess, slug: string) {
      const project = await findLive(access, slug);
      return deps.deploys.list(project.id, 100);
    },

    /** The data-API failure groups of the project (and its branches), most recent first. */
    async errors(access: OrgAccess, slug: string) {
      const project = await findLive(access, slug);
      return deps.errors.list(project.id, 100);
    },
  };
}

export type Projects = ReturnType<typeof createProjects>;
