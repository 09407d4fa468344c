import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import type { Kyc } from '../../kyc.js';
import { secretKeys, verificationToken, verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS } from '../body-limits.js';
import {
  documentType,
  errorResponses,
  getSessionOk,
  isUuid,
  side,
  uploadContentType,
  uploadHeaders,
} from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);

export const createSessionBody = z
  .object({
    externalUserId: z.string().min(1).max(512).optional(),
    returnUrl: httpUrl.optional(),
    webhookUrl: httpUrl.optional(),
    webhookSecret: z.string().min(16).max(255).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  // The body is optional: no body (null) means all defaults.
  .nullish();

const params = z.object({ sessionId: z.string() });
const tokenQuery = z.object({ token: z.string().optional() });

export const patchBody = z.object({ documentType, token: z.string().min(1) });
export const presignBody = z.object({
  token: z.string().min(1),
  side,
  contentType: uploadContentType,
  byteSize: z.number().int().min(1).max(MAX_UPLOAD_BYTES),
});
export const completeBody = presignBody.extend({
  s3Key: z.string().min(1).max(512),
  sha256: z.string().regex(/^[a-fA-F0-9]{64}$/),
});

export const sessionIdOf = (id: string) => {
  if (!isUuid(id)) throw errors.VERIFICATION_SESSION_NOT_FOUND();
  return id;
};

export function verificationRoutes(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.post(
      '/api/verification/sessions',
      {
        // The key is checked before the body is parsed: an unauthenticated caller learns nothing.
        onRequest: async (request) => {
          secretKeys.set(request, await kyc.apiKeys.authenticateSecret(request.headers.authorization));
        },
        schema: {
          tags: ['Verification'],
          operationId: 'createVerificationSession',
          summary: 'Create verification session',
          security: KYC_SECURITY.secretKey,
          description: 'Server-to-server. Authenticate with `Authorization: Bearer sk_<env>_<random>`.',
          body: createSessionBody,
          response: {
            201: z.object({
              ok: z.literal(true),
              sessionId: z.uuid(),
              token: z.string(),
              clientSecret: z.string(),
              hostedUrl: z.string(),
              expiresAt: z.string(),
            }),
            ...errorResponses(400, 401, 500, 503),
          },
        },
      },
      async (request, reply) => {
        const created = await kyc.sessions.create(secretKeys.of(request), request.body ?? {});
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ ok: true, ...created });
      },
    );

    api.get(
      '/api/verification/sessions/:sessionId',
      {
        schema: {
          tags: ['Verification'],
          operationId: 'getVerificationSession',
          summary: 'Get verification session',
          security: KYC_SECURITY.verificationToken,
          params,
          querystring: tokenQuery,
          response: { 200: getSessionOk, ...errorResponses(401, 404, 410, 503) },
        },
      },
      async (request, reply) => {
        const session = await kyc.sessions.get(
          sessionIdOf(request.params.sessionId),
          verificationToken(request),
        );
        // The polling hot path: the view is built from typed rows (same shape as getSessionOk), so it
        // is sent as JSON text, skipping the per-request schema pass of the serializer.
        const body = JSON.stringify({ ok: true, session }) as unknown as {
          ok: true;
          session: typeof session;
        };
        return reply.type('application/json; charset=utf-8').send(body);
      },
    );

    api.patch(
      '/api/verification/sessions/:sessionId',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'patchVerificationSession',
          summary: 'Set document type',
          security: KYC_SECURITY.verificationTokenInBody,
          params,
          body: patchBody,
          response: { 200: getSessionOk, ...errorResponses(400, 401, 404, 410, 503) },
        },
      },
      async (request) => ({
        ok: true as const,
        session: await kyc.sessions.chooseDocumentType(
          sessionIdOf(request.params.sessionId),
          request.body.token,
          request.body.documentType,
        ),
      }),
    );

    api.post(
      '/api/verification/sessions/:sessionId/presign',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'presignVerificationUpload',
          summary: 'Presign document upload (PUT to MinIO/S3)',
          security: KYC_SECURITY.verificationTokenInBody,
          params,
          body: presignBody,
          response: {
            200: z.object({
              ok: z.literal(true),
              uploadUrl: z.string(),
              s3Key: z.string(),
              expiresInSeconds: z.number().int(),
              uploadHeaders: uploadHeaders,
            }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.sessions.presignUpload(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );

    api.post(
      '/api/verification/sessions/:sessionId/upload-complete',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'completeVerificationUpload',
          summary: 'Confirm upload and run analysis',
          security: KYC_SECURITY.verificationTokenInBody,
          params,
          body: completeBody,
          response: {
            200: z.object({ ok: z.literal(true), session: getSessionOk.shape.session, assetId: z.uuid() }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.sessions.completeUpload(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
  };
}
