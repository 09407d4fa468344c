import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, startWebhookReceiver } from '@trustplane/kernel/testkit';
import { analyzePulse, detrend } from '../src/liveness/rppg.js';
import { checkLandmarks } from '../src/liveness/landmarks.js';
import { verifyWebhookSignature } from '@trustplane/kernel';
import { greenSeries, Harness, LIVE_LANDMARKS, sha256 } from './helpers.js';

let h: Harness;
before(async () => {
  // Workers on: a linked recording is analysed by the job (these tests link only unreadable ones).
  h = await Harness.boot({ workers: true });
});
after(async () => {
  await h?.close();
});

describe('rPPG pulse check', () => {
  it('finds a 72 bpm pulse under noise and drift', () => {
    const result = analyzePulse(greenSeries({ n: 120 }), 15);
    assert.ok(result.pulse, JSON.stringify(result));
    assert.equal(result.bpm, 72);
  });
  it('refuses flat, drifting and pure-noise series', () => {
    assert.equal(analyzePulse(Array(90).fill(118), 15).pulse, false);
    assert.equal(
      analyzePulse(
        Array.from({ length: 90 }, (_, i) => 100 + i * 0.3),
        15,
      ).pulse,
      false,
    );
    for (const seed of [1, 2, 3, 4, 5]) {
      assert.equal(
        analyzePulse(greenSeries({ n: 120, amplitude: 0, noise: 0.5, seed }), 15).pulse,
        false,
        `seed ${seed}`,
      );
    }
    // A swing of many grey levels at heart rate is a flashing screen or an animation, not blood flow.
    const flashing = analyzePulse(greenSeries({ n: 120, amplitude: 20, noise: 1 }), 15);
    assert.equal(flashing.pulse, false);
    assert.ok(flashing.pulseAmplitude > 10, JSON.stringify(flashing));
    // A periodic signal outside the heart-rate band (mains flicker aliasing at 6 Hz) is no pulse.
    assert.equal(analyzePulse(greenSeries({ n: 120, hz: 6, noise: 0.05 }), 15).pulse, false);
  });
  it('detrends a line to zero', () => {
    assert.ok(detrend([1, 2, 3, 4, 5]).every((value) => Math.abs(value) < 1e-9));
  });
});

describe('landmark plausibility', () => {
  it('accepts a natural head turn and blink summary', () => {
    assert.deepEqual(checkLandmarks(LIVE_LANDMARKS, 'head_turn'), []);
    assert.deepEqual(checkLandmarks({ ...LIVE_LANDMARKS, yawMin: -3, yawMax: 4 }, 'blink'), []);
  });
  it('flags flat, frozen, impossible summaries and a head turn without yaw', () => {
    assert.deepEqual(checkLandmarks({ ...LIVE_LANDMARKS, yawMin: -3, yawMax: 4 }, 'head_turn'), [
      'HEAD_TURN_NOT_DETECTED',
    ]);
    assert.ok(checkLandmarks({ ...LIVE_LANDMARKS, depthVarianceProxy: 0 }, 'blink').includes('FLAT_FACE'));
    assert.ok(
      checkLandmarks({ ...LIVE_LANDMARKS, faceMotionVariance: 0 }, 'blink').includes('NO_NATURAL_MOTION'),
    );
    assert.deepEqual(checkLandmarks({ ...LIVE_LANDMARKS, yawMin: 30, yawMax: -30 }, 'head_turn'), [
      'LANDMARKS_IMPOSSIBLE',
    ]);
    assert.deepEqual(checkLandmarks({ ...LIVE_LANDMARKS, yawMax: 170 }, 'head_turn'), [
      'LANDMARKS_IMPOSSIBLE',
    ]);
  });
});

function probe(token: string, requestId: string, overrides: Record<string, unknown> = {}) {
  return {
    token,
    requestId,
    challengeType: 'head_turn',
    greenChannelMean: greenSeries({ n: 120 }),
    landmarksSummary: LIVE_LANDMARKS,
    ...overrides,
  };
}

