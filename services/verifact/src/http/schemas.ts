import { openapiComponent } from '@trustplane/kernel';
import { z } from 'zod';
import { metaSchema } from './auth.js';

/**
 * The seed's `Error`, as `http/errors.ts` renders it (`code` is always set; `scope` on 403, `cap`
 * on 402). Loose: a field the renderer adds is never stripped from a documented status.
 */
export const errorSchema = openapiComponent(
  'Error',
  z.looseObject({
    error: z.string().describe('Human-readable error message'),
    code: z.string().describe('Machine-readable error code'),
    scope: z.string().optional().describe('Missing scope, present on 403 responses'),
    cap: z.number().optional().describe('The monthly claim cap, present on 402 responses'),
  }),
);

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, errorSchema])) as Record<number, typeof errorSchema>;

/** Path ids: bounded so a lookup never sees an absurd value. */
export const idParams = z.object({ id: z.string().min(1).max(64) });

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['surveyor', 'adjuster', 'siu', 'tenant_admin']),
  district: z.string().nullable(),
  surveyorLicense: z.string().nullable(),
  active: z.boolean(),
  createdAt: z.string(),
});

export const keyedUser = userSchema.extend({ _meta: metaSchema });

export const photoSummarySchema = z.object({
  id: z.string(),
  filename: z.string(),
  verifyStatus: z.enum(['pending', 'verified', 'tampered', 'unverified', 'ai_generated', 'third_party']),
  capturedAt: z.string().optional(),
  uploadedAt: z.string(),
  gpsLat: z.number().nullable(),
  gpsLon: z.number().nullable(),
  gpsAccuracy: z.number().nullable(),
  deviceModel: z.string().nullable(),
  attestationType: z.enum(['StrongBox', 'TEE', 'SecureEnclave', 'software', 'none']).nullable(),
  ntpSynced: z.boolean().nullable(),
  riskScore: z.number().min(0).max(1).nullable(),
});

export const claimSummarySchema = z.object({
  id: z.string(),
  claimNumber: z.string(),
  policyNumber: z.string(),
  claimType: z.enum(['motor', 'property', 'crop', 'health', 'other']),
  status: z.enum(['pending', 'under_review', 'approved', 'rejected', 'siu_flagged']),
  district: z.string(),
  surveyorId: z.string(),
  surveyorName: z.string(),
  riskBand: z.enum(['low', 'review', 'high', 'very_high']).nullable(),
  riskScore: z.number().nullable(),
  estimatedAmount: z.number().nullable(),
  settledAmount: z.number().nullable(),
  siuFlagged: z.boolean(),
  photoCount: z.number().int(),
  verifiedPhotos: z.number().int(),
  submittedAt: z.string(),
  updatedAt: z.string(),
});

export const claimDetailSchema = claimSummarySchema.extend({
  description: z.string().optional(),
  adjusterId: z.string().nullable(),
  siuReason: z.string().nullable(),
  noteCount: z.number().int(),
  photos: z.array(photoSummarySchema),
});

export const triageResultSchema = z.object({
  id: z.string(),
  riskScore: z.number(),
  riskBand: z.enum(['low', 'review', 'high', 'very_high']),
  routedTo: z.enum(['pass', 'review', 'siu']),
  signals: z.array(z.object({ name: z.string(), score: z.number(), detail: z.string() })),
  disclaimer: z.string(),
  claimId: z.string().nullable(),
  createdAt: z.string(),
  _meta: metaSchema,
});
