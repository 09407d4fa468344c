import { openapiComponent } from '@trustplane/kernel';
import { z } from 'zod';

export const apiKeyHeaders = z.object({ 'x-service-api-key': z.string() });

export const declaredIdentitySchema = z.object({
  first_name: z.string().trim().min(1).max(200),
  last_name: z.string().trim().min(1).max(200),
  date_of_birth: z.iso.date().nullish(),
  gender: z.enum(['M', 'F', 'O', 'N']).nullish(),
  nationality: z
    .string()
    .regex(/^[A-Za-z]{2,3}$/, 'must be an ISO 3166 alpha-2 or alpha-3 code')
    .nullish(),
});

export const submitJobSchema = z.object({
  citizen_code: z.string().trim().min(1).max(200),
  document_type: z.enum(['CNI', 'PASSPORT', 'TITRE_DE_SEJOUR', 'NATIONAL_ID']),
  country_code: z.string().regex(/^[A-Za-z]{2,3}$/, 'must be an ISO 3166 alpha-2 or alpha-3 code'),
  selfie_b64: z.string().min(1),
  cni_recto_b64: z.string().min(1),
  cni_verso_b64: z.string().min(1).nullish(),
  declared_identity: declaredIdentitySchema,
  priority: z.enum(['normal', 'high']).default('normal'),
  callback_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .nullish(),
});

/** The seed's `HTTPValidationError` (FastAPI's 422 body). */
export const validationErrorSchema = openapiComponent(
  'HTTPValidationError',
  z.object({
    detail: z.array(
      z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }),
    ),
  }),
);

/** FastAPI's `HTTPException` body, which the seed's framework answers for every other error. */
export const errorDetailSchema = openapiComponent('HTTPError', z.object({ detail: z.string() }));

export const jobResultSchema = z.object({
  job_id: z.string(),
  citizen_code: z.string(),
  status: z.enum(['completed', 'error']),
  outcome: z.enum(['verified', 'pending_review', 'rejected', 'error']),
  completed_at: z.string(),
  processing_time_ms: z.number().int(),
  failure_reason: z.string().nullable(),
  cross_validations: z.record(z.string(), z.unknown()),
  scores: z.record(z.string(), z.unknown()),
});
