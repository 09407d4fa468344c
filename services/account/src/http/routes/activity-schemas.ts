import { z } from 'zod';
import { pageQuery } from '../schemas.js';

const isoDate = (field: string) =>
  z
    .string()
    .refine((value) => /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)), {
      error: `must be an ISO-8601 date-time`,
    })
    .transform((value) => new Date(value))
    .describe(`ISO-8601 ${field}`);

export const activityQuery = {
  ...pageQuery,
  since: isoDate('lower bound (inclusive)').optional(),
  until: isoDate('upper bound (exclusive)').optional(),
  action: z
    .string()
    .max(100)
    .regex(/^[a-z0-9_.]+$/, { error: 'must be a dot-notation action' })
    .optional(),
};

export const activityItem = z.object({
  id: z.string(),
  actor_id: z.string().nullable(),
  actor_email: z.string().nullable(),
  actor_display_name: z.string().nullable(),
  organization_id: z.string().nullable(),
  organization_name: z.string().nullable(),
  action: z.string(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  target_label: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  ip_address: z.string().nullable(),
  user_agent: z.string().nullable(),
  created_at: z.number().int(),
});
