import { BruteForceGuard, deriveKey, hmacSha256Hex, type ServiceContext } from '@trustplane/kernel';
import { createAnalysisPipeline } from './analysis/analysis-pipeline.js';
import type { DocumentAnalyzer } from './analysis/document-analyzer.js';
import { createThreadedDocumentAnalyzer } from './analysis/threaded-document-analyzer.js';
import { createApiKeys } from './api-keys/api-keys.js';
import { createAuditLog } from './audit/audit-log.js';
import { type KycConfig, loadKycConfig } from './config.js';
import { createDashboard } from './dashboard/dashboard.js';
import { createApiKeysRepository } from './db/api-keys-repository.js';
import { createOrganizationsRepository } from './db/organizations-repository.js';
import type { KycDatabase } from './db/tables.js';
import { createUsersRepository } from './db/users-repository.js';
import { createVerificationRepository } from './db/verification-repository.js';
import { analyzeDocumentJob } from './jobs/analyze-document.js';
import { sweepJob } from './jobs/sweep-expired-objects.js';
import { createLiveness } from './liveness/liveness.js';
import { createLivenessAnalysis, livenessAnalysisJob } from './liveness/liveness-analysis.js';
import { createLivenessValidatorClient } from './liveness/liveness-validator.js';
import { createOperatorAuth } from './operators/operator-auth.js';
import { createVerificationSessions } from './verification/verification-sessions.js';
import { createSessionWebhooks } from './webhooks/session-webhooks.js';

export interface KycOptions {
  /** Replaces the vision analyzer (tests of the orchestration only). */
  analyzer?: DocumentAnalyzer;
  config?: KycConfig;
}

/** Composition root: one set of repositories and domain modules per service context. */
export function createKyc(context: ServiceContext, version: string, options: KycOptions = {}) {
  const config = options.config ?? loadKycConfig(process.env);
  const database = context.database<KycDatabase>();
  const db = database.kysely;
  const sealKey = deriveKey(context.signingSecret, 'kyc:webhook-secrets');
  const validatorSecret =
    process.env.LIVENESS_VALIDATOR_SECRET?.trim() ||
    hmacSha256Hex(context.signingSecret, 'kyc:liveness-validator');
  const analyzer = options.analyzer ?? createThreadedDocumentAnalyzer({ ocrWorkers: config.ocrWorkers });
  context.onClose(() => analyzer.close());

  const users = createUsersRepository(db);
  const organizations = createOrganizationsRepository(db);
  const repository = createVerificationRepository(db);
  const audit = createAuditLog(db);
  const webhooks = createSessionWebhooks({
    webhooks: context.webhooks,
    sealKey,
    signingSecret: context.signingSecret,
    config,
  });
  const pipeline = createAnalysisPipeline({
    repository,
    objects: context.objects,
    audit,
    webhooks,
    analyzer,
    config,
    logger: context.logger,
  });
  const livenessAnalysis = createLivenessAnalysis({ repository, objects: context.objects, audit, webhooks });
  const jobs = {
    analyzeDocument: analyzeDocumentJob({ pipeline, config }),
    livenessAnalysis: livenessAnalysisJob(() => livenessAnalysis, config),
    sweep: sweepJob({
      db,
      objects: context.objects,
      audit,
      retentionSeconds: config.objectRetentionSeconds,
    }),
  };
  const sessions = createVerificationSessions({
    repository,
    objects: context.objects,
    audit,
    enqueueAnalysis: (trx, assetId) =>
      context.jobs.send(jobs.analyzeDocument, { assetId }, { transaction: trx }),
    config,
    publicUrl: context.publicUrl,
    sealKey,
  });
  const apiKeys = createApiKeys(createApiKeysRepository(db), context.logger);
  context.onClose(() => apiKeys.drain());
  const validator = createLivenessValidatorClient({
    secret: validatorSecret,
    url: config.livenessValidatorUrl,
    timeoutMs: config.livenessValidatorTimeoutMs,
    sampleRateHz: config.livenessSampleRateHz,
  });
  return {
    context,
    version,
    config,
    database,
    validatorSecret,
    jobs,
    auth: createOperatorAuth(
      users,
      config,
      new BruteForceGuard({
        keyPrefix: 'kyc.login',
        store: context.rateLimitStore(),
        maxFailures: config.loginMaxFailures,
        baseDelayMs: config.loginBaseDelayMs,
        maxDelayMs: config.loginMaxDelayMs,
      }),
    ),
    organizations,
    repository,
    apiKeys,
    audit,
    sessions,
    liveness: createLiveness({
      sessions,
      repository,
      objects: context.objects,
      audit,
      webhooks,
      validator,
      enqueueAnalysis: (trx, attemptId) =>
        context.jobs.send(jobs.livenessAnalysis, { attemptId }, { transaction: trx }),
      config,
    }),
    livenessAnalysis,
    dashboard: createDashboard({ repository, objects: context.objects, audit, pipeline, webhooks, config }),
  };
}

export type Kyc = ReturnType<typeof createKyc>;
