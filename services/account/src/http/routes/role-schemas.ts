import { z } from 'zod';

export const role = z.object({
  role_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  is_system: z.boolean(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export const roleName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'must be at most 100 characters' });
