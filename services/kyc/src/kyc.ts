import { BruteForceGuard, deriveKey, hmacSha256Hex, type ServiceContext } from '@trustplane/kernel';
import { createAnalysisPipeline } from './analysis/analysis-pipeline.js';
import type { DocumentAnalyzer } from './analysis/document-analyzer.js';
import { createThreadedDocumentAnalyzer } from './analysis/threaded-document-analyzer.js';
import { createApiKeys } from './api-keys/api-keys.js';
import { type KycConfig, loadKycConfig } from './config.js';
import { createDashboard } from './dashboard/dashboard.js';
import { createRepositories } from './db/repositories.js';
import type { KycDatabase } from './db/tables.js';
import { analyzeDocumentJob } from './jobs/analyze-document.js';
import { sweepJob } from './jobs/sweep-expired-objects.js';
import { createLiveness } from './liveness/liveness.js';
import { createLivenessAnalysis, livenessAnalysisJob } from './liveness/liveness-analysis.js';
import { createLivenessValidatorClient } from './liveness/liveness-validator.js';
import { createOperatorAuth } from './operators/operator-auth.js';
import { createOrganizations } from './organizations/organizations.js';
import { createSessionViews } from './verification/session-views.js';
import { createHostedFlow } from './verification/hosted-flow.js';
import { createVerificationSessions } from './verification/verification-sessions.js';
import { createSessionWebhooks } from './webhooks/session-webhooks.js';

export interface KycOptions {
  /** Replaces the vision analyzer (tests of the orchestration only). */
  analyzer?: DocumentAnalyzer;
  config?: KycConfig;
}

/** Composition root: one set of repositories and domain modules per service context. */
export function createKyc(context: ServiceContext, version: string, options: KycOptions = {}) {
  const config = options.config ?? loadKycConfig(context.env);
  const database = context.database<KycDatabase>();
  const sealKey = deriveKey(context.signingSecret, 'kyc:webhook-secrets');
  const validatorSecret =
    config.livenessValidatorSecret ?? hmacSha256Hex(context.signingSecret, 'kyc:liveness-validator');
  const analyzer =
    options.analyzer ??
    createThreadedDocumentAnalyzer({
      ocrWorkers: config.ocrWorkers,
      ocrBudgetMs: config.ocrBudgetMs,
    });
  context.onClose(() => analyzer.close());

  const repositories = createRepositories(database.kysely);
  const views = createSessionViews(repositories);
  const webhooks = createSessionWebhooks({
    webhooks: context.webhooks,
    sealKey,
    signingSecret: context.signingSecret,
    config,
  });
  const pipeline = createAnalysisPipeline({
    repositories,
    views,
    objects: context.objects,
    webhooks,
    analyzer,
    config,
    logger: context.logger,
  });
  const livenessAnalysis = createLivenessAnalysis({
    repositories,
    views,
    objects: context.objects,
    webhooks,
  });
  const jobs = {
    analyzeDocument: analyzeDocumentJob({ pipeline, config }),
    livenessAnalysis: livenessAnalysisJob(() => livenessAnalysis, config),
    sweep: sweepJob({
      repositories,
      objects: context.objects,
      retentionSeconds: config.objectRetentionSeconds,
    }),
  };
  const sessions = createVerificationSessions({
    repositories,
    views,
    objects: context.objects,
    enqueueAnalysis: (transaction, assetId) =>
      context.jobs.send(jobs.analyzeDocument, { assetId }, { transaction }),
    config,
    publicUrl: context.publicUrl,
    sealKey,
  });
  const apiKeys = createApiKeys(repositories, context.logger);
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
    analyzer,
    validatorSecret,
    jobs,
    auth: createOperatorAuth(
      repositories,
      config,
      new BruteForceGuard({
        keyPrefix: 'kyc.login',
        store: context.rateLimitStore(),
        maxFailures: config.loginMaxFailures,
        baseDelayMs: config.loginBaseDelayMs,
        maxDelayMs: config.loginMaxDelayMs,
      }),
    ),
    organizations: createOrganizations(repositories),
    repositories,
    sessionViews: views,
    apiKeys,
    sessions,
    hostedFlow: createHostedFlow({ repositories, views }),
    liveness: createLiveness({
      sessions,
      repositories,
      views,
      objects: context.objects,
      webhooks,
      validator,
      enqueueAnalysis: (transaction, attemptId) =>
        context.jobs.send(jobs.livenessAnalysis, { attemptId }, { transaction }),
      config,
    }),
    livenessAnalysis,
    dashboard: createDashboard({ repositories, views, objects: context.objects, pipeline, webhooks, config }),
  };
}

export type Kyc = ReturnType<typeof createKyc>;
