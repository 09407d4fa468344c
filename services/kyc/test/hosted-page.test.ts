import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateVideo, motionForChallenge } from '@trustplane/vision/testkit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createThreadedDocumentAnalyzer } from '../src/analysis/threaded-document-analyzer.js';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('hosted flow page', () => {
  it('serves the page at hostedUrl (token only in the fragment) with a strict CSP, and its assets', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk, { returnUrl: 'https://tenant.example/kyc-done' });
    const url = new URL(s.hostedUrl);
    assert.equal(url.pathname, `/verify/${s.sessionId}`);
    assert.equal(new URLSearchParams(url.hash.slice(1)).get('token'), s.token);
    assert.equal(url.search, '');
    const page = await h.app.inject({ method: 'GET', url: url.pathname });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.equal(
      page.headers['content-security-policy'],
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' blob: data:;" +
        "media-src 'self' blob: mediastream:;connect-src 'self';object-src 'none';base-uri 'none';" +
        "form-action 'none';frame-ancestors 'none'",
    );
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-store');
    // The Vite build: relative asset URLs (resolved under /verify/), no inline script or style.
    const assets = [...page.body.matchAll(/(?:src|href)="\.\/assets\/([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.some((name) => name.endsWith('.js')) && assets.some((name) => name.endsWith('.css')));
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(page.body, /<style|style="/);
    for (const asset of assets) {
      const response = await h.app.inject({ method: 'GET', url: `/verify/assets/${asset}` });
      assert.equal(response.statusCode, 200, asset);
      assert.match(
        String(response.headers['content-type']),
        asset.endsWith('.js') ? /javascript/ : /text\/css/,
      );
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal((await h.app.inject({ method: 'GET', url: '/verify/assets/app.js' })).statusCode, 404);
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/verify/assets/..%2Fpackage.json' })).statusCode,
      404,
    );
    // Nothing outside assets/ is reachable through it (`../` itself is resolved before routing).
    for (const attempt of ['..%2Findex.html', '%2e%2e%2findex.html', '..%2F.source-hash']) {
      assert.equal((await h.app.inject({ method: 'GET', url: `/verify/assets/${attempt}` })).statusCode, 404);
    }
  });

  it('hands the page returnUrl?session_id=…&status=… for its own token only', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk, { returnUrl: 'https://tenant.example/kyc-done?ref=9' });
    const response = await h.app.inject({
      method: 'GET',
      url: `/verify/${s.sessionId}/return`,
      headers: { 'x-verification-token': s.token },
    });
    assert.equal(response.statusCode, 200);
    const returnUrl = new URL(response.json().returnUrl);
    assert.equal(returnUrl.searchParams.get('session_id'), s.sessionId);
    assert.equal(returnUrl.searchParams.get('status'), 'pending');
    assert.equal(returnUrl.searchParams.get('ref'), '9');
    const wrong = await h.app.inject({
      method: 'GET',
      url: `/verify/${s.sessionId}/return`,
      headers: { 'x-verification-token': 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
  });
});

describe('CORS for the widget', () => {
  it('session-scoped routes allow any origin (token auth, no cookies); creation does not', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    const preflight = await h.app.inject({
      method: 'OPTIONS',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      headers: { origin: 'https://tenant.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-verification-token/);
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET, PATCH, POST');
    assert.equal(preflight.headers['access-control-max-age'], '600');
    // Only the session routes answer a preflight.
    const elsewhere = await h.app.inject({
      method: 'OPTIONS',
      url: '/api/verification/sessions',
      headers: { origin: 'https://tenant.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(elsewhere.statusCode, 404);
    assert.equal(elsewhere.headers['access-control-allow-origin'], undefined);
    // An error answer is readable by the widget too.
    const refused = await h.app.inject({
      method: 'GET',
      url: `/api/verification/sessions/${s.sessionId}`,
      headers: { origin: 'https://tenant.example', 'x-verification-token': 'nope' },
    });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['access-control-allow-origin'], '*');
    const get = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${s.sessionId}`,
      headers: { origin: 'https://tenant.example', 'x-verification-token': s.token },
    });
    assert.equal(get.headers['access-control-allow-origin'], '*');
    assert.equal(get.headers['access-control-expose-headers'], 'x-request-id');
    const create = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${t.sk}` },
    });
    assert.equal(create.headers['access-control-allow-origin'], undefined);
  });
});

const CHROMIUM = '/usr/bin/chromium';
/** Waits that cover server work (document OCR, video analysis): generous, a shared machine can be very busy. */
const SERVER_WORK = 300_000;
const DOCUMENTS = new URL('../../../packages/vision/test/documents/', import.meta.url);
const RETURN_URL = 'https://tenant.example/kyc-done?ref=42';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** A free local port: the service's public URL (hostedUrl, presigned upload URLs) must be where it listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // Nothing but the service under test resolves.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ...extraArgs,
    ],
  });
}

