import type { Clock } from '../billing/clock.js';
import type { EnforcementState, RequestCount, UsageRepository } from '../db/usage-repository.js';
import { errors } from '../errors.js';

/** What the flush hands on: the orgs and projects it touched, for sampling and evaluation. */
export interface FlushedUsage {
  /** Orgs whose request counts were just written. */
  orgIds: Set<string>;
  /** Projects written to (or whose stored objects changed) since the last flush: resample d1/r2. */
  changedProjectIds: Set<string>;
  /** Orgs this process holds a restriction for (every sixth flush): re-evaluated so a pack or an upgrade lifts it. */
  restrictedOrgIds: Set<string>;
}

export interface UsageGateDeps {
  repository: Pick<UsageRepository, 'addRequests' | 'restrictedOrgs' | 'enforcementOf'>;
  clock: Clock;
  /** Milliseconds between flushes of the in-memory counts. */
  flushIntervalMs: number;
  /** After each successful flush (not at close): sampling, enforcement, alarms. */
  afterFlush(flushed: FlushedUsage): Promise<void>;
  /** Starts listening for enforcement changes; `onChange(orgId)` per NOTIFY, `onConnected` after each (re)connection. */
  listen(handlers: {
    onChange(orgId: string): void;
    onConnected(): Promise<void>;
  }): Promise<() => Promise<void>>;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

const DAY_MS = 86_400_000;
/** Flushes between re-evaluations of the orgs this process holds a restriction for (30 s by default). */
const RESTRICTED_EVERY = 6;

/**
 * The data API's usage hook, on the hot path: no PostgreSQL access per request.
 *
 * - **Counting**: each admitted request adds 1 to an in-memory counter per (project, UTC day);
 *   every `flushIntervalMs` (and at close) the counters are written in batches
 *   (`requests = requests + n`). A flush that fails keeps its counts for the next one. What a
 *   crash loses is bounded by one interval of requests of this process.
 * - **Enforcement**: the per-org state (`org_usage_enforcement`) is held in memory — loaded when
 *   the gate starts, refreshed on `NOTIFY backlex_usage_enforcement` and after every (re)connection
 *   of the listener. Over the request allowance → 429 `RATE_LIMITED` with `Retry-After` = seconds
 *   to the end of the period; over the d1 allowance → the request runs read-only.
 */
export function createUsageGate(deps: UsageGateDeps) {
  /** Counts per UTC day, then per project (no key string built per request). */
  const pending = new Map<string, Map<string, RequestCount>>();
  let today: Map<string, RequestCount> | undefined;
  const changed = new Set<string>();
  const restrictions = new Map<string, EnforcementState>();
  let day = '';
  let dayEnds = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let started: Promise<void> | undefined;
  let loaded = false;
  let stopListening: (() => Promise<void>) | undefined;
  let closed = false;
  let ticksSinceRecheck = 0;

  /** The counters of the UTC day holding `now`. */
  function countsOf(now: number): Map<string, RequestCount> {
    if (!today || now >= dayEnds || now < dayEnds - DAY_MS) {
      day = new Date(now).toISOString().slice(0, 10);
      dayEnds = Date.parse(`${day}T00:00:00.000Z`) + DAY_MS;
      today = pending.get(day);
      if (!today) {
        today = new Map();
        pending.set(day, today);
      }
    }
    return today;
  }

  function add(count: RequestCount) {
    let counts = pending.get(count.day);
    if (!counts) {
      counts = new Map();
      pending.set(count.day, counts);
    }
    const current = counts.get(count.projectId);
    if (current) current.requests += count.requests;
    else counts.set(count.projectId, count);
  }

  function apply(orgId: string, state: EnforcementState | undefined) {
    if (state && (state.requestThrottled || state.storageReadOnly)) restrictions.set(orgId, state);
    else restrictions.delete(orgId);
  }

  async function reloadAll(): Promise<void> {
    const rows = await deps.repository.restrictedOrgs(deps.clock.now());
    restrictions.clear();
    for (const row of rows) apply(row.orgId, row);
    loaded = true;
  }

  async function reload(orgId: string): Promise<void> {
    try {
      apply(orgId, await deps.repository.enforcementOf(orgId));
    } catch (error) {
      deps.logWarning('backlex usage: could not reload an enforcement state', {
        orgId,
        error: String(error),
      });
    }
  }

  function ensureTimer() {
    if (timer || closed) return;
    timer = setInterval(() => {
      void flush();
    }, deps.flushIntervalMs);
    timer.unref();
  }

  /** Starts the listener and loads the restrictions in force (once). */
  function start(): Promise<void> {
    started ??= (async () => {
      ensureTimer();
      try {
        stopListening = await deps.listen({
          onChange: (orgId) => void reload(orgId),
          onConnected: async () => {
            await reloadAll().catch((error: unknown) =>
              deps.logWarning('backlex usage: could not load enforcement states', { error: String(error) }),
            );
          },
        });
      } catch (error) {
        deps.logWarning('backlex usage: enforcement listener not started', { error: String(error) });
      }
      if (!loaded) {
        await reloadAll().catch((error: unknown) =>
          deps.logWarning('backlex usage: could not load enforcement states', { error: String(error) }),
        );
      }
    })();
    return started;
  }

  function check(orgId: string, projectId: string): boolean {
    const now = deps.clock.now().getTime();
    const state = restrictions.get(orgId);
    if (state?.requestThrottled) {
      const end = state.periodEnd.getTime();
      if (end > now) {
        throw errors.RATE_LIMITED(
          Math.max(1, Math.ceil((end - now) / 1000)),
          "The organization has used its data-API request allowance for this billing period (buy a requests pack or upgrade); resets at the period's end",
        );
      }
    }
    const counts = countsOf(now);
    const count = counts.get(projectId);
    if (count) count.requests += 1;
    else counts.set(projectId, { projectId, orgId, day, requests: 1 });
    return state?.storageReadOnly === true;
  }

  async function flushOnce(final: boolean): Promise<void> {
    // Restricted orgs send no counted requests (refused ones are not counted): they are
    // re-evaluated every RESTRICTED_EVERY flushes all the same, so a pack or an upgrade lifts them.
    const recheck = restrictions.size > 0 && ++ticksSinceRecheck >= RESTRICTED_EVERY;
    if (pending.size === 0 && changed.size === 0 && !recheck) return;
    if (recheck) ticksSinceRecheck = 0;
    const counts = [...pending.values()].flatMap((perDay) => [...perDay.values()]);
    pending.clear();
    today = undefined;
    const changedIds = new Set(changed);
    changed.clear();
    if (counts.length > 0) {
      try {
        await deps.repository.addRequests(counts);
      } catch (error) {
        // Kept for the next flush (merged with what arrived meanwhile).
        for (const count of counts) add(count);
        for (const id of changedIds) changed.add(id);
        deps.logWarning('backlex usage: request counts not flushed; kept for the next flush', {
          rows: counts.length,
          error: String(error),
        });
        return;
      }
    }
    if (final) return;
    try {
      await deps.afterFlush({
        orgIds: new Set(counts.map((count) => count.orgId)),
        changedProjectIds: changedIds,
        restrictedOrgIds: recheck ? new Set(restrictions.keys()) : new Set(),
      });
    } catch (error) {
      deps.logWarning('backlex usage: evaluation after a flush failed', { error: String(error) });
    }
  }

  /** Writes the counts (one flush at a time; a call during one waits for it, then flushes again). */
  async function flush(options: { final?: boolean } = {}): Promise<void> {
    while (flushing) await flushing;
    flushing = flushOnce(options.final === true).finally(() => {
      flushing = undefined;
    });
    await flushing;
  }

  return {
    /**
     * The data API's hook, after the token and project checks: 429 when the org is throttled,
     * else counts the request; true when the org's storage is read-only (writes refused).
     */
    admit(orgId: string, projectId: string): boolean | Promise<boolean> {
      if (!loaded) return start().then(() => check(orgId, projectId));
      return check(orgId, projectId);
    },

    /** A data-API request (or a stored object) may have changed the project's size: resample it at the next flush. */
    changed(projectId: string): void {
      changed.add(projectId);
      ensureTimer();
    },

    /** This process computed a new state for the org: apply it now (the NOTIFY follows). */
    apply,

    start,
    flush,

    /** The restriction this process holds for the org (tests, the billing snapshot reads PostgreSQL). */
    restrictionOf(orgId: string): EnforcementState | undefined {
      return restrictions.get(orgId);
    },

    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await started?.catch(() => undefined);
      await flush({ final: true });
      await stopListening?.().catch(() => undefined);
    },
  };
}

export type UsageGate = ReturnType<typeof createUsageGate>;
