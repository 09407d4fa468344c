import { openapiComponent } from '@trustplane/kernel';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SessionOrigin } from '../identity/auth-service.js';

/** `{ success: true, data }`, the seed's success envelope. */
export const ok = <T extends z.ZodType>(data: T) =>
  z.object({ success: z.literal(true), code: z.number().int().optional(), data });

export const okNull = ok(z.null());

export const errorEnvelope = z
  .object({
    success: z.literal(false),
    code: z.number().int(),
    message: z.string(),
    trace_id: z.string(),
    retry_after: z.number().int().optional(),
    limit: z.number().int().optional(),
    window: z.string().optional(),
  })
  .describe('Failure envelope; `code` follows the seed error-code table');
openapiComponent('AccountError', errorEnvelope);

export const errorResponses = {
  400: errorEnvelope,
  401: errorEnvelope,
  403: errorEnvelope,
  404: errorEnvelope,
  422: errorEnvelope,
  429: errorEnvelope,
};

export const uuidParam = (name: string) => z.string().uuid({ error: `${name}: must be a UUID` });

export const email = z
  .string({ error: 'is required' })
  .trim()
  .max(254, { error: 'must be at most 254 characters' })
  .pipe(z.email({ error: 'invalid format' }));

export const pageQuery = {
  page: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .default(1),
  per_page: z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .default(20)
    // The seed's hard cap: larger values are clamped, not refused.
    .transform((value) => Math.min(value, 100)),
};

export const paginated = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    per_page: z.number().int(),
    total_pages: z.number().int(),
  });

export function page<T>(items: T[], total: number, pageNumber: number, perPage: number) {
  return { items, total, page: pageNumber, per_page: perPage, total_pages: Math.ceil(total / perPage) };
}

export const permissionString = z
  .string()
  .min(1)
  .max(100)
  .regex(/^(\*|[A-Za-z0-9_.-]+(:[A-Za-z0-9_.*-]+)*)$/, { error: 'must look like resource:action' });

export function originOf(request: FastifyRequest): SessionOrigin {
  const agent = request.headers['user-agent'];
  const fingerprint = request.headers['x-device-fingerprint'];
  return {
    ip: request.ip,
    userAgent: typeof agent === 'string' ? agent : '',
    deviceFingerprint: typeof fingerprint === 'string' ? fingerprint : '',
  };
}

export const membershipView = z.object({
  org_id: z.string(),
  name: z.string(),
  slug: z.string(),
  status: z.string(),
  owner_account_id: z.string(),
  plan: z.string(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  my_role: z.string(),
  my_permissions: z.array(z.string()),
});

export const sessionGrant = z.object({
  account_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  access_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number().int(),
  organizations: z.array(membershipView),
  current_org_id: z.string(),
  requires_email_verification: z.boolean(),
  csrf_token: z.string(),
});
