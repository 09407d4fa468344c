import { openapiComponent } from '@trustplane/kernel';
import { z } from 'zod';

/** The seed's `AppError`, as `http/errors.ts` renders it. */
export const appErrorSchema = openapiComponent(
  'AppError',
  z.object({
    error: z.looseObject({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  }),
);

/** Every seed operation documents these error statuses. */
const SEED_ERROR_STATUSES = [400, 401, 403, 404, 409, 422, 429] as const;

export const errorResponses = Object.fromEntries(
  SEED_ERROR_STATUSES.map((status) => [status, appErrorSchema]),
) as Record<(typeof SEED_ERROR_STATUSES)[number], typeof appErrorSchema>;

export const okSchema = z.object({ ok: z.boolean() });

/** `{slug}`: bounded, so a lookup never sees an absurd value (an unknown one is 404 like any other). */
export const slugParams = z.object({ slug: z.string().min(1).max(100) });

export const orgSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  planId: z.string(),
  residency: z.string(),
  defaultRegion: z.string(),
  ipAllowlist: z.array(z.string()),
  webhookUrl: z.string().nullable(),
  status: z.string(),
});