/** The person of the fake camera: another photograph of the man on the ID card's portrait. */
const SUBJECT = 'obama_2012_oval_office_portrait.jpg';
const CAMERA = { width: 480, height: 360, fps: 20 } as const;

describe('hosted flow in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, () => {
  let b: Harness;
  let origin: string;
  let tmp: string;
  const browsers: Browser[] = [];

  before(async () => {
    const port = await freePort();
    // The real vision analyzer: the page uploads generated documents and they are analysed for real.
    b = await Harness.boot({
      analyzer: createThreadedDocumentAnalyzer({ ocrWorkers: 1 }),
      httpPort: port,
      // Workers analyse the recordings; complete waits for the verdict however busy the machine is.
      workers: true,
      env: { TRUSTPLANE_PUBLIC_HOST: '127.0.0.1', KYC_LIVENESS_WAIT_SECONDS: '600' },
    });
    await b.app.listen({ port, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${port}`;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kyc-browser-'));
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    await b?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A page whose requests reach only the service; the tenant's return page is answered here. */
  async function open(browser: Browser) {
    const context: BrowserContext = await browser.newContext({ permissions: ['camera'] });
    const requests: string[] = [];
    const blocked: string[] = [];
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin === origin) {
        requests.push(`${route.request().method()} ${url.pathname}`);
        return route.continue();
      }
      if (url.origin === 'https://tenant.example') {
        return route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Back at the tenant</h1>' });
      }
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    const page: Page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    return { context, page, requests, blocked, problems };
  }

  async function detail(sessionId: string, cookie: string) {
    const response = await b.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${sessionId}`,
      headers: { cookie },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }

  function assertReturned(page: Page, sessionId: string, status: string) {
    const returned = new URL(page.url());
    assert.equal(returned.origin, 'https://tenant.example');
    assert.equal(returned.pathname, '/kyc-done');
    assert.equal(returned.searchParams.get('session_id'), sessionId);
    assert.equal(returned.searchParams.get('status'), status);
    assert.equal(returned.searchParams.get('ref'), '42');
  }

  it('walks an ID card through type, both sides (files) and proof of address (camera); the fake camera fails liveness, said plainly', async () => {
    const browser = await launch();
    browsers.push(browser);
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: RETURN_URL });
    assert.ok(s.hostedUrl.startsWith(`${origin}/verify/`), s.hostedUrl);
    const { context, page, requests, blocked, problems } = await open(browser);
    try {
      await page.goto(s.hostedUrl);
      // The token leaves the address bar (and history) once read.
      await page.waitForFunction('location.hash === ""');
      await page.getByRole('button', { name: 'ID card' }).click();

      const upload = async (side: string, file: { name: string; mimeType: string; buffer: Buffer }) => {
        await page
          .locator(`#step-capture[data-side="${side}"]:not([hidden])`)
          .waitFor({ timeout: SERVER_WORK });
        await page.locator('#file').setInputFiles(file);
      };
      const jpeg = async (name: string) => ({
        name,
        mimeType: 'image/jpeg',
        buffer: await readFile(new URL(name, DOCUMENTS)),
      });
      await upload('front', await jpeg('td1-deu-schmidt-recto.jpg'));
      await upload('back', await jpeg('td1-deu-schmidt-verso.jpg'));
      // The proof of address through the camera: a photo of the (fake) camera's frame.
      await page.locator('#step-capture[data-side="poa"]:not([hidden])').waitFor({ timeout: SERVER_WORK });
      await page.getByRole('button', { name: 'Use camera' }).click();
      await page.getByRole('button', { name: 'Take photo' }).click();

      // Chromium's default fake camera is an animated test pattern: no face. The page records it
      // while prompting the challenge, uploads it, and the server analyses it.
      await page.locator('#step-liveness:not([hidden])').waitFor({ timeout: SERVER_WORK });
      await page.getByRole('button', { name: 'Start' }).click();
      await page.locator('#liveness-retry:not([hidden])').waitFor({ timeout: SERVER_WORK });

      // upload-complete only started the analyses: the dashboard has them once they finish.
      await b.analysed(s.sessionId, s.token);
      const { session, assets, analysisResults, livenessAttempts } = await detail(s.sessionId, t.cookie);
      assert.equal(session.documentType, 'id_card');
      assert.equal(session.capturePhase, 'complete');
      assert.deepEqual(assets.map((a: { side: string }) => a.side).sort(), ['back', 'front', 'poa']);
      assert.equal(assets.find((a: { side: string }) => a.side === 'poa').contentType, 'image/jpeg');
      // The uploaded documents went through the real analysis (the MRZ is on the back).
      assert.equal(analysisResults.length, 2);
      const back = assets.find((a: { side: string }) => a.side === 'back');
      const extracted = analysisResults.find((r: { assetId: string }) => r.assetId === back.id).extracted;
      assert.match(JSON.stringify(extracted), /SCHMIDT/);
      assert.equal(livenessAttempts.length, 1);
      const [attempt] = livenessAttempts;
      assert.equal(attempt.status, 'failed');
      assert.match(attempt.failureReason, /FACE_NOT_FOUND/);
      // Decided from the recording the page made and uploaded.
      assert.equal(attempt.signalsJson.source, 'server-video');
      assert.match(attempt.videoReferenceUrl, /\.(webm|mp4)$/);
      assert.ok(attempt.signalsJson.video.signals.framesAnalysed > 0, JSON.stringify(attempt.signalsJson));

      // The page says so plainly, names the reasons, and offers a retry or to finish for review.
      const status = page.locator('#status');
      assert.match((await status.textContent()) ?? '', /^Liveness check failed: .*face/);
      assert.equal(await status.getAttribute('role'), 'alert');
      assert.equal(
        await page.locator('#liveness-result').getAttribute('data-failure-codes'),
        attempt.failureReason,
      );
      assert.equal(page.url().startsWith(origin), true, 'no redirect after a failed liveness check');
      await page.getByRole('button', { name: 'Finish without it' }).click();
      await page.waitForURL('https://tenant.example/**', { timeout: 60_000 });
      assertReturned(page, s.sessionId, session.reviewStatus);

      const api = await b.call({
        method: 'GET',
        url: `/api/verification/sessions/${s.sessionId}`,
        headers: { 'x-verification-token': s.token },
      });
      assert.equal(api.statusCode, 200);
      assert.equal(api.json().session.capturePhase, 'complete');
      // The page used the presigned flow for each side and the recording, and reached nothing but the service.
      assert.equal(requests.filter((r) => r.endsWith('/presign')).length, 3);
      assert.equal(requests.filter((r) => r.endsWith('/upload-complete')).length, 3);
      assert.equal(requests.filter((r) => r.endsWith('/liveness/presign-video')).length, 1);
      assert.equal(requests.filter((r) => r.startsWith('PUT ')).length, 4);
      assert.deepEqual(blocked, []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('records a camera that performs the challenge it was given, uploads it, and the server passes it; then the returnUrl', async () => {
    // Chromium plays this file as the camera from the moment the page opens it. It holds a still
    // face until the page has its challenge; then the test renders the motion that performs it
    // (as a person would, after reading the prompts) before the page opens the camera.
    const camera = path.join(tmp, 'camera.y4m');
    const still = await generateVideo({
      fixture: SUBJECT,
      ...CAMERA,
      durationMs: 500,
      container: 'y4m',
      outPath: camera,
    });
    assert.equal(still.path, camera);
    const browser = await launch([`--use-file-for-fake-video-capture=${camera}`]);
    browsers.push(browser);
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: RETURN_URL });
    // Capture through the API (the page's upload path is the previous test): an ID card whose
    // portrait is another photograph of the person on camera, and a PDF.
    await b.chooseType(s.sessionId, s.token, 'id_card');
    for (const [side, file] of [
      ['front', 'td1-deu-schmidt-recto.jpg'],
      ['back', 'td1-deu-schmidt-verso.jpg'],
    ] as const) {
      const response = await b.upload(s.sessionId, s.token, side, await readFile(new URL(file, DOCUMENTS)));
      assert.equal(response.statusCode, 200, response.body);
    }
    const poa = await b.upload(s.sessionId, s.token, 'poa', PDF, 'application/pdf');
    assert.equal(poa.statusCode, 200, poa.body);
    await b.analysed(s.sessionId, s.token);

    const { context, page, requests, blocked, problems } = await open(browser);
    let challenge: { steps: { action: string; windowStartMs: number; windowEndMs: number }[] } | undefined;
    await page.route('**/liveness/init', async (route) => {
      const response = await route.fetch();
      challenge = (await response.json()).challenge;
      assert.ok(challenge);
      const next = `${camera}.next`;
      await generateVideo({
        fixture: SUBJECT,
        ...CAMERA,
        pulseBpm: 72,
        container: 'y4m',
        outPath: next,
        // The camera starts a little before the recorder: its actions come that much later.
        ...motionForChallenge(challenge.steps as Parameters<typeof motionForChallenge>[0], {
          shiftMs: 250,
          tailMs: 3000,
        }),
      });
      await rename(next, camera);
      await route.fulfill({ response });
    });
    try {
      await page.goto(s.hostedUrl);
      await page.locator('#step-liveness:not([hidden])').waitFor({ timeout: SERVER_WORK });
      await page.getByRole('button', { name: 'Start' }).click();
      // The prompts follow the challenge.
      await page
        .locator('#liveness-prompt', { hasText: /1\/3: (Turn your head|Blink)/ })
        .waitFor({ timeout: SERVER_WORK });
      await page
        .locator('#step-done:not([hidden]), #liveness-retry:not([hidden])')
        .first()
        .waitFor({ timeout: SERVER_WORK });
      const { session, livenessAttempts } = await detail(s.sessionId, t.cookie);
      assert.equal(livenessAttempts.length, 1);
      const [attempt] = livenessAttempts;
      assert.equal(
        attempt.status,
        'passed',
        JSON.stringify({ ...attempt, signalsJson: attempt.signalsJson?.video?.checks }),
      );
      assert.equal(attempt.signalsJson.source, 'server-video');
      assert.deepEqual(attempt.signalsJson.video.challenge, challenge?.steps);
      // The pulse is found; its rate is not asserted: a loaded machine plays the fake camera's file
      // slower than real time, which stretches the recording's time axis.
      assert.equal(attempt.signalsJson.video.checks.pulse.passed, true);
      assert.ok(session.faceSimilarityScore > 0.6, `similarity ${session.faceSimilarityScore}`);
      assert.equal(await page.locator('#step-done').isVisible(), true);
      await page.waitForURL('https://tenant.example/**', { timeout: 60_000 });
      assertReturned(page, s.sessionId, session.reviewStatus);
      assert.equal(requests.filter((r) => r.endsWith('/liveness/presign-video')).length, 1);
      assert.equal(requests.filter((r) => r.startsWith('PUT ')).length, 1);
      assert.deepEqual(blocked, []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  it('tells the user when the link has no token or a wrong one, and goes no further', async () => {
    const browser = browsers[0] ?? (await launch());
    if (!browsers.includes(browser)) browsers.push(browser);
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: RETURN_URL });
    const { context, page, blocked, requests } = await open(browser);
    try {
      const bare = s.hostedUrl.split('#')[0] as string;
      await page.goto(bare);
      await page.locator('#status[role="alert"]').waitFor();
      assert.equal(
        await page.locator('#status').textContent(),
        'This link is missing its verification token.',
      );
      assert.equal(await page.locator('#step-type').isHidden(), true);

      await page.goto(`${bare}#token=not-the-token`);
      await page.locator('#status[role="alert"]').waitFor();
      assert.match((await page.locator('#status').textContent()) ?? '', /token/i);
      assert.equal(await page.locator('#step-type').isHidden(), true);
      assert.deepEqual(blocked, []);
      assert.equal(requests.filter((r) => r.startsWith('PATCH')).length, 0);
    } finally {
      await context.close();
    }
  });
});
