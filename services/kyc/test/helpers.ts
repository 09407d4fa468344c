import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Contract, type ServiceHarness, serviceHarness } from '@trustplane/kernel/testkit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type {
  AnalyzeOptions,
  DocumentAnalysis,
  DocumentAnalyzer,
} from '../src/analysis/document-analyzer.js';
import { createKycDefinition, kycService } from '../src/index.js';
import type { Kyc } from '../src/kyc.js';

export const contract = Contract.forService(kycService);
export const PASSWORD = 'correct horse battery';

/** Cheap argon2 for behaviour tests: the boot env of `Harness.boot`, beneath the test's own `env`. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KYC_PASSWORD_HASH_MEMORY_KIB: '4096',
    KYC_PASSWORD_HASH_TIME_COST: '1',
    KYC_LOGIN_BASE_DELAY_MS: '1',
    KYC_LOGIN_MAX_DELAY_MS: '5',
    // Models load on the first recording analysed, not in every test file that starts workers.
    KYC_LIVENESS_PRELOAD: '0',
    ...overrides,
  };
}

export interface ScriptedOutcome {
  mrzValid?: boolean;
  mrzFound?: boolean;
  expirationDate?: string;
  ela?: number;
  moire?: number;
  portrait?: boolean;
  fail?: boolean;
}

/**
 * A scripted analyzer for orchestration tests (state machine, webhooks, rejections): the
 * real engines are exercised in analysis.test.ts. `next` sets the outcome of the next analyses.
 */
export class ScriptedAnalyzer implements DocumentAnalyzer {
  next: ScriptedOutcome = {};
  calls: AnalyzeOptions[] = [];
  /** While set, analyses wait for it (a slow analysis, to see the session's progress). */
  hold: Promise<void> | undefined;
  async analyze(_image: Uint8Array, options: AnalyzeOptions): Promise<DocumentAnalysis> {
    this.calls.push(options);
    await this.hold;
    const outcome = this.next;
    if (outcome.fail) throw new Error('undecodable image');
    const heatmap = Buffer.from('89504e470d0a1a0a', 'hex');
    return {
      mrz: options.readMrz
        ? {
            found: outcome.mrzFound ?? true,
            format: 'TD3',
            lines: [
              'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
              'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
            ],
            rawLines: [],
            corrections: [],
            valid: outcome.mrzValid ?? true,
            invalidFields: outcome.mrzValid === false ? ['documentNumberCheckDigit'] : [],
            fields: {
              documentCode: 'P',
              issuingState: 'UTO',
              documentNumber: 'L898902C3',
              lastName: 'ERIKSSON',
              firstName: 'ANNA MARIA',
              nationality: 'UTO',
              birthDate: '740812',
              sex: 'female',
              expirationDate: outcome.expirationDate ?? '341231',
            },
            confidence: 0.9,
            skewDegrees: 0,
            glyphChanges: 0,
            ocr: { passes: 1, skipped: 0, timedOut: false },
          }
        : null,
      ela: {
        score: outcome.ela ?? 0.05,
        heatmap,
        details: { ratio: 2, localized: options.detectPortrait ? 1 : 0 },
      },
      moire: { score: outcome.moire ?? 0.02, heatmap, details: { peak: 1 } },
      portrait: options.detectPortrait
        ? outcome.portrait === false
          ? { found: false, confidence: null, descriptor: null }
          : {
              found: true,
              confidence: 0.99,
              descriptor: Array.from({ length: 128 }, (_, i) => Math.sin(i) / 10),
            }
        : null,
      modelVersions: { documentApi: 'scripted/1' },
    };
  }
  async close(): Promise<void> {}
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export type KycTenant = Awaited<ReturnType<Harness['tenant']>>;

/** kyc's test harness: the kernel's `serviceHarness` (boot, contract-checked inject) plus kyc's journeys. */
export class Harness {
  constructor(
    readonly service: ServiceHarness<KycTenant>,
    readonly kyc: Kyc,
    readonly analyzer: DocumentAnalyzer,
  ) {}

  get booted() {
    return this.service.booted;
  }

  /** `httpPort` sets the port the public URLs (hostedUrl, presigned uploads) point at, for tests that listen on it. */
  static async boot(
    options: {
      /** Default a `ScriptedAnalyzer`; `'service'`: the one the service builds from its config (real engines). */
      analyzer?: DocumentAnalyzer | 'service';
      env?: Record<string, string>;
      workers?: boolean;
      httpPort?: number;
      /** Connect through a relay that `booted.takeDatabaseDown()` can cut. */
      databaseOutage?: boolean;
    } = {},
  ): Promise<Harness> {
    const scripted =
      options.analyzer === 'service' ? undefined : (options.analyzer ?? new ScriptedAnalyzer());
    const definition = createKycDefinition(scripted ? { analyzer: scripted } : {});
    let harness: Harness | undefined;
    const service = await serviceHarness<KycTenant>(
      options.httpPort
        ? { ...definition, ports: { ...definition.ports, http: options.httpPort } }
        : definition,
      {
        contract,
        // Workers run by default: document analysis is a job that upload-complete only starts.
        boot: {
          env: testEnv(options.env),
          workers: options.workers ?? true,
          databaseOutage: options.databaseOutage,
        },
        tenant: () => (harness as Harness).tenant(),
      },
    );
    const kyc = definition.kycFor(service.booted.context);
    harness = new Harness(service, kyc, kyc.analyzer);
    return harness;
  }

  get app() {
    return this.booted.app;
  }

  get scripted(): ScriptedAnalyzer {
    return this.analyzer as ScriptedAnalyzer;
  }

  close() {
    return this.booted.close();
  }

