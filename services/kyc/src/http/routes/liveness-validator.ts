import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kyc } from '../../kyc.js';
import {
  handleSignedValidation,
  VALIDATOR_PATH,
  VALIDATOR_SIGNATURE_HEADER,
} from '../../liveness/liveness-validator.js';

/**
 * The internal liveness validator, for deployments that point `LIVENESS_VALIDATOR_URL` at a
 * kyc instance. Only HMAC-signed requests (raw body) are served; anything else is 401.
 */
export function livenessValidatorRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 4 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    );
    const unsigned = (reply: FastifyReply) =>
      reply.status(401).send({ ok: false, error: 'UNAUTHENTICATED', message: 'Invalid validator signature' });
    const signatureOf = (request: FastifyRequest) => {
      const header = request.headers[VALIDATOR_SIGNATURE_HEADER];
      return Array.isArray(header) ? header[0] : header;
    };
    app.post(
      VALIDATOR_PATH,
      {
        schema: { hide: true },
        // The signature covers the body, so only its absence can be refused before reading it.
        onRequest: async (request, reply) => {
          if (!signatureOf(request)) return unsigned(reply.header('connection', 'close'));
        },
      },
      async (request, reply) => {
        const result = await handleSignedValidation(
          kyc.validatorSecret,
          String(request.body ?? ''),
          signatureOf(request),
          kyc.config.livenessSampleRateHz,
        ).catch(() => undefined);
        return result ?? unsigned(reply);
      },
    );
  };
}