async function init(sessionId: string, token: string) {
  return h.call({
    method: 'POST',
    url: `/api/verification/sessions/${sessionId}/liveness/init`,
    headers: { 'x-verification-token': token },
  });
}

/**
 * A liveness challenge on the captured session `s`, `video` uploaded as its recording through
 * presign-video, then complete: complete's answer.
 */
async function completeWithVideo(on: Harness, s: { sessionId: string; token: string }, video: Buffer) {
  const started = await on.call({
    method: 'POST',
    url: `/api/verification/sessions/${s.sessionId}/liveness/init`,
    headers: { 'x-verification-token': s.token },
  });
  const { requestId } = started.json();
  const presign = await on.call({
    method: 'POST',
    url: `/api/verification/sessions/${s.sessionId}/liveness/presign-video`,
    payload: { token: s.token, requestId, contentType: 'video/webm', byteSize: video.length },
  });
  const { uploadUrl, s3Key } = presign.json();
  assert.ok((await on.put(uploadUrl, video, 'video/webm')).statusCode < 300);
  return on.call({
    method: 'POST',
    url: `/api/verification/sessions/${s.sessionId}/liveness/complete`,
    payload: probe(s.token, requestId, { videoS3Key: s3Key, videoByteSize: video.length }),
  });
}

/** The session's liveness attempt as the dashboard shows it, once its analysis decided it. */
function decidedAttempt(on: Harness, sessionId: string, cookie: string, what: string, timeoutMs: number) {
  return eventually(
    async () => {
      const detail = await on.call({
        method: 'GET',
        url: `/api/dashboard/verifications/${sessionId}`,
        headers: { cookie },
      });
      const [row] = detail.json().livenessAttempts;
      return row.status === 'analyzing' ? undefined : row;
    },
    what,
    timeoutMs,
    100,
  );
}