  /** Injects and validates the response against seed 000. */
  call(options: InjectOptions & { skipContract?: boolean }): Promise<LightMyRequestResponse> {
    return this.service.inject({
      ...options,
      method: String(options.method ?? 'GET'),
      url: String(options.url),
    });
  }

  async operator(): Promise<{ cookie: string; userId: string; email: string }> {
    const email = `op-${randomUUID().slice(0, 8)}@example.com`;
    const signup = await this.call({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { fullName: 'Op Erator', email, password: PASSWORD, acceptedTerms: true },
    });
    assert.equal(signup.statusCode, 201, signup.body);
    const login = await this.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const cookie = login.cookies.find((c) => c.name === 'kyc_session');
    assert.ok(cookie);
    return { cookie: `kyc_session=${cookie.value}`, userId: signup.json().user.id, email };
  }

  async organization(cookie: string): Promise<string> {
    const response = await this.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie },
      payload: { customerId: `cust-${randomUUID()}`, legalEmail: 'legal@example.com', displayName: 'Acme' },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().organization.id;
  }

  async keys(cookie: string, organizationId: string, environment: 'test' | 'live' = 'test') {
    const response = await this.call({
      method: 'POST',
      url: `/api/dashboard/organizations/${organizationId}/api-keys`,
      headers: { cookie },
      payload: { environment, label: 'backend' },
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    return { pk: body.publishable.raw as string, sk: body.secret.raw as string, body };
  }

  /** A fresh operator + organization + key pair. */
  async tenant() {
    const operator = await this.operator();
    const organizationId = await this.organization(operator.cookie);
    const keys = await this.keys(operator.cookie, organizationId);
    return { ...operator, organizationId, ...keys };
  }

  async session(sk: string, payload?: Record<string, unknown>) {
    const response = await this.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${sk}` },
      ...(payload ? { payload } : {}),
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { sessionId: string; token: string; hostedUrl: string; expiresAt: string };
  }

  async chooseType(sessionId: string, token: string, documentType: string) {
    const response = await this.call({
      method: 'PATCH',
      url: `/api/verification/sessions/${sessionId}`,
      payload: { documentType, token },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }

  /** PUTs bytes to a presigned URL served by this app. */
  async put(uploadUrl: string, bytes: Buffer, contentType: string) {
    const url = new URL(uploadUrl);
    return this.app.inject({
      method: 'PUT',
      url: `${url.pathname}${url.search}`,
      headers: { 'content-type': contentType, 'content-length': String(bytes.length) },
      payload: bytes,
    });
  }

  /** presign → PUT → upload-complete for one side. */
  async upload(sessionId: string, token: string, side: string, bytes: Buffer, contentType = 'image/jpeg') {
    const presign = await this.call({
      method: 'POST',
      url: `/api/verification/sessions/${sessionId}/presign`,
      payload: { token, side, contentType, byteSize: bytes.length },
    });
    assert.equal(presign.statusCode, 200, presign.body);
    const { uploadUrl, s3Key } = presign.json();
    const put = await this.put(uploadUrl, bytes, contentType);
    assert.ok(put.statusCode < 300, put.body);
    const complete = await this.call({
      method: 'POST',
      url: `/api/verification/sessions/${sessionId}/upload-complete`,
      payload: { token, side, s3Key, contentType, byteSize: bytes.length, sha256: sha256(bytes) },
    });
    return complete;
  }

  /**
   * The session once no asset is `pending` or `processing`: upload-complete only starts document
   * analysis, so a test waits for it the way a client does, by polling the session. The default
   * wait is generous: one real-image analysis took 30–90 s at load 40–50 on 2 cores.
   */
  async analysed(sessionId: string, token: string, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.call({
        method: 'GET',
        url: `/api/verification/sessions/${sessionId}`,
        headers: { 'x-verification-token': token },
      });
      assert.equal(response.statusCode, 200, response.body);
      const session = response.json().session;
      const running = session.assets.some((asset: { analysisStatus: string }) =>
        ['pending', 'processing'].includes(asset.analysisStatus),
      );
      if (!running) return session;
      if (Date.now() > deadline) throw new Error(`analysis of session ${sessionId} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A session taken through passport capture to `complete`. */
  async completedCapture(sk: string, payload?: Record<string, unknown>) {
    const created = await this.session(sk, payload);
    await this.chooseType(created.sessionId, created.token, 'passport');
    const single = await this.upload(
      created.sessionId,
      created.token,
      'single',
      Buffer.from(`passport-${randomUUID()}`),
    );
    assert.equal(single.statusCode, 200, single.body);
    const poa = await this.upload(
      created.sessionId,
      created.token,
      'poa',
      Buffer.from(`%PDF-1.4 ${randomUUID()}`),
      'application/pdf',
    );
    assert.equal(poa.statusCode, 200, poa.body);
    await this.analysed(created.sessionId, created.token);
    return created;
  }
}

/** A synthetic green-channel series: a pulse at `hz` plus noise, sampled at 15 Hz. */
export function greenSeries(
  options: { hz?: number; amplitude?: number; noise?: number; n?: number; seed?: number } = {},
) {
  const { hz = 1.2, amplitude = 0.6, noise = 0.2, n = 120 } = options;
  let state = options.seed ?? 7;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  return Array.from(
    { length: n },
    (_, i) => 120 + 0.01 * i + amplitude * Math.sin((2 * Math.PI * hz * i) / 15) + noise * random() * 2,
  );
}

export const LIVE_LANDMARKS = {
  yawMin: -22,
  yawMax: 24,
  pitchMin: -6,
  pitchMax: 8,
  faceMotionVariance: 0.004,
  depthVarianceProxy: 0.01,
};
