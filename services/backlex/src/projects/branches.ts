import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { currentPlanOf } from '../billing/plan-catalogue.js';
import { newId } from '../db/ids.js';
import {
  type BranchRow,
  BranchTakenError,
  type ProjectBranchRepository,
} from '../db/project-branch-repository.js';
import type { ProjectDeployRepository } from '../db/project-deploy-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { ProjectAccess } from './project-access.js';
import type { ProjectDatabases } from './project-databases.js';

export interface BranchInput {
  name: string;
  prNumber?: number | null | undefined;
}

export interface BranchesDeps {
  projects: ProjectRepository;
  branches: ProjectBranchRepository;
  deploys: ProjectDeployRepository;
  databases: ProjectDatabases;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** The data API's cached access state: told after each commit that adds or removes a branch. */
  access: Pick<ProjectAccess, 'changed'>;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

/** A DNS label (RFC 1123), lowercase: it names the branch's data API path and, later, its host name. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function invalidName() {
  return errors.VALIDATION({
    details: {
      details: [
        {
          path: 'name',
          location: 'body',
          message:
            'a DNS label: 1–63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
        },
      ],
    },
  });
}

/**
 * Branches (issue 17): a checkpointed copy of the project's file with its own data API; writes to
 * one never reach the other. Names and PR numbers are unique among a project's live branches;
 * the plan caps live branches per project. Deleting a branch removes its file at once.
 */
export function createBranches(deps: BranchesDeps) {
  async function project(
    access: OrgAccess,
    slug: string,
    trx?: Transaction<BacklexDatabase>,
  ): Promise<ProjectRow> {
    const found = trx
      ? await deps.projects.lockLive(trx, access.org.id, slug)
      : await deps.projects.findLive(access.org.id, slug);
    if (!found) throw errors.NOT_FOUND();
    return found;
  }

  return {
    async list(access: OrgAccess, slug: string): Promise<{ project: ProjectRow; branches: BranchRow[] }> {
      const found = await project(access, slug);
      return { project: found, branches: await deps.branches.listLive(found.id) };
    },

    async create(
      access: OrgAccess,
      slug: string,
      input: BranchInput,
    ): Promise<{ project: ProjectRow; branch: BranchRow }> {
      if (!DNS_LABEL.test(input.name)) throw invalidName();
      let cloned: string | undefined;
      try {
        const created = await deps.transaction(async (trx) => {
          const parent = await project(access, slug, trx);
          if (parent.status !== 'active') {
            throw errors.INVALID_PROJECT_STATE(parent.status, ['active'], 'creating a branch');
          }
          const plan = await currentPlanOf(trx, access.org.id);
          if (!plan) throw errors.NOT_FOUND();
          const live = await deps.branches.listLive(parent.id, trx);
          if (live.length >= plan.branchesPerProject) {
            throw errors.PLAN_LIMIT('branches', plan.branchesPerProject, plan.id);
          }
          if (live.some((branch) => branch.name === input.name)) throw errors.BRANCH_NAME_TAKEN();
          const prNumber = input.prNumber ?? null;
          if (prNumber !== null && live.some((branch) => branch.pr_number === prNumber)) {
            throw errors.PR_NUMBER_TAKEN();
          }
          const actorId = access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
          let branch: BranchRow;
          try {
            branch = await deps.branches.insert(trx, {
              id: newId('brn'),
              project_id: parent.id,
              name: input.name,
              pr_number: prNumber,
              status: 'active',
              created_by: actorId,
            });
          } catch (error) {
            if (error instanceof BranchTakenError) {
              throw error.field === 'name' ? errors.BRANCH_NAME_TAKEN() : errors.PR_NUMBER_TAKEN();
            }
            throw error;
          }
          await deps.databases.clone(parent.id, branch.id);
          cloned = branch.id;
          const sizeBytes = await deps.databases.sizeBytes(branch.id);
          await deps.branches.setSize(branch.id, sizeBytes, trx);
          branch = { ...branch, size_bytes: String(sizeBytes) };
          await deps.deploys.record(trx, {
            project_id: parent.id,
            branch_id: branch.id,
            kind: 'provision',
            status: 'succeeded',
            template: parent.template,
            from_version: null,
            to_version: parent.template_version,
            actor_id: actorId,
          });
          await deps.audit.record(trx, {
            organizationId: access.org.id,
            actor: auditActor(access.principal),
            action: 'branch.created',
            target: { type: 'branch', id: branch.id },
            ip: access.ip,
            data: { project: parent.slug, name: branch.name, prNumber },
          });
          await deps.events.publish(trx, access.org.id, 'branch.created', {
            projectId: parent.id,
            projectSlug: parent.slug,
            actorId,
            branchId: branch.id,
            name: branch.name,
          });
          return { project: parent, branch };
        });
        // Its data API answers from the next request on, on every instance.
        await deps.access.changed(created.project.id);
        return created;
      } catch (error) {
        // The row never committed: its file must not stay behind.
        if (cloned) {
          await deps.databases.remove(cloned).catch((removal: unknown) =>
            deps.logWarning('backlex: could not remove the file of a branch that was not created', {
              branchId: cloned,
              error: String(removal),
            }),
          );
        }
        throw error;
      }
    },

    async remove(access: OrgAccess, slug: string, id: string): Promise<void> {
      const removed = await deps.transaction(async (trx) => {
        const parent = await project(access, slug, trx);
        const branch = await deps.branches.lockLiveById(trx, parent.id, id);
        if (!branch) throw errors.NOT_FOUND();
        await deps.branches.markDeleted(trx, branch.id, new Date());
        const actorId = access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'branch.deleted',
          target: { type: 'branch', id: branch.id },
          ip: access.ip,
          data: { project: parent.slug, name: branch.name },
        });
        await deps.events.publish(trx, access.org.id, 'branch.deleted', {
          projectId: parent.id,
          projectSlug: parent.slug,
          actorId,
          branchId: branch.id,
          name: branch.name,
        });
        return branch;
      });
      // No instance routes to the branch any more before its file goes.
      await deps.access.changed(removed.project_id);
      await deps.databases.remove(removed.id);
    },
  };
}

export type Branches = ReturnType<typeof createBranches>;
