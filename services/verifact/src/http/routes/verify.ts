import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { SNIFF_BYTES, sniffPhoto } from '../../photos/photo-bytes.js';
import { ByteParts } from '../../photos/photo-parts.js';
import { fetchPhoto } from '../../verify/fetch-photo.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { readPhotoForm } from '../multipart.js';
import { errorResponses } from '../schemas.js';

export const verifyResult = z.object({
  status: z.enum(['verified', 'tampered', 'unverified']),
  assertions: z.number().int(),
  claimBinding: z
    .object({
      claimNumber: z.string().optional(),
      policyNumber: z.string().optional(),
      surveyorName: z.string().optional(),
      surveyorId: z.string().optional(),
      insurerCode: z.string().optional(),
      expiresAt: z.string().optional(),
      source: z.enum(['manifest', 'vault_decrypted', 'none']),
    })
    .nullable(),
  gps: z
    .object({
      lat: z.number(),
      lon: z.number(),
      accuracy: z.number().optional(),
      satellites: z.number().int().nullable(),
    })
    .nullable(),
  device: z
    .object({
      model: z.string(),
      attestationType: z.string(),
      rooted: z.boolean().nullable(),
      emulator: z.boolean().nullable(),
      osVersion: z.string().nullable(),
    })
    .nullable(),
  ntpSynced: z.boolean().nullable(),
  alerts: z.array(z.string()),
  _meta: metaSchema,
});

export function verifyRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/verify',
      {
        schema: {
          tags: ['Verification'],
          summary: "Verify a photo's C2PA manifest",
          operationId: 'verifyPhoto',
          description:
            'multipart/form-data with a `photo` file, or application/json `{"url": "https://…"}` (fetched server-side, 10 s).',
          consumes: ['multipart/form-data', 'application/json'],
          response: { ...errorResponses(400, 401, 403, 429), 200: verifyResult },
        },
        config: {
          access: { operation: 'verifact.verify', requirement: { scope: 'verify' }, rateLimited: true },
        },
      },
      async (request) => {
        const caller = principalOf(request);
        let photo: ByteParts;
        if (request.isMultipart()) {
          const form = await readPhotoForm(request, deps.config.maxPhotoBytes, []);
          if (!form.photo) throw errors.validation('photo: a file field named photo is required');
          photo = form.photo.parts;
        } else {
          if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
            throw errors.unsupportedContentType('multipart/form-data or application/json');
          }
          const body = request.body as { url?: unknown } | undefined;
          if (typeof body !== 'object' || body === null || typeof body.url !== 'string' || !body.url) {
            throw errors.validation('url: send a photo as multipart/form-data or {"url": "https://…"}');
          }
          photo = new ByteParts([await fetchPhoto(body.url, deps.urlFetch)]);
        }
        const type = await sniffPhoto(photo.head(SNIFF_BYTES));
        const facts = await deps.verification.verify(caller.tenant, photo, type);
        return {
          status: facts.status,
          assertions: facts.assertions,
          claimBinding: facts.claimBinding,
          gps: facts.gps,
          device: facts.device,
          ntpSynced: facts.ntpSynced,
          alerts: facts.alerts,
          _meta: meta(request),
        };
      },
    );
  };
}
