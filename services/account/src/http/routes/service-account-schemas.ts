import { z } from 'zod';
import { permissionString } from '../schemas.js';

export const uuid = z.uuid({ error: 'must be a UUID' });
export const accountParams = z.object({ account_id: uuid });
export const serviceAccount = z.object({
  account_id: z.string(),
  organization_id: z.string(),
  display_name: z.string(),
  description: z.string().nullable(),
  status: z.enum(['active', 'paused', 'archived']),
  capabilities: z.array(z.string()),
  allowed_tools: z.array(z.string()),
  rate_limit_per_minute: z.number().int(),
  last_used_at: z.number().int().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export const capabilities = z.array(permissionString).max(200, { error: 'must list at most 200 entries' });
export const tools = z.array(z.string().min(1).max(100)).max(200, { error: 'must list at most 200 entries' });
export const displayName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200);
export const rateLimit = z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' });
