import { z } from 'zod';

export const profile = z.object({
  account_id: z.string(),
  account_type: z.enum(['human', 'service']),
  email: z.string(),
  display_name: z.string(),
  avatar_url: z.string(),
  timezone: z.string(),
  language: z.string(),
  email_verified: z.boolean(),
  bio: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.number().int(),
  capabilities: z.array(z.string()).optional(),
  model_config: z.string().nullable().optional(),
  organization_id: z.string().nullable().optional(),
});

/** The sessions resource lives at `/api/v1/me/sessions`; `/api/v1/sessions` is its deprecated alias. */
export const SESSION_PATHS = ['/api/v1/me/sessions', '/api/v1/sessions'] as const;
