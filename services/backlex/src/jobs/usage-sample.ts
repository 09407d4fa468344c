import { defineScheduledJob } from '@trustplane/kernel';
import type { Usage } from '../usage/usage.js';

export const USAGE_SAMPLE_QUEUE = 'backlex.usage-sample';

/**
 * Hourly: d1 and r2 of every live project sampled into today's row (so every day of a project has
 * its row, written to or not), then every org with one evaluated (enforcement, alarms).
 * Idempotent: samples overwrite the day's gauges.
 */
export function usageSampleJob(usage: () => Usage) {
  return defineScheduledJob({
    name: USAGE_SAMPLE_QUEUE,
    cron: '7 * * * *',
    retry: { limit: 2, delaySeconds: 60, backoff: true },
    timeoutSeconds: 900,
    done: 'backlex: usage sampled',
    run: () => usage().sampleAndEvaluateAll(),
  });
}
