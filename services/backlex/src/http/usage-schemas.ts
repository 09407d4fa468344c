import { z } from 'zod';

/** The `Alarm` object (open in the seed; fields fixed in the README, "Usage, alarms, enforcement"). */
export const alarmSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  metric: z.enum(['requests', 'd1', 'r2']),
  thresholdPct: z.number().int(),
  usedPct: z
    .number()
    .describe("Percent of the org's allowance (plan + packs) this project used in the current period."),
  firedThisPeriod: z.boolean(),
  lastFiredAt: z.string().nullable(),
  createdAt: z.string(),
});

const metricName = z.enum(['requests', 'd1', 'r2', 'neurons']);

/** The `Usage` object (open in the seed; fields fixed in the README). */
export const usageSchema = z.object({
  plan: z.string(),
  period: z.object({ start: z.string(), end: z.string() }),
  metrics: z.array(
    z.object({
      metric: metricName,
      unit: z.enum(['requests', 'bytes', 'neurons']),
      used: z.number(),
      included: z.number().describe("The plan's allowance for the period."),
      topups: z.number().describe('Units packs add to this period.'),
      allowance: z.number().describe('included + topups'),
      usedPct: z.number(),
    }),
  ),
  projects: z.array(
    z.object({
      projectId: z.string(),
      slug: z.string(),
      name: z.string(),
      deleted: z.boolean(),
      requests: z.number(),
      d1: z.number(),
      r2: z.number(),
      neurons: z.number(),
    }),
  ),
  enforcement: z.object({ requestThrottled: z.boolean(), storageReadOnly: z.boolean() }),
});

const dailyFigures = { requests: z.number(), d1: z.number(), r2: z.number(), neurons: z.number() };

/** The `UsageHistory` object (open in the seed; fields fixed in the README). */
export const usageHistorySchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(
    z.object({
      day: z.string(),
      ...dailyFigures,
      projects: z.array(z.object({ projectId: z.string(), ...dailyFigures })),
    }),
  ),
  projects: z.array(
    z.object({
      id: z.string(),
      slug: z.string(),
      name: z.string(),
      deleted: z.boolean(),
      deletedAt: z.string().nullable(),
    }),
  ),
});
