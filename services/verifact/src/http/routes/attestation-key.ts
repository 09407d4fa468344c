import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errorResponses } from '../schemas.js';

export const keyManifestSchema = z.object({
  kid: z.string(),
  publicKey: z.string(),
  alg: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  signature: z.string(),
  signedBy: z.string(),
});

/** Public: the Ed25519 signature over the manifest is the source of trust, not the transport. */
export function attestationKeyRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/attestation-key',
      {
        schema: {
          tags: ['AttestationKey'],
          summary: 'Get the current signed attestation-key manifest',
          operationId: 'getAttestationKey',
          security: [],
          response: { ...errorResponses(502, 503), 200: keyManifestSchema },
        },
      },
      async () => deps.attestationKeys.current(),
    );
  };
}
