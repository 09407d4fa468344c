import { openapiComponent } from '@trustplane/kernel';
import { z } from 'zod';

/** Shared response shapes of seed 000 (zod; OpenAPI is generated from them). */
export const apiError = openapiComponent(
  'ApiError',
  z.object({
    ok: z.literal(false),
    error: z.string(),
    message: z.string().optional(),
    fieldErrors: z.record(z.string(), z.string()).optional(),
  }),
);

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, apiError])) as Record<number, typeof apiError>;

/**
 * Not in the seed: the headers the client must send with its PUT to `uploadUrl`. The URL only
 * creates (a replay cannot replace the upload); on S3 that takes a signed `If-None-Match: *`.
 */
export const uploadHeaders = z
  .record(z.string(), z.string())
  .describe('Headers to send with the PUT to uploadUrl (content-type; if-none-match on S3)');

export const userPublic = z.object({ id: z.uuid(), email: z.string(), fullName: z.string() });

export const organizationPublic = z.object({
  id: z.uuid(),
  customerId: z.string(),
  legalCompanyName: z.string().nullable(),
  legalEmail: z.string(),
  registrationNumber: z.string().nullable(),
  companyWebsite: z.string().nullable(),
  companyAddress: z.string().nullable(),
  displayName: z.string(),
  aliasName: z.string().nullable(),
  logoUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const apiKeySummary = z.object({
  id: z.uuid(),
  keyType: z.enum(['publishable', 'secret']),
  environment: z.enum(['test', 'live']),
  keyPrefix: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const documentType = z.enum(['passport', 'id_card', 'drive_eta']);
export const side = z.enum(['front', 'back', 'single', 'poa']);
export const uploadContentType = z.enum(['image/jpeg', 'image/png', 'image/webp', 'application/pdf']);

export const verificationSessionPublic = z.object({
  id: z.uuid(),
  documentType: documentType.nullable(),
  capturePhase: z.string(),
  reviewStatus: z.string(),
  riskLabel: z.string().nullable(),
  automatedBlockReason: z.string().nullable(),
  expiresAt: z.string(),
  assets: z.array(
    z.object({
      id: z.uuid(),
      side,
      analysisStatus: z.string(),
      s3Key: z.string(),
      createdAt: z.string(),
      attempt: z
        .number()
        .int()
        .min(1)
        .describe('Ours: 1 for the first upload of the side, 2 and 3 for retakes of an unreadable one.'),
      unreadableReasons: z
        .array(z.enum(['MRZ_NOT_FOUND', 'PORTRAIT_NOT_FOUND', 'ANALYSIS_FAILED']))
        .describe(
          "Ours: why the server's analysis could not read the image (no MRZ where the document type has one, no portrait, an image it could not decode). Empty while pending or when readable.",
        ),
      retakeAllowed: z
        .boolean()
        .describe(
          'Ours: this side may be presigned and uploaded again although capturePhase moved on (its newest upload is unreadable and fewer than 3 attempts were made).',
        ),
    }),
  ),
});

export const getSessionOk = z.object({ ok: z.literal(true), session: verificationSessionPublic });

const jsonObject = z.record(z.string(), z.unknown());

export const dashboardSessionSummary = z.object({
  id: z.uuid(),
  externalUserId: z.string().nullable(),
  documentType: z.string().nullable(),
  capturePhase: z.string(),
  reviewStatus: z.string(),
  riskLabel: z.string().nullable(),
  automatedBlockReason: z.string().nullable(),
  documentHeatmapViewUrl: z.string().nullable(),
  elaHeatmapViewUrl: z.string().nullable(),
  faceSimilarityScore: z.number().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const dashboardLatestLiveness = z.object({
  id: z.uuid(),
  status: z.string(),
  confidenceScore: z.number().nullable(),
  failureReason: z.string().nullable(),
  riskLabel: z.string().nullable(),
  signalsJson: jsonObject.nullable(),
  updatedAt: z.string(),
});

export const dashboardDetailOk = z.object({
  ok: z.literal(true),
  session: dashboardSessionSummary,
  assets: z.array(
    z.object({
      id: z.uuid(),
      side: z.string(),
      analysisStatus: z.string(),
      s3Key: z.string(),
      contentType: z.string(),
      createdAt: z.string(),
      documentViewUrl: z.string().nullable(),
    }),
  ),
  analysisResults: z.array(
    z.object({
      assetId: z.uuid(),
      extracted: jsonObject,
      modelId: z.string().nullable(),
      createdAt: z.string(),
      // Extension: this document's own heatmaps (the session summary carries the first document's).
      elaHeatmapViewUrl: z.string().nullable().meta({ 'x-extension': true }),
      moireHeatmapViewUrl: z.string().nullable().meta({ 'x-extension': true }),
    }),
  ),
  livenessAttempts: z.array(
    z.object({
      id: z.uuid(),
      clientRequestId: z.uuid(),
      status: z.string(),
      confidenceScore: z.number().nullable(),
      failureReason: z.string().nullable(),
      riskLabel: z.string().nullable(),
      videoReferenceUrl: z.string().nullable(),
      livenessVideoPlaybackUrl: z.string().nullable(),
      signalsJson: jsonObject.nullable(),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  auditEvents: z.array(
    z.object({
      id: z.uuid(),
      eventType: z.string(),
      actorType: z.string(),
      actorUserId: z.uuid().nullable(),
      payload: jsonObject.nullable(),
      rationale: z.string().nullable(),
      modelVersions: jsonObject.nullable(),
      rawScores: jsonObject.nullable(),
      createdAt: z.string(),
    }),
  ),
});

export { isUuid } from '../ids.js';
