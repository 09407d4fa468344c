import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { createVisionDocumentAnalyzer } from '../src/analysis/document-analyzer.js';
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
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
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
      assert.match(String(response.headers['cache-control']), /immutable/);
    }
    assert.equal((await h.app.inject({ method: 'GET', url: '/verify/assets/app.js' })).statusCode, 404);
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/verify/assets/..%2Fpackage.json' })).statusCode,
      404,
    );
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
    const get = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${s.sessionId}`,
      headers: { origin: 'https://tenant.example', 'x-verification-token': s.token },
    });
    assert.equal(get.headers['access-control-allow-origin'], '*');
    const create = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${t.sk}` },
    });
    assert.equal(create.headers['access-control-allow-origin'], undefined);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const DOCUMENTS = new URL('../../../packages/vision/test/documents/', import.meta.url);

/** A free local port: the service's public URL (hostedUrl, presigned upload URLs) must be where it listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('hosted flow in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, () => {
  let browser: Browser;
  let b: Harness;
  let origin: string;

  before(async () => {
    const port = await freePort();
    // The real vision analyzer: the page uploads generated documents and they are analysed for real.
    b = await Harness.boot({
      analyzer: createVisionDocumentAnalyzer({ ocrWorkers: 1 }),
      httpPort: port,
      env: { TRUSTPLANE_PUBLIC_HOST: '127.0.0.1' },
    });
    await b.app.listen({ port, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({
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
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await b?.close();
  });

  it('walks an ID card through type, front, back, proof of address and liveness to the returnUrl', async (test) => {
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: 'https://tenant.example/kyc-done?ref=42' });
    assert.ok(s.hostedUrl.startsWith(`${origin}/verify/`), s.hostedUrl);

    const context = await browser.newContext({ permissions: ['camera'] });
    const requests: string[] = [];
    const blocked: string[] = [];
    // Chromium reaches only the service: the tenant's return page is answered here, the rest refused.
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
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    try {
      await page.goto(s.hostedUrl);
      // The token leaves the address bar (and history) once read.
      await page.waitForFunction('location.hash === ""');
      await page.getByRole('button', { name: 'ID card' }).click();

      const upload = async (side: string, file: { name: string; mimeType: string; buffer: Buffer }) => {
        await page.locator(`#step-capture[data-side="${side}"]:not([hidden])`).waitFor();
        await page.locator('#file').setInputFiles(file);
      };
      const jpeg = async (name: string) => ({
        name,
        mimeType: 'image/jpeg',
        buffer: await readFile(new URL(name, DOCUMENTS)),
      });
      await upload('front', await jpeg('td1-deu-schmidt-recto.jpg'));
      await upload('back', await jpeg('td1-deu-schmidt-verso.jpg'));
      await upload('poa', {
        name: 'utility-bill.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from(
          '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
        ),
      });

      // Liveness with Chromium's fake camera (a synthetic test pattern, no face, no pulse).
      await page.locator('#step-liveness:not([hidden])').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Start' }).click();
      const outcome = await Promise.race([
        page.waitForURL('https://tenant.example/**', { timeout: 60_000 }).then(() => 'passed' as const),
        page
          .locator('#liveness-retry:not([hidden])')
          .waitFor({ timeout: 60_000 })
          .then(() => 'failed' as const),
      ]);

      const detail = await b.call({
        method: 'GET',
        url: `/api/dashboard/verifications/${s.sessionId}`,
        headers: { cookie: t.cookie },
      });
      assert.equal(detail.statusCode, 200, detail.body);
      const { session, assets, analysisResults, livenessAttempts } = detail.json();
      assert.equal(session.documentType, 'id_card');
      assert.equal(session.capturePhase, 'complete');
      assert.deepEqual(assets.map((a: { side: string }) => a.side).sort(), ['back', 'front', 'poa']);
      // The uploaded documents went through the real analysis (MRZ from the back, portrait on the front).
      assert.equal(analysisResults.length, 2);
      const back = assets.find((a: { side: string }) => a.side === 'back');
      const mrz = analysisResults.find((r: { assetId: string }) => r.assetId === back.id).extracted;
      assert.match(JSON.stringify(mrz), /SCHMIDT/);
      assert.equal(livenessAttempts.length, 1);
      const [attempt] = livenessAttempts;
      test.diagnostic(
        `liveness on the fake camera: ${attempt.status} (${attempt.failureReason ?? 'no failure'})`,
      );
      assert.equal(attempt.status, outcome, `page said ${outcome}, service recorded ${attempt.status}`);
      assert.equal(attempt.signalsJson === null, false);

      if (outcome === 'failed') {
        // The page says so plainly, names the reason, and offers a retry or to finish for review.
        const text = await page.locator('#status').textContent();
        assert.match(text ?? '', /^Liveness check failed: /);
        assert.equal(await page.locator('#status').getAttribute('role'), 'alert');
        for (const code of String(attempt.failureReason).split(',')) {
          assert.match(
            (await page.locator('#liveness-result').getAttribute('data-failure-codes')) ?? '',
            new RegExp(code),
          );
        }
        await page.getByRole('button', { name: 'Finish without it' }).click();
        await page.waitForURL('https://tenant.example/**', { timeout: 15_000 });
      }
      const returned = new URL(page.url());
      assert.equal(returned.pathname, '/kyc-done');
      assert.equal(returned.searchParams.get('session_id'), s.sessionId);
      assert.equal(returned.searchParams.get('status'), session.reviewStatus);
      assert.equal(returned.searchParams.get('ref'), '42');

      const api = await b.call({
        method: 'GET',
        url: `/api/verification/sessions/${s.sessionId}`,
        headers: { 'x-verification-token': s.token },
      });
      assert.equal(api.statusCode, 200);
      assert.equal(api.json().session.capturePhase, 'complete');

      // The page used only the session API, the presigned upload URLs and its own files.
      assert.equal(requests.filter((r) => r.endsWith('/presign')).length, 3);
      assert.equal(requests.filter((r) => r.endsWith('/upload-complete')).length, 3);
      assert.equal(requests.filter((r) => r.startsWith('PUT ')).length, 3);
      assert.deepEqual(blocked, []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
