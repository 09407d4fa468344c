import type { Transaction } from 'kysely';
import type { OrgAccess } from '../auth/principal.js';
import { type Plan, planById, type UsageType, USAGE_TYPES } from '../billing/plan-catalogue.js';
import type {
  AlarmRow,
  EnforcementState,
  ProjectPeriodUsage,
  UsageRepository,
} from '../db/usage-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { FlushedUsage } from './usage-gate.js';

const DAY_MS = 86_400_000;
/** Days `GET …/usage/history` covers, today included. */
export const HISTORY_DAYS = 90;

/** `YYYY-MM-DD` of the UTC day holding `at`. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC days of a period: from the day it starts (inclusive) to the day it ends (exclusive). */
export function periodDays(period: { start: Date; end: Date }): { from: string; to: string } {
  return { from: dayOf(period.start), to: dayOf(period.end) };
}

/** Percent of `allowance` that `used` is, two decimals, rounded down (100 only when reached). */
export function percentOf(used: number, allowance: number): number {
  if (allowance <= 0) return used > 0 ? 100 : 0;
  return Math.floor((used / allowance) * 10_000) / 100;
}

export interface UsageDeps {
  repository: UsageRepository;
  /** The org's plan id (`organization.planId`); undefined for an unknown org. */
  planIdOf(orgId: string): Promise<string | undefined>;
  /** Billing's view at its clock: now, the current period and the packs' units. */
  allowance(orgId: string): Promise<{
    now: Date;
    period: { start: Date; end: Date };
    topups: Record<UsageType, number>;
  }>;
  /** Bytes of a database file and its WAL (0 when it has no file). */
  sizeBytes(databaseId: string): Promise<number>;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** A state computed here, applied to this process's gate at once (the NOTIFY reaches the others). */
  applyEnforcement(orgId: string, state: EnforcementState): void;
  now(): Date;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

/** An org's standing in its current period: the basis of `/usage`, enforcement and alarms. */
export interface OrgPeriodUsage {
  plan: Plan;
  now: Date;
  period: { start: Date; end: Date };
  topups: Record<UsageType, number>;
  allowance: Record<UsageType, number>;
  used: Record<UsageType, number>;
  projects: (ProjectPeriodUsage & { slug: string; name: string; deleted: boolean })[];
  enforcement: { requestThrottled: boolean; storageReadOnly: boolean };
}

const UNITS: Record<UsageType, 'requests' | 'bytes' | 'neurons'> = {
  requests: 'requests',
  d1: 'bytes',
  r2: 'bytes',
  neurons: 'neurons',
};

/**
 * Usage (issue 17): the period view, the 90-day history, the samplers of d1 and r2, and the
 * evaluation that follows each flush: enforcement per org and alarms.
 *
 * Rules: `requests` (and `neurons`) are counters summed over the period's days, deleted projects
 * included (their requests were served); `d1` and `r2` are gauges: a project's newest sample in
 * the period, counted for live projects only (a deleted project's files and objects are on their
 * way out). Over the request allowance (used ≥ allowance) → throttled until the period ends;
 * over the d1 allowance (used > allowance) → storage read-only until it is back under.
 */
export function createUsage(deps: UsageDeps) {
  async function periodUsage(orgId: string, planId?: string): Promise<OrgPeriodUsage | undefined> {
    const storedPlan = planId ?? (await deps.planIdOf(orgId));
    if (storedPlan === undefined) return undefined;
    const plan = planById(storedPlan);
    const { now, period, topups } = await deps.allowance(orgId);
    const { from, to } = periodDays(period);
    const rows = await deps.repository.periodUsage(orgId, from, to);
    const named = await deps.repository.projectsOfOrg(
      orgId,
      rows.map((row) => row.projectId),
    );
    const byId = new Map(named.map((project) => [project.id, project]));
    const allowance = Object.fromEntries(
      USAGE_TYPES.map((type) => [type, plan.allowances[type] + topups[type]]),
    ) as Record<UsageType, number>;
    const used: Record<UsageType, number> = { requests: 0, d1: 0, r2: 0, neurons: 0 };
    const projects: OrgPeriodUsage['projects'] = [];
    for (const row of rows) {
      const project = byId.get(row.projectId);
      const deleted = !project || project.status === 'deleted';
      const entry = {
        ...row,
        d1: deleted ? 0 : row.d1,
        r2: deleted ? 0 : row.r2,
        slug: project?.slug ?? '',
        name: project?.name ?? '',
        deleted,
      };
      projects.push(entry);
      used.requests += entry.requests;
      used.neurons += entry.neurons;
      used.d1 += entry.d1;
      used.r2 += entry.r2;
    }
    projects.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
    return {
      plan,
      now,
      period,
      topups,
      allowance,
      used,
      projects,
      enforcement: {
        requestThrottled: used.requests >= allowance.requests,
        storageReadOnly: used.d1 > allowance.d1,
      },
    };
  }

  /** Saves the org's enforcement state and fires its alarms that are due. */
  async function evaluate(orgId: string): Promise<void> {
    const usage = await periodUsage(orgId);
    if (!usage) return;
    const state: EnforcementState = { ...usage.enforcement, periodEnd: usage.period.end };
    await deps.repository.saveEnforcement(orgId, state);
    deps.applyEnforcement(orgId, state);
    const alarms = await deps.repository.alarmsOfOrg(orgId);
    if (alarms.length === 0) return;
    const byProject = new Map(usage.projects.map((project) => [project.projectId, project]));
    for (const alarm of alarms) {
      const project = byProject.get(alarm.project_id);
      const usedPct = percentOf(project ? project[alarm.metric] : 0, usage.allowance[alarm.metric]);
      if (usedPct < alarm.threshold_pct) continue;
      if (alarm.fired_period_start?.getTime() === usage.period.start.getTime()) continue;
      await deps.transaction(async (trx) => {
        if (!(await deps.repository.claimAlarm(trx, alarm.id, usage.period.start, usage.now))) return;
        await deps.events.publish(trx, orgId, 'alarm.fired', {
          alarmId: alarm.id,
          projectId: alarm.project_id,
          projectSlug: alarm.project_slug,
          metric: alarm.metric,
          thresholdPercent: alarm.threshold_pct,
          usedPercent: usedPct,
          period: `${dayOf(usage.period.start)}/${dayOf(usage.period.end)}`,
        });
      });
    }
  }

  async function evaluateAll(orgIds: Iterable<string>): Promise<void> {
    for (const orgId of new Set(orgIds)) {
      try {
        await evaluate(orgId);
      } catch (error) {
        deps.logWarning('backlex usage: evaluation failed', { orgId, error: String(error) });
      }
    }
  }

  /**
   * Samples d1 (the project's file and its live branches' files) and r2 (its stored objects) into
   * today's row; every live project when `projectIds` is omitted. Returns the orgs sampled.
   */
  async function sample(projectIds?: readonly string[]): Promise<Set<string>> {
    const targets = await deps.repository.sampleTargets(projectIds);
    const day = dayOf(deps.now());
    const objects = await deps.repository.objectBytesByProject(
      day,
      targets.map((target) => target.projectId),
    );
    const samples = [];
    for (const target of targets) {
      let d1 = 0;
      for (const id of [target.projectId, ...target.branchIds]) {
        d1 += await deps.sizeBytes(id).catch(() => 0);
      }
      samples.push({
        projectId: target.projectId,
        orgId: target.orgId,
        day,
        d1Bytes: d1,
        r2Bytes: objects.get(target.projectId) ?? 0,
      });
    }
    await deps.repository.setGauges(samples);
    return new Set(targets.map((target) => target.orgId));
  }

  function alarmView(alarm: AlarmRow, usage: OrgPeriodUsage | undefined) {
    const project = usage?.projects.find((entry) => entry.projectId === alarm.project_id);
    return {
      id: alarm.id,
      projectId: alarm.project_id,
      metric: alarm.metric,
      thresholdPct: alarm.threshold_pct,
      usedPct: usage ? percentOf(project ? project[alarm.metric] : 0, usage.allowance[alarm.metric]) : 0,
      firedThisPeriod:
        usage !== undefined && alarm.fired_period_start?.getTime() === usage.period.start.getTime(),
      lastFiredAt: alarm.last_fired_at?.toISOString() ?? null,
      createdAt: alarm.created_at.toISOString(),
    };
  }

  return {
    periodUsage,
    evaluate,
    evaluateAll,
    sample,
    alarmView,

    /** After a flush: resample what changed, then evaluate the orgs concerned. */
    async afterFlush(flushed: FlushedUsage): Promise<void> {
      const orgIds = new Set([...flushed.orgIds, ...flushed.restrictedOrgIds]);
      if (flushed.changedProjectIds.size > 0) {
        for (const orgId of await sample([...flushed.changedProjectIds])) orgIds.add(orgId);
      }
      await evaluateAll(orgIds);
    },

    /** The hourly job: every live project sampled (so every day has its row), every org evaluated. */
    async sampleAndEvaluateAll(): Promise<{ orgs: number }> {
      const orgIds = await sample();
      await evaluateAll(orgIds);
      return { orgs: orgIds.size };
    },

    /** `GET /org/{slug}/usage`. */
    async view(access: OrgAccess) {
      const usage = await periodUsage(access.org.id, access.org.planId);
      if (!usage) throw new Error('the org has no plan');
      return {
        plan: usage.plan.id,
        period: { start: usage.period.start.toISOString(), end: usage.period.end.toISOString() },
        metrics: USAGE_TYPES.map((metric) => ({
          metric,
          unit: UNITS[metric],
          used: usage.used[metric],
          included: usage.plan.allowances[metric],
          topups: usage.topups[metric],
          allowance: usage.allowance[metric],
          usedPct: percentOf(usage.used[metric], usage.allowance[metric]),
        })),
        projects: usage.projects.map((project) => ({
          projectId: project.projectId,
          slug: project.slug,
          name: project.name,
          deleted: project.deleted,
          requests: project.requests,
          d1: project.d1,
          r2: project.r2,
          neurons: project.neurons,
        })),
        enforcement: usage.enforcement,
      };
    },

    /** `GET /org/{slug}/usage/history`: the last 90 UTC days, today included, deleted projects too. */
    async history(access: OrgAccess) {
      const today = dayOf(deps.now());
      const from = dayOf(new Date(Date.parse(`${today}T00:00:00.000Z`) - (HISTORY_DAYS - 1) * DAY_MS));
      const rows = await deps.repository.daily(access.org.id, from, today);
      const projects = await deps.repository.projectsOfOrg(access.org.id, [
        ...new Set(rows.map((row) => row.projectId)),
      ]);
      const byDay = new Map<string, typeof rows>();
      for (const row of rows) {
        const list = byDay.get(row.day);
        if (list) list.push(row);
        else byDay.set(row.day, [row]);
      }
      const days = [];
      for (let index = 0; index < HISTORY_DAYS; index += 1) {
        const day = dayOf(new Date(Date.parse(`${from}T00:00:00.000Z`) + index * DAY_MS));
        const entries = byDay.get(day) ?? [];
        days.push({
          day,
          requests: entries.reduce((sum, entry) => sum + entry.requests, 0),
          d1: entries.reduce((sum, entry) => sum + entry.d1, 0),
          r2: entries.reduce((sum, entry) => sum + entry.r2, 0),
          neurons: entries.reduce((sum, entry) => sum + entry.neurons, 0),
          projects: entries.map((entry) => ({
            projectId: entry.projectId,
            requests: entry.requests,
            d1: entry.d1,
            r2: entry.r2,
            neurons: entry.neurons,
          })),
        });
      }
      return {
        from,
        to: today,
        days,
        projects: projects.map((project) => ({
          id: project.id,
          slug: project.slug,
          name: project.name,
          deleted: project.status === 'deleted',
          deletedAt: project.deleted_at?.toISOString() ?? null,
        })),
      };
    },
  };
}

export type Usage = ReturnType<typeof createUsage>;