describe('liveness flow', () => {
  it('init needs capture complete and hands out a new random challenge per requestId', async () => {
    const t = await h.tenant();
    const early = await h.session(t.sk);
    const refused = await init(early.sessionId, early.token);
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error, 'VALIDATION_ERROR');

    const s = await h.completedCapture(t.sk);
    const first = await init(s.sessionId, s.token);
    assert.equal(first.statusCode, 201, first.body);
    const { requestId, challenge } = first.json();
    assert.equal(challenge.steps.length, 3);
    let previous = { action: '', windowStartMs: 0, windowEndMs: 0 };
    for (const step of challenge.steps) {
      assert.ok(['turn_left', 'turn_right', 'blink'].includes(step.action), step.action);
      assert.notEqual(step.action, previous.action);
      assert.ok(step.windowStartMs > previous.windowStartMs && step.windowEndMs > step.windowStartMs);
      previous = step;
    }
    assert.ok(challenge.recordingMs >= previous.windowEndMs);
    // Stored with the request: the analysis reads it from the database, never from the client.
    const row = await h.kyc.database.kysely
      .selectFrom('liveness_attempts')
      .select('challenge')
      .where('client_request_id', '=', requestId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row.challenge, challenge);
    // New for every request: of a few draws, not all alike.
    const second = (await init(s.sessionId, s.token)).json();
    const third = (await init(s.sessionId, s.token)).json();
    assert.notEqual(second.requestId, requestId);
    const shapes = new Set([challenge, second.challenge, third.challenge].map((c) => JSON.stringify(c)));
    assert.ok(shapes.size > 1, 'three identical challenges in a row');
  });

  it('complete without a recording routes the attempt to review, never to a pass, once (anti-replay)', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const { requestId } = (await init(s.sessionId, s.token)).json();
    const url = `/api/verification/sessions/${s.sessionId}/liveness/complete`;
    // A probe that the validator finds perfectly live: still not a pass without a recording.
    const done = await h.call({
      method: 'POST',
      url,
      payload: probe(s.token, requestId, { texturePatchB64: null }),
    });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().passed, false, done.body);
    assert.equal(done.json().status, 'review');
    assert.deepEqual(done.json().failureCodes, ['VIDEO_MISSING']);
    const replay = await h.call({ method: 'POST', url, payload: probe(s.token, requestId) });
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().error, 'LIVENESS_REQUEST_INVALID');
    const unknown = await h.call({ method: 'POST', url, payload: probe(s.token, randomUUID()) });
    assert.equal(unknown.json().error, 'LIVENESS_REQUEST_INVALID');
    const invalid = await h.call({
      method: 'POST',
      url,
      payload: probe(s.token, randomUUID(), { greenChannelMean: [1, 2, 3] }),
    });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error, 'VALIDATION_ERROR');
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    const [attempt] = detail.json().livenessAttempts;
    assert.equal(attempt.status, 'review');
    assert.equal(attempt.failureReason, 'VIDEO_MISSING');
    // The probe's own verdict is kept as a signal only.
    assert.equal(attempt.signalsJson.clientProbe.passed, true);
    assert.equal(detail.json().session.riskLabel, 'medium');
    assert.equal(detail.json().session.faceSimilarityScore, null);
  });

  it('concurrent completes of one requestId: exactly one is accepted', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const { requestId } = (await init(s.sessionId, s.token)).json();
    const url = `/api/verification/sessions/${s.sessionId}/liveness/complete`;
    const results = await Promise.all(
      [1, 2, 3].map(() => h.call({ method: 'POST', url, payload: probe(s.token, requestId) })),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400, 400]);
  });

  it('keeps a failing probe (no pulse, flat face) as signals; without a recording the attempt goes to review', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const { requestId } = (await init(s.sessionId, s.token)).json();
    const response = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/complete`,
      payload: probe(s.token, requestId, {
        greenChannelMean: Array(60).fill(120),
        landmarksSummary: { ...LIVE_LANDMARKS, depthVarianceProxy: 0 },
      }),
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().passed, false);
    assert.deepEqual(response.json().failureCodes, ['VIDEO_MISSING']);
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    const attempt = detail.json().livenessAttempts[0];
    assert.equal(attempt.status, 'review');
    assert.deepEqual(attempt.signalsJson.clientProbe.failureCodes, ['NO_PULSE_SIGNAL', 'FLAT_FACE']);
  });

  it('allows 5 attempts per session, then 429 LIVENESS_ATTEMPTS_EXCEEDED, also when they race', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.app.inject({
          method: 'POST',
          url: `/api/verification/sessions/${s.sessionId}/liveness/init`,
          headers: { 'x-verification-token': s.token },
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 201, 201, 201, 201, 429, 429, 429]);
    const refused = results.find((r) => r.statusCode === 429);
    assert.equal(refused?.json().error, 'LIVENESS_ATTEMPTS_EXCEEDED');
    assert.equal(refused?.json().ok, false);
    assert.doesNotMatch(refused?.json().message ?? '', /threshold/i);
    const rows = await h.kyc.repositories.liveness.listForSession(s.sessionId);
    assert.equal(rows.length, 5);
  });

  it('presign-video binds a webm upload; complete checks its size and digest; the job fails bytes that are no video', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const { requestId } = (await init(s.sessionId, s.token)).json();
    const video = Buffer.from(`\x1aE\xdf\xa3 webm ${randomUUID()}`);
    const presignUrl = `/api/verification/sessions/${s.sessionId}/liveness/presign-video`;
    const wrongType = await h.call({
      method: 'POST',
      url: presignUrl,
      payload: { token: s.token, requestId, contentType: 'image/gif', byteSize: video.length },
    });
    assert.equal(wrongType.statusCode, 400);
    const tooBig = await h.call({
      method: 'POST',
      url: presignUrl,
      payload: { token: s.token, requestId, contentType: 'video/webm', byteSize: 26 * 1024 * 1024 },
    });
    assert.equal(tooBig.statusCode, 400);
    const badRequest = await h.call({
      method: 'POST',
      url: presignUrl,
      payload: { token: s.token, requestId: randomUUID(), contentType: 'video/webm', byteSize: video.length },
    });
    assert.equal(badRequest.json().error, 'LIVENESS_REQUEST_INVALID');
    const presign = await h.call({
      method: 'POST',
      url: presignUrl,
      payload: { token: s.token, requestId, contentType: 'video/webm;codecs=vp8', byteSize: video.length },
    });
    assert.equal(presign.statusCode, 200, presign.body);
    const { uploadUrl, s3Key } = presign.json();
    const completeUrl = `/api/verification/sessions/${s.sessionId}/liveness/complete`;
    const missing = await h.call({
      method: 'POST',
      url: completeUrl,
      payload: probe(s.token, requestId, { videoS3Key: s3Key, videoByteSize: video.length }),
    });
    assert.equal(missing.statusCode, 400);
    const put = await h.put(uploadUrl, video, 'video/webm;codecs=vp8');
    assert.ok(put.statusCode < 300, put.body);
    const wrongSize = await h.call({
      method: 'POST',
      url: completeUrl,
      payload: probe(s.token, requestId, { videoS3Key: s3Key, videoByteSize: video.length + 1 }),
    });
    assert.equal(wrongSize.statusCode, 400);
    const wrongDigest = await h.call({
      method: 'POST',
      url: completeUrl,
      payload: probe(s.token, requestId, {
        videoS3Key: s3Key,
        videoByteSize: video.length,
        videoSha256: 'b'.repeat(64),
      }),
    });
    assert.equal(wrongDigest.statusCode, 400);
    const ok = await h.call({
      method: 'POST',
      url: completeUrl,
      payload: probe(s.token, requestId, {
        videoS3Key: s3Key,
        videoByteSize: video.length,
        videoSha256: sha256(video),
      }),
    });
    assert.equal(ok.statusCode, 200, ok.body);
    // Decided by the analysis job from the bytes (a WebM magic number and text): unreadable.
    assert.deepEqual(ok.json(), {
      ok: true,
      passed: false,
      confidenceScore: 0,
      failureCodes: ['VIDEO_UNREADABLE'],
      status: 'failed',
    });
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    const attempt = detail.json().livenessAttempts[0];
    assert.equal(attempt.status, 'failed');
    assert.equal(attempt.failureReason, 'VIDEO_UNREADABLE');
    assert.equal(attempt.signalsJson.source, 'server-video');
    assert.equal(attempt.videoReferenceUrl, s3Key);
    assert.ok(attempt.livenessVideoPlaybackUrl);
    const row = await h.kyc.database.kysely
      .selectFrom('liveness_attempts')
      .select('video_sha256')
      .where('id', '=', attempt.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.video_sha256, sha256(video));
  });

  it('documents the extensions in the OpenAPI document: the challenge, the status, the attempt limit', async () => {
    const paths = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
    const base = '/api/verification/sessions/{sessionId}/liveness';
    const schemaOf = (
      operation: { responses: Record<string, { content: Record<string, { schema: unknown }> }> },
      status: string,
    ) => JSON.stringify(operation.responses[status]?.content['application/json']?.schema);
    const init = paths[`${base}/init`].post;
    assert.match(schemaOf(init, '201'), /"challenge".*Not in the seed/);
    assert.match(schemaOf(init, '201'), /turn_left.*turn_right.*blink/);
    assert.match(JSON.stringify(init.responses['429']), /LIVENESS_ATTEMPTS_EXCEEDED/);
    assert.match(schemaOf(paths[`${base}/complete`].post, '200'), /"status".*pending.*review/);
  });

  it('the in-process validator endpoint refuses unsigned requests', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/internal/liveness/validate',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ greenChannelMean: [] }),
    });
    assert.equal(response.statusCode, 401);
  });
});

describe('liveness validator unreachable', () => {
  it('answers 503 LIVENESS_SERVICE_UNAVAILABLE and keeps the requestId usable', async () => {
    const other = await Harness.boot({
      env: { LIVENESS_VALIDATOR_URL: 'http://127.0.0.1:9/validate', LIVENESS_VALIDATOR_TIMEOUT_MS: '500' },
    });
    try {
      const t = await other.tenant();
      const s = await other.completedCapture(t.sk);
      const started = await other.call({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/liveness/init?token=${encodeURIComponent(s.token)}`,
      });
      const { requestId } = started.json();
      const response = await other.call({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/liveness/complete`,
        payload: probe(s.token, requestId),
      });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().error, 'LIVENESS_SERVICE_UNAVAILABLE');
      const row = await other.kyc.database.kysely
        .selectFrom('liveness_attempts')
        .selectAll()
        .where('client_request_id', '=', requestId)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending');
    } finally {
      await other.close();
    }
  });
});

describe('an analysis that outlasts the wait', () => {
  it('complete answers pending; the dashboard and the webhook carry the verdict', async () => {
    const receiver = await startWebhookReceiver();
    // KYC_LIVENESS_WAIT_SECONDS=0: complete never waits for the job.
    const other = await Harness.boot({ workers: true, env: { KYC_LIVENESS_WAIT_SECONDS: '0' } });
    try {
      const t = await other.tenant();
      const secret = 'whsec-pending-0123456789';
      const s = await other.completedCapture(t.sk, { webhookUrl: receiver.url, webhookSecret: secret });
      const video = Buffer.from(`\x1aE\xdf\xa3 not a recording ${randomUUID()}`);
      const done = await completeWithVideo(other, s, video);
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(done.json(), {
        ok: true,
        passed: false,
        confidenceScore: 0,
        failureCodes: ['ANALYSIS_PENDING'],
        status: 'pending',
      });
      const attempt = await decidedAttempt(
        other,
        s.sessionId,
        t.cookie,
        'the liveness attempt to be decided',
        120_000,
      );
      assert.equal(attempt.status, 'failed');
      assert.equal(attempt.failureReason, 'VIDEO_UNREADABLE');
      const delivery = await eventually(
        () =>
          receiver.received.find(
            (r) =>
              r.headers['x-trustplane-event'] === 'verification.completed' &&
              JSON.parse(r.body).data.liveness,
          ),
        'the liveness outcome webhook',
        60_000,
        100,
      );
      assert.ok(
        verifyWebhookSignature(secret, delivery.body, delivery.headers['x-trustplane-signature'] as string),
      );
      assert.deepEqual(JSON.parse(delivery.body).data.liveness, {
        passed: false,
        confidenceScore: 0,
        failureCodes: ['VIDEO_UNREADABLE'],
        status: 'failed',
      });
    } finally {
      await other.close();
      await receiver.close();
    }
  });
});

describe('an analysis that cannot run', () => {
  it('is retried, then the attempt goes to review (ANALYSIS_UNAVAILABLE), never passed', async () => {
    const other = await Harness.boot({ workers: true, env: { KYC_LIVENESS_WAIT_SECONDS: '0' } });
    const objects = other.booted.context.objects;
    const original = objects.get.bind(objects);
    let refused = 0;
    // The storage cannot serve liveness recordings: every run of the job fails reading it.
    objects.get = async (key, ...rest) => {
      if (key.includes('/liveness/')) {
        refused += 1;
        throw new Error('storage unavailable');
      }
      return original(key, ...rest);
    };
    try {
      const t = await other.tenant();
      const s = await other.completedCapture(t.sk);
      const video = Buffer.from(`\x1aE\xdf\xa3 unreadable from storage ${randomUUID()}`);
      const done = await completeWithVideo(other, s, video);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'pending');
      const attempt = await decidedAttempt(
        other,
        s.sessionId,
        t.cookie,
        'the liveness attempt to fail',
        180_000,
      );
      assert.equal(attempt.status, 'review');
      assert.equal(attempt.failureReason, 'ANALYSIS_UNAVAILABLE');
      // The first run and both retries each tried to read the recording.
      assert.equal(refused, 3);
    } finally {
      objects.get = original;
      await other.close();
    }
  });
});
