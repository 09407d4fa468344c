import { z } from 'zod';

export const organization = z.object({
  org_id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  status: z.string(),
  owner_id: z.string(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  member_count: z.number().int(),
});
export const orgName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200, { error: 'must be at most 200 characters' });
export const slug = z.string().trim().toLowerCase().max(100, { error: 'must be at most 100 characters' });
