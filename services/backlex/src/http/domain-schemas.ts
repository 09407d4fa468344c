import { z } from 'zod';

/** The `Domain` object (open in the seed; fields fixed in the README). */
export const domainSchema = z.object({
  id: z.string(),
  hostname: z.string().describe('IDNA ASCII form, lowercase'),
  status: z.enum(['pending', 'verified']),
  projectId: z.string(),
  verification: z.object({
    type: z.literal('TXT'),
    name: z.string().describe('`_backlex-challenge.<hostname>`'),
    value: z.string(),
  }),
  cname: z.object({
    type: z.literal('CNAME'),
    name: z.string(),
    target: z.string().describe("The platform's public host"),
  }),
  dataUrl: z.string().describe('`<scheme>://<hostname>`: POST `…/query` once verified'),
  lastError: z.string().nullable(),
  lastCheckedAt: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const domainAnswer = z.object({ domain: domainSchema });
