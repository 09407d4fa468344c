import { createHash } from 'node:crypto';
import {
  type AnyObjectStore,
  constantTimeEqual,
  type KyselyExecutor,
  randomToken,
  sealSecret,
  sha256Hex,
} from '@trustplane/kernel';
import { isAnalyzable, type UnreadableReason } from '../analysis/analysis-pipeline.js';
import type { KycConfig } from '../config.js';
import type { ApiKeyRow } from '../db/api-keys-repository.js';
import type { AssetRow } from '../db/document-assets-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { AssetSide, DocumentType } from '../db/tables.js';
import type { SessionRow } from '../db/verification-sessions-repository.js';
import { errors } from '../errors.js';
import {
  canChooseDocumentType,
  phaseAfterDocumentType,
  isLatestOfSide,
  phaseAfterUpload,
  retakeAttempt,
  sideRefusal,
} from './capture-phase.js';
import type { SessionViews } from './session-views.js';

export interface CreateSessionInput {
  externalUserId?: string;
  returnUrl?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  metadata?: Record<string, unknown>;
}

export interface VerificationSessionPublic {
  id: string;
  documentType: DocumentType | null;
  capturePhase: string;
  reviewStatus: string;
  riskLabel: string | null;
  automatedBlockReason: string | null;
  expiresAt: string;
  assets: {
    id: string;
    side: AssetSide;
    analysisStatus: string;
    s3Key: string;
    createdAt: string;
    /** Ours: 1 for the first upload of the side, 2 and 3 for retakes. */
    attempt: number;
    /** Ours: why the server's analysis could not read the image (empty: readable, or not judged yet). */
    unreadableReasons: UnreadableReason[];
    /** Ours: this side may be uploaded again (its newest upload is unreadable and attempts remain). */
    retakeAllowed: boolean;
  }[];
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

export function toSessionPublic(session: SessionRow, assets: AssetRow[]): VerificationSessionPublic {
  return {
    id: session.id,
    documentType: session.document_type,
    capturePhase: session.capture_phase,
    reviewStatus: session.review_status,
    riskLabel: session.risk_label,
    automatedBlockReason: session.automated_block_reason,
    expiresAt: session.expires_at.toISOString(),
    assets: assets.map((asset) => ({
      id: asset.id,
      side: asset.side,
      analysisStatus: asset.analysis_status,
      s3Key: asset.s3_key,
      createdAt: asset.created_at.toISOString(),
      attempt: asset.attempt,
      unreadableReasons: (asset.unreadable_reasons ?? []) as UnreadableReason[],
      retakeAllowed: isLatestOfSide(asset, assets) && retakeAttempt(asset.side, assets) !== undefined,
    })),
  };
}

/**
 * The attempt number an upload of `side` gets now and the phase after it: the phase's own side
 * (attempt 1, the phase advances), or a retake of an unreadable side (the phase stays).
 */
function acceptSide(
  phase: SessionRow['capture_phase'],
  side: AssetSide,
  assets: AssetRow[],
): { attempt: number; next: SessionRow['capture_phase'] } {
  const next = phaseAfterUpload(phase, side);
  if (next) return { attempt: 1, next };
  const attempt = retakeAttempt(side, assets);
  if (attempt !== undefined) return { attempt, next: phase };
  const reason = sideRefusal(phase, side) ?? 'Wrong capture phase';
  throw errors.VALIDATION_ERROR(reason, { side: reason });
}

/** The object key prefix a session's uploads for `side` must live under. */
export const uploadPrefix = (sessionId: string, side: AssetSide) => `sessions/${sessionId}/uploads/${side}/`;

export interface VerificationSessionsOptions {
  repositories: KycRepositories;
  views: SessionViews;
  objects: AnyObjectStore;
  /** Queues the analysis of an ID image in the transaction that records it. */
  enqueueAnalysis(transaction: KyselyExecutor, assetId: string): Promise<unknown>;
  config: KycConfig;
  publicUrl: string;
  sealKey: Buffer;
}

export function createVerificationSessions(options: VerificationSessionsOptions) {
  const { repositories, views, objects, enqueueAnalysis, config, sealKey } = options;

  /** The session a token opens: 404 unknown, 401 wrong token, 410 expired. */
  async function authorize(sessionId: string, token: string | undefined): Promise<SessionRow> {
    const session = await repositories.sessions.find(sessionId);
    if (!session) throw errors.VERIFICATION_SESSION_NOT_FOUND();
    if (!token || !constantTimeEqual(sha256Hex(token), session.token_hash))
      throw errors.VERIFICATION_INVALID_TOKEN();
    if (session.expires_at.getTime() <= Date.now()) throw errors.VERIFICATION_EXPIRED();
    return session;
  }

  async function publicView(session: SessionRow): Promise<VerificationSessionPublic> {
    return toSessionPublic(session, await repositories.assets.listForSession(session.id));
  }

  return {
    authorize,

    async create(key: ApiKeyRow, input: CreateSessionInput) {
      if (input.webhookSecret && !input.webhookUrl) {
        throw errors.VALIDATION_ERROR('webhookSecret requires webhookUrl', {
          webhookSecret: 'Requires webhookUrl',
        });
      }
      if (input.webhookUrl && !input.webhookSecret) {
        throw errors.VALIDATION_ERROR(
          'webhookUrl needs a webhookSecret (16+ characters) to sign deliveries',
          {
            webhookSecret: 'Required with webhookUrl',
          },
        );
      }
      const token = `vs_${key.environment}_${randomToken(32)}`;
      const expiresAt = new Date(Date.now() + config.verificationSessionTtlSeconds * 1000);
      const session = await repositories.transaction(async (tx) => {
        const row = await tx.sessions.insert({
          organization_id: key.organization_id,
          api_key_id: key.id,
          environment: key.environment,
          token_hash: sha256Hex(token),
          external_user_id: input.externalUserId ?? null,
          return_url: input.returnUrl ?? null,
          webhook_url: input.webhookUrl ?? null,
          webhook_secret_sealed: input.webhookSecret ? sealSecret(sealKey, input.webhookSecret) : null,
          metadata: JSON.stringify(input.metadata ?? {}),
          expires_at: expiresAt,
        });
        await tx.auditEvents.append({
          sessionId: row.id,
          organizationId: row.organization_id,
          eventType: 'session_created',
          actorType: 'api_key',
          payload: { apiKeyId: key.id, environment: key.environment, externalUserId: row.external_user_id },
        });
        return row;
      });
      return {
        sessionId: session.id,
        token,
        clientSecret: token,
        // The token rides in the fragment: browsers keep it across a 302 but never send it to a server.
        hostedUrl: `${new URL(`/verify/${session.id}`, options.publicUrl).toString()}#token=${encodeURIComponent(token)}`,
        expiresAt: session.expires_at.toISOString(),
      };
    },

    /** The polling read: served from the short-lived view cache. */
    async get(sessionId: string, token: string | undefined) {
      const view = await views.get(sessionId);
      if (!view) throw errors.VERIFICATION_SESSION_NOT_FOUND();
      if (!token || !constantTimeEqual(sha256Hex(token), view.session.token_hash))
        throw errors.VERIFICATION_INVALID_TOKEN();
      if (view.session.expires_at.getTime() <= Date.now()) throw errors.VERIFICATION_EXPIRED();
      return toSessionPublic(view.session, view.assets);
    },

    async chooseDocumentType(sessionId: string, token: string, documentType: DocumentType) {
      await authorize(sessionId, token);
      const updated = await repositories.transaction(async (tx) => {
        const session = await tx.sessions.lock(sessionId);
        if (!session) throw errors.VERIFICATION_SESSION_NOT_FOUND();
        if (!canChooseDocumentType(session.capture_phase)) {
          throw errors.VALIDATION_ERROR('The document type can no longer change: ID images were uploaded', {
            documentType: 'Locked after the first ID upload',
          });
        }
        const row = await tx.sessions.update(sessionId, {
          document_type: documentType,
          capture_phase: phaseAfterDocumentType(documentType),
        });
        await tx.auditEvents.append({
          sessionId,
          organizationId: row.organization_id,
          eventType: 'document_type_selected',
          actorType: 'end_user',
          payload: { documentType },
        });
        return row;
      });
      views.forget(sessionId);
      return publicView(updated);
    },

    async presignUpload(
      sessionId: string,
      input: { token: string; side: AssetSide; contentType: string; byteSize: number },
    ) {
      const session = await authorize(sessionId, input.token);
      if (sideRefusal(session.capture_phase, input.side))
        acceptSide(session.capture_phase, input.side, await repositories.assets.listForSession(sessionId));
      if (input.side !== 'poa' && input.contentType === 'application/pdf') {
        throw errors.VALIDATION_ERROR('ID images must be JPEG, PNG or WebP', {
          contentType: 'PDF only for proof of address',
        });
      }
      const key = `${uploadPrefix(sessionId, input.side)}${randomToken(12)}.${EXTENSIONS[input.contentType]}`;
      let presigned: Awaited<ReturnType<AnyObjectStore['presignPut']>>;
      try {
        // Create-only: once bytes are at the key, replaying the URL cannot replace the document that
        // upload-complete hashes and the pipeline analyses.
        presigned = await objects.presignPut(key, {
          contentType: input.contentType,
          contentLength: input.byteSize,
          expiresInSeconds: config.uploadUrlTtlSeconds,
          createOnly: true,
        });
      } catch {
        throw errors.VERIFICATION_STORAGE_NOT_CONFIGURED();
      }
      return {
        uploadUrl: presigned.url,
        s3Key: key,
        expiresInSeconds: config.uploadUrlTtlSeconds,
        uploadHeaders: presigned.headers,
      };
    },

    async completeUpload(
      sessionId: string,
      input: {
        token: string;
        side: AssetSide;
        s3Key: string;
        contentType: string;
        byteSize: number;
        sha256: string;
      },
    ) {
      const session = await authorize(sessionId, input.token);
      if (sideRefusal(session.capture_phase, input.side))
        acceptSide(session.capture_phase, input.side, await repositories.assets.listForSession(sessionId));
      if (!input.s3Key.startsWith(uploadPrefix(sessionId, input.side)) || input.s3Key.includes('..')) {
        throw errors.VALIDATION_ERROR('s3Key was not issued for this session and side', {
          s3Key: 'Not issued here',
        });
      }
      const head = await objects.head(input.s3Key).catch(() => {
        throw errors.VERIFICATION_STORAGE_NOT_CONFIGURED();
      });
      if (!head)
        throw errors.VALIDATION_ERROR('The object was not uploaded', { s3Key: 'No object at this key' });
      if (head.size !== input.byteSize) {
        throw errors.VALIDATION_ERROR(
          `Uploaded size ${head.size} does not match byteSize ${input.byteSize}`,
          {
            byteSize: 'Does not match the uploaded object',
          },
        );
      }
      if (head.contentType && head.contentType !== input.contentType) {
        throw errors.VALIDATION_ERROR('contentType does not match the uploaded object', {
          contentType: 'Does not match the uploaded object',
        });
      }
      const expected = input.sha256.toLowerCase();
      const actual = head.sha256 ?? (await hashObject(objects, input.s3Key));
      if (actual !== expected) {
        throw errors.VALIDATION_ERROR('Uploaded bytes do not match sha256', {
          sha256: 'Does not match the uploaded object',
        });
      }
      const { asset, session: advanced } = await repositories.transaction(async (tx) => {
        const locked = await tx.sessions.lock(sessionId);
        if (!locked) throw errors.VERIFICATION_SESSION_NOT_FOUND();
        const { attempt, next } = acceptSide(
          locked.capture_phase,
          input.side,
          await tx.assets.listForSession(sessionId),
        );
        const inserted = await tx.assets.insert({
          session_id: sessionId,
          side: input.side,
          attempt,
          s3_key: input.s3Key,
          content_type: input.contentType,
          byte_size: input.byteSize,
          sha256: expected,
        });
        // Analysis is started, not awaited: the session shows the asset `pending`, then
        // `processing`, then `completed` or `failed`; webhooks carry the outcome. Proof of address
        // is not analysed.
        if (isAnalyzable(inserted)) await enqueueAnalysis(tx.executor, inserted.id);
        else {
          await tx.assets.setAnalysisStatus(inserted.id, 'skipped');
          inserted.analysis_status = 'skipped';
        }
        const row = await tx.sessions.update(sessionId, { capture_phase: next });
        await tx.auditEvents.append({
          sessionId,
          organizationId: row.organization_id,
          eventType: 'document_uploaded',
          actorType: 'end_user',
          payload: {
            assetId: inserted.id,
            side: input.side,
            byteSize: input.byteSize,
            sha256: expected,
            capturePhase: next,
            attempt,
          },
        });
        return { asset: inserted, session: row };
      });
      views.forget(sessionId);
      return { session: await publicView(advanced), assetId: asset.id };
    },
  };
}

/** Hex sha-256 of a stored object, streamed (for stores that did not record it). */
export async function hashObject(objects: AnyObjectStore, key: string): Promise<string> {
  const { body } = await objects.get(key);
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type VerificationSessions = ReturnType<typeof createVerificationSessions>;
