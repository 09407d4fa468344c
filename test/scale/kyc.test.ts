// kyc on two instances: a hosted verification session started on one instance is carried on and
// finished on the other (document type, upload to S3 through a presigned URL, analysis by
// whichever instance's worker takes it, the operator's review), and each webhook arrives once.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startWebhookReceiver, type WebhookReceiver } from '@trustplane/kernel/testkit';
import { DOCUMENTS_DIR } from '@trustplane/vision/testkit';
import { call, sleep } from './support/http.js';
import { kycTenant } from './support/kyc.js';
import { scaleLane } from './support/topology.js';

const { skip, lane } = await scaleLane();
const kyc = (index: 1 | 2) => lane.instances[index - 1]!.urls.kyc!;

describe('kyc across two instances', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    if (skip) return;
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  test('a hosted session started on one instance is finished on the other; each webhook arrives once', {
    skip,
  }, async () => {
    const { cookie, ip, sk } = await kycTenant(lane);
    const secret = `whsec-${randomUUID()}`;
    const created = await call(kyc(1), 'POST', '/api/verification/sessions', {
      clientIp: ip,
      token: sk,
      body: { webhookUrl: `${receiver.origin}/kyc`, webhookSecret: secret },
    });
    assert.equal(created.status, 201, created.text);
    const { sessionId, token } = created.body;
    const chosen = await call(kyc(2), 'PATCH', `/api/verification/sessions/${sessionId}`, {
      clientIp: ip,
      body: { documentType: 'passport', token },
    });
    assert.equal(chosen.status, 200, chosen.text);

    const passport = fs.readFileSync(new URL('td3-fra-martin-recto.jpg', DOCUMENTS_DIR));
    const presign = await call(kyc(1), 'POST', `/api/verification/sessions/${sessionId}/presign`, {
      clientIp: ip,
      body: { token, side: 'single', contentType: 'image/jpeg', byteSize: passport.length },
    });
    assert.equal(presign.status, 200, presign.text);
    const { uploadUrl, s3Key, headers } = presign.body;
    // The presigned URL is the S3 server's own: the bytes go there, not to an instance.
    assert.ok(String(uploadUrl).startsWith(lane.s3.endpoint), uploadUrl);
    const put = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg', ...(headers ?? {}) },
      body: new Uint8Array(passport),
    });
    assert.ok(put.status < 300, `${put.status} ${await put.text()}`);
    const complete = await call(kyc(2), 'POST', `/api/verification/sessions/${sessionId}/upload-complete`, {
      clientIp: ip,
      body: {
        token,
        side: 'single',
        s3Key,
        contentType: 'image/jpeg',
        byteSize: passport.length,
        sha256: createHash('sha256').update(passport).digest('hex'),
      },
    });
    assert.equal(complete.status, 200, complete.text);

    // Analysed by whichever instance's worker took the job; read through the balancer.
    const deadline = Date.now() + 300_000;
    let session: { assets: { analysisStatus: string }[]; reviewStatus: string };
    for (;;) {
      const read = await call(lane.balancer.kyc!, 'GET', `/api/verification/sessions/${sessionId}`, {
        clientIp: ip,
        headers: { 'x-verification-token': token },
      });
      assert.equal(read.status, 200, read.text);
      session = read.body.session;
      if (!session.assets.some((asset) => ['pending', 'processing'].includes(asset.analysisStatus))) break;
      assert.ok(Date.now() < deadline, 'the analysis finished');
      await sleep(250);
    }
    assert.equal(session.assets[0]!.analysisStatus, 'completed', JSON.stringify(session));

    // The operator finishes it on the instance that did not start it.
    if (session.reviewStatus !== 'approved' && session.reviewStatus !== 'rejected') {
      const review = await call(kyc(2), 'POST', `/api/dashboard/verifications/${sessionId}/review`, {
        clientIp: ip,
        headers: { cookie },
        body: { decision: 'approve', rationale: 'checked by the scale lane operator' },
      });
      assert.equal(review.status, 200, review.text);
    }

    const events = ['verification.extraction', 'verification.completed'];
    const forSession = () =>
      receiver.received.filter(
        (entry) => entry.path === '/kyc' && JSON.parse(entry.body).sessionId === sessionId,
      );
    const waitUntil = Date.now() + 60_000;
    while (
      events.some((event) => !forSession().some((entry) => entry.headers['x-trustplane-event'] === event))
    ) {
      assert.ok(
        Date.now() < waitUntil,
        `webhooks: ${forSession().map((entry) => entry.headers['x-trustplane-event'])}`,
      );
      await sleep(200);
    }
    const deliveries = forSession();
    const byEvent = (event: string) =>
      deliveries.filter((entry) => entry.headers['x-trustplane-event'] === event);
    for (const event of events) assert.equal(byEvent(event).length, 1, `${event} delivered once`);
    const ids = deliveries.map((entry) => entry.headers['x-trustplane-delivery']);
    assert.equal(new Set(ids).size, ids.length, 'every delivery id once');
  });
});
