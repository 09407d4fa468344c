import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateVideo, motionForChallenge } from '@trustplane/vision/testkit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
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
/** Screenshots of every page at both sizes, for a reviewer (ignored by git). */
const SCREENSHOTS = fileURLToPath(new URL('../test-output/hosted-page/', import.meta.url));
const require = createRequire(import.meta.url);

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

/**
 * A photo of a blank card: pale, with a few flat coloured blocks. Sharp edges and even light pass
 * the browser's checks, but there is no MRZ and no face: the server's analysis finds neither, and
 * cheaply (few shapes for the OCR). Noise-like images are the server tests' and vision's concern
 * (pure per-pixel noise costs the OCR minutes).
 */
async function blankCardJpeg(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="640">
    <rect width="1000" height="640" fill="#d8dce6"/>
    <rect x="60" y="60" width="380" height="240" fill="#7f8fb0"/>
    <circle cx="740" cy="200" r="130" fill="#b05f4f"/>
    <rect x="80" y="380" width="840" height="60" fill="#4f6f5f"/>
    <rect x="520" y="470" width="400" height="120" fill="#9f9f4f"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

/** The person of the fake camera: another photograph of the man on the ID card's portrait. */
const SUBJECT = 'obama_2012_oval_office_portrait.jpg';
const CAMERA = { width: 480, height: 360, fps: 20 } as const;

/** Half a second of a flat grey camera (Y4M, 4:2:0, what Chromium's file camera plays): no face. */
function greyY4m({ width, height, fps }: { width: number; height: number; fps: number }): Buffer {
  const frame = Buffer.concat([
    Buffer.from('FRAME\n'),
    Buffer.alloc(width * height + (width * height) / 2, 128),
  ]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...Array.from({ length: fps / 2 }, () => frame)]);
}

const SIZES = {
  desktop: { viewport: { width: 1280, height: 900 }, locale: 'en-US' },
  phone: { viewport: { width: 390, height: 844 }, locale: 'de-DE', isMobile: true, hasTouch: true },
} as const;
type Size = keyof typeof SIZES;

/** The page's strings, as the test reads them (the page's own message files). */
async function messages(locale: string): Promise<Record<string, string>> {
  const lang = locale.split('-')[0];
  return JSON.parse(await readFile(new URL(`../web/src/messages/${lang}.json`, import.meta.url), 'utf8'));
}
const fill = (text: string | undefined, vars: Record<string, string>) =>
  (text ?? '').replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);

describe('hosted flow in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, () => {
  let b: Harness;
  let origin: string;
  let tmp: string;
  const browsers: Browser[] = [];
  let axeSource: string;

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
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
    await mkdir(SCREENSHOTS, { recursive: true });
    // Warm the analyzer up (models loaded, OCR workers started; the cheap blank card is enough)
    // before the page waits on verdicts: on a loaded machine loading them takes a while.
    const t = await b.tenant();
    const warm = await b.session(t.sk);
    await b.chooseType(warm.sessionId, warm.token, 'passport');
    const upload = await b.upload(warm.sessionId, warm.token, 'single', await blankCardJpeg());
    assert.equal(upload.statusCode, 200, upload.body);
    await b.analysed(warm.sessionId, warm.token, SERVER_WORK);
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    await b?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A page whose requests reach only the service; the tenant's return page is answered here. */
  async function open(browser: Browser, size: Size = 'desktop') {
    const context: BrowserContext = await browser.newContext({ permissions: ['camera'], ...SIZES[size] });
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
    // What the page did (requests with their answers, console lines, asset states seen by its
    // polls), attached to a failure: a wait that times out then says where the page stood.
    const trail: string[] = [];
    const started = Date.now();
    let previous = '';
    let repeats = 1;
    const note = (line: string) => {
      if (line === previous) {
        repeats += 1;
        trail[trail.length - 1] = `${trail.at(-1)?.replace(/ \(×\d+\)$/, '')} (×${repeats})`;
        return;
      }
      previous = line;
      repeats = 1;
      trail.push(`+${Date.now() - started}ms ${line}`);
    };
    page.on('console', (message) => note(`console.${message.type()}: ${message.text()}`));
    page.on('response', async (response) => {
      const url = new URL(response.url());
      const request = response.request();
      let line = `${response.status()} ${request.method()} ${url.origin === origin ? url.pathname : `${url.origin}${url.pathname}`}`;
      if (request.method() === 'GET' && url.pathname.startsWith('/api/verification/sessions/')) {
        const body = await response.json().catch(() => undefined);
        const assets: { side: string; attempt: number; analysisStatus: string }[] =
          body?.session?.assets ?? [];
        line += ` [${assets.map((asset) => `${asset.side}#${asset.attempt}:${asset.analysisStatus}`).join(' ')}]`;
      }
      note(line);
    });
    return { context, page, requests, blocked, problems, trail };
  }

  /** A failure carries the end of the page's trail. */
  function withTrail(error: unknown, trail: string[]): unknown {
    if (error instanceof Error) error.message += `\npage trail:\n  ${trail.slice(-40).join('\n  ')}`;
    return error;
  }

  /**
   * axe-core on the page as it is: no serious or critical violation. Evaluated through the
   * DevTools protocol, which the page's CSP does not govern. Then a full-page screenshot.
   */
  async function audit(page: Page, size: Size, name: string) {
    // Once per document: the flow's steps are one page, and axe's 0.5 MB costs a compile each time.
    if (await page.evaluate(() => !('axe' in globalThis))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(context: Document): Promise<{ violations: unknown[] }> } }
      ).axe;
      const result = await axe.run(document);
      return result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[];
    });
    const blocking = violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) =>
          `${violation.id} (${violation.impact}): ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
    assert.deepEqual(blocking, [], `${name} at ${size}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${size}-${name}.png`), fullPage: true });
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

  const visible = (page: Page, selector: string, timeout = 30_000) =>
    page.locator(`${selector}:not([hidden])`).waitFor({ timeout });
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

  for (const size of ['desktop', 'phone'] as const) {
    it(`${size}: consent → passport photo with retake → a blank card is refused by the server's analysis → a readable passport → proof of address → liveness → submitted, and the reopened link says so`, async () => {
      const browser = browsers[0] ?? (await launch());
      if (!browsers.includes(browser)) browsers.push(browser);
      const text = await messages(SIZES[size].locale);
      const t = await b.tenant();
      const s = await b.session(t.sk, { returnUrl: RETURN_URL });
      const vars = { name: 'Acme', total: '4' };
      const { context, page, requests, blocked, problems, trail } = await open(browser, size);
      try {
        await page.goto(s.hostedUrl);
        // The token leaves the address bar (and history) once read.
        await page.waitForFunction('location.hash === ""');

        // 1. Consent, branded with the organization, before any capture.
        await visible(page, '#step-consent');
        assert.equal(await page.locator('html').getAttribute('lang'), SIZES[size].locale.split('-')[0]);
        assert.equal(await page.locator('#brand-name').textContent(), 'Acme');
        assert.equal(
          await page.locator('#progress').textContent(),
          fill(text.progress, { ...vars, step: '1' }),
        );
        assert.equal(await page.locator('#consent-title').textContent(), text['consent.title']);
        assert.equal(await focused(page), 'consent-title');
        assert.match((await page.locator('#step-consent').textContent()) ?? '', /biometri/i);
        await audit(page, size, '1-consent');
        await page.locator('#consent-continue').click();
        await page.locator('#error', { hasText: text['consent.required'] as string }).waitFor();
        assert.equal(requests.filter((r) => r.endsWith('/consent')).length, 0);
        await page.locator('#consent-agree').check();
        await page.locator('#consent-continue').click();

        // 2. Document type.
        await visible(page, '#step-type');
        assert.equal(await focused(page), 'type-title');
        assert.equal(
          await page.locator('#progress').textContent(),
          fill(text.progress, { ...vars, step: '2' }),
        );
        assert.equal(await page.locator('#error').textContent(), '', 'the consent hint is gone');
        await audit(page, size, '2-type');
        await page.locator('[data-type="passport"]').click();

        // 3. The photo page: guidance, a frame over the camera, a keyboard-reachable file input.
        await visible(page, '#step-capture[data-side="single"]');
        assert.equal(await focused(page), 'capture-title');
        assert.equal(await page.locator('#capture-hint').textContent(), text['guide.passport.single']);
        assert.equal(
          await page.locator('#progress').textContent(),
          fill(text.progress, { ...vars, step: '3' }),
        );
        await page.locator('#use-camera').focus();
        await page.keyboard.press('Tab');
        assert.equal(await focused(page), 'file', 'Tab reaches the file input');
        assert.notEqual(
          await page.locator('#file').evaluate((input) => getComputedStyle(input).display),
          'none',
        );
        await audit(page, size, '3-capture');
        await page.locator('#use-camera').click();
        await visible(page, '#viewfinder');
        // Audited once the camera runs (while an action runs, buttons are dimmed on purpose).
        await visible(page, '#snap');
        await page.waitForFunction('!document.body.classList.contains("busy")');
        assert.equal(await page.locator('#frame').getAttribute('data-shape'), 'page');
        assert.equal(await page.locator('#frame').isVisible(), true);
        await audit(page, size, '3-camera');
        await page.locator('#snap').click();
        // The capture is previewed, not uploaded; retake goes back to the camera step.
        await visible(page, '#step-preview');
        assert.equal(await page.locator('#preview').isVisible(), true);
        assert.equal(await focused(page), 'preview-title');
        await audit(page, size, '3-preview');
        await page.locator('#preview-retake').click();
        await visible(page, '#step-capture[data-side="single"]');
        assert.equal(
          requests.filter((r) => r.endsWith('/presign')).length,
          0,
          'nothing uploaded before "use"',
        );

        // A blank card passes the browser's checks (sharp, lit) but the server cannot read it.
        await page
          .locator('#file')
          .setInputFiles({ name: 'card.jpg', mimeType: 'image/jpeg', buffer: await blankCardJpeg() });
        await visible(page, '#step-preview');
        assert.equal(await page.locator('#step-preview').getAttribute('data-quality'), 'ok');
        await page.locator('#preview-use').click();
        await visible(page, '#step-unreadable', SERVER_WORK);
        assert.equal(await page.locator('#unreadable-title').textContent(), text['unreadable.title']);
        assert.equal(
          await page.locator('#step-unreadable').getAttribute('data-reasons'),
          'MRZ_NOT_FOUND,PORTRAIT_NOT_FOUND',
        );
        assert.equal(await focused(page), 'unreadable-title');
        await audit(page, size, '3-unreadable');
        const afterBlank = await b.analysed(s.sessionId, s.token, SERVER_WORK);
        assert.deepEqual(afterBlank.assets[0].unreadableReasons, ['MRZ_NOT_FOUND', 'PORTRAIT_NOT_FOUND']);
        await page.locator('#unreadable-retake').click();
        await visible(page, '#step-capture[data-side="single"]');
        await page.locator('#file').setInputFiles({
          name: 'passport.jpg',
          mimeType: 'image/jpeg',
          buffer: await readFile(new URL('td3-fra-martin-recto.jpg', DOCUMENTS)),
        });
        await visible(page, '#step-preview');
        await page.locator('#preview-use').click();

        // Proof of address: a PDF, previewed by name.
        await visible(page, '#step-capture[data-side="poa"]', SERVER_WORK);
        await page
          .locator('#file')
          .setInputFiles({ name: 'bill.pdf', mimeType: 'application/pdf', buffer: PDF });
        await visible(page, '#step-preview');
        assert.match((await page.locator('#preview-file').textContent()) ?? '', /bill\.pdf/);
        await page.locator('#preview-use').click();

        // 4. Liveness: mirrored preview, oval; Chromium's fake camera (a test pattern) has no face.
        await visible(page, '#step-liveness', SERVER_WORK);
        assert.equal(await focused(page), 'liveness-title');
        assert.equal(
          await page.locator('#progress').textContent(),
          fill(text.progress, { ...vars, step: '4' }),
        );
        assert.match(
          await page.locator('#selfie').evaluate((video) => getComputedStyle(video).transform),
          /^matrix\(-1/,
        );
        await audit(page, size, '4-liveness');
        await page.locator('#start-liveness').click();
        await page.locator('#liveness-steps li').first().waitFor({ timeout: SERVER_WORK });
        await page.locator('#oval[data-state]').waitFor({ timeout: SERVER_WORK });
        await visible(page, '#liveness-retry', SERVER_WORK);
        const failure = (await page.locator('#error').textContent()) ?? '';
        assert.ok(
          failure.startsWith(fill(text['liveness.failed'], { reasons: '' }).split(':')[0] as string),
          failure,
        );
        assert.ok(failure.includes(text['failure.FACE_NOT_FOUND'] as string), failure);
        assert.doesNotMatch(failure, /[A-Z]{2,}_[A-Z]{2,}/, 'no codes shown');
        await audit(page, size, '4-liveness-failed');
        await page.locator('#liveness-finish').click();
        await visible(page, '#step-done');
        assert.equal(await page.locator('#done-text').textContent(), fill(text['done.review'], vars));
        assert.equal(await page.locator('#error').textContent(), '');
        await page.waitForURL('https://tenant.example/**', { timeout: 60_000 });
        const { session, assets, analysisResults, livenessAttempts, auditEvents } = await detail(
          s.sessionId,
          t.cookie,
        );
        assertReturned(page, s.sessionId, session.reviewStatus);
        // The server judged both photo-page uploads; the second is the one read.
        const pages = assets.filter((a: { side: string }) => a.side === 'single');
        assert.equal(pages.length, 2);
        assert.equal(analysisResults.length, 2);
        const second = analysisResults.find((r: { assetId: string }) => r.assetId === pages[1].id);
        assert.equal(second.extracted.mrzFound, true);
        assert.equal(second.extracted.portraitFound, true);
        assert.equal(livenessAttempts[0].status, 'failed');
        const events = auditEvents.map((e: { eventType: string }) => e.eventType);
        assert.ok(
          events.includes('privacy_notice_accepted') && events.includes('session_submitted'),
          events.join(),
        );
        assert.ok(
          events.indexOf('privacy_notice_accepted') < events.indexOf('document_type_selected'),
          'consent before any capture',
        );

        // Reopening the link: "submitted", never the liveness step again.
        const again = await context.newPage();
        await again.goto(s.hostedUrl);
        await visible(again, '#step-done');
        assert.equal(await again.locator('#done-text').textContent(), fill(text['done.already'], vars));
        assert.equal(await again.locator('#step-liveness').isHidden(), true);
        assert.equal(await again.locator('#return-link').isVisible(), true);
        await audit(again, size, '5-submitted');

        // Desktop-to-phone handoff: a QR code image of the link, on a fresh session.
        const other = await b.session(t.sk, { returnUrl: RETURN_URL });
        await again.goto(other.hostedUrl);
        await visible(again, '#step-consent');
        await again.locator('#consent-agree').check();
        await again.locator('#consent-continue').click();
        await again.locator('[data-type="id_card"]').click();
        await visible(again, '#step-capture[data-side="front"]');
        await again.locator('#step-capture .handoff-open').click();
        await visible(again, '#step-handoff');
        const qr = (await again.locator('#handoff-qr').getAttribute('src')) ?? '';
        assert.match(qr, /^data:image\/svg\+xml/);
        assert.match(decodeURIComponent(qr), /<svg[^>]*>.*<path/s);
        assert.equal(await again.locator('#handoff-qr').getAttribute('alt'), text['handoff.qrAlt']);
        await audit(again, size, '6-handoff');
        await again.locator('#handoff-close').click();
        await visible(again, '#step-capture[data-side="front"]');

        assert.equal(requests.filter((r) => r.endsWith('/presign')).length, 3);
        assert.equal(requests.filter((r) => r.endsWith('/liveness/presign-video')).length, 1);
        assert.deepEqual(blocked, []);
        assert.deepEqual(problems, []);
      } catch (error) {
        throw withTrail(error, trail);
      } finally {
        await context.close();
      }
    });
  }

  it('records a camera that performs the challenge after a failed attempt; the failure does not stay on screen; then the returnUrl', async () => {
    // Chromium plays this file as the camera from the moment the page opens it. It shows an empty
    // grey frame for the first attempt (which fails: no face, so the server's face mesh and
    // descriptors run on no frame — a still face failing the challenge is liveness-video.test's);
    // at the second init the test renders the motion that performs that challenge before the page
    // opens the camera.
    const camera = path.join(tmp, 'camera.y4m');
    await writeFile(camera, greyY4m(CAMERA));
    const browser = await launch([`--use-file-for-fake-video-capture=${camera}`]);
    browsers.push(browser);
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: RETURN_URL });
    // Capture through the API (the page's upload path is the previous tests): an ID card whose
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
    await b.analysed(s.sessionId, s.token, SERVER_WORK);

    const { context, page, requests, blocked, problems, trail } = await open(browser);
    let inits = 0;
    let challenge: { steps: { action: string; windowStartMs: number; windowEndMs: number }[] } | undefined;
    await page.route('**/liveness/init', async (route) => {
      const response = await route.fetch();
      inits += 1;
      if (inits === 2) {
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
      }
      await route.fulfill({ response });
    });
    try {
      await page.goto(s.hostedUrl);
      await visible(page, '#step-consent', SERVER_WORK);
      await page.locator('#consent-agree').check();
      await page.locator('#consent-continue').click();
      await visible(page, '#step-liveness', SERVER_WORK);
      await page.getByRole('button', { name: 'Start' }).click();
      await visible(page, '#liveness-retry', SERVER_WORK);
      assert.match((await page.locator('#error').textContent()) ?? '', /^The selfie check did not succeed/);
      await page.getByRole('button', { name: 'Try again' }).click();
      // The prompts follow the challenge; the previous failure is gone while the user records.
      await page
        .locator('#liveness-prompt', { hasText: /1\/3: (Turn your head|Blink)/ })
        .waitFor({ timeout: SERVER_WORK });
      assert.equal(await page.locator('#error').textContent(), '');
      await page
        .locator('#step-done:not([hidden]), #liveness-retry:not([hidden])')
        .first()
        .waitFor({ timeout: SERVER_WORK });
      // Read at once: the page leaves for the returnUrl shortly after "Thank you".
      assert.equal(await page.locator('#step-done').isVisible(), true);
      assert.equal(await page.locator('#error').isVisible(), false, 'no failure above "Thank you"');
      assert.equal(
        await page.locator('#done-text').textContent(),
        'Your verification was submitted. Acme will let you know the result.',
      );
      const { session, livenessAttempts } = await detail(s.sessionId, t.cookie);
      assert.equal(livenessAttempts.length, 2);
      const attempt = livenessAttempts.find((a: { status: string }) => a.status !== 'failed');
      assert.ok(attempt, JSON.stringify(livenessAttempts.map((a: { status: string }) => a.status)));
      assert.equal(
        attempt.status,
        'passed',
        JSON.stringify({ ...attempt, signalsJson: attempt.signalsJson?.video?.checks }),
      );
      assert.equal(attempt.signalsJson.source, 'server-video');
      assert.deepEqual(attempt.signalsJson.video.challenge, challenge?.steps);
      assert.equal(attempt.signalsJson.video.checks.pulse.passed, true);
      assert.ok(session.faceSimilarityScore > 0.6, `similarity ${session.faceSimilarityScore}`);
      await page.waitForURL('https://tenant.example/**', { timeout: 60_000 });
      assertReturned(page, s.sessionId, session.reviewStatus);
      assert.equal(requests.filter((r) => r.endsWith('/liveness/presign-video')).length, 2);
      assert.deepEqual(blocked, []);
      assert.deepEqual(problems, []);
    } catch (error) {
      throw withTrail(error, trail);
    } finally {
      await context.close();
    }
  });

  it('says in plain words when the link has no token, a wrong one, or has expired (with the way back)', async () => {
    const browser = browsers[0] ?? (await launch());
    if (!browsers.includes(browser)) browsers.push(browser);
    const text = await messages('en-US');
    const t = await b.tenant();
    const s = await b.session(t.sk, { returnUrl: RETURN_URL });
    const { context, page, blocked, requests, trail } = await open(browser);
    try {
      const bare = s.hostedUrl.split('#')[0] as string;
      await page.goto(bare);
      await visible(page, '#step-ended');
      assert.equal(await page.locator('#ended-text').textContent(), text['error.missingToken']);
      assert.equal(await page.locator('#step-type').isHidden(), true);
      await audit(page, 'desktop', '7-missing-token');

      // A new page each time: a link differing only in its fragment would not reload the page.
      const wrong = await context.newPage();
      await wrong.goto(`${bare}#token=not-the-token`);
      await visible(wrong, '#step-ended');
      assert.equal(await wrong.locator('#ended-title').textContent(), text['error.invalidLink.title']);
      const shown = (await wrong.locator('main').innerText()) ?? '';
      assert.doesNotMatch(shown, /VERIFICATION_|Invalid|token:/);
      assert.equal(await wrong.locator('#step-type').isHidden(), true);
      assert.equal(requests.filter((r) => r.startsWith('PATCH')).length, 0);

      // Expired: said so, with a link back to the tenant.
      await b.kyc.repositories.sessions.update(s.sessionId, { expires_at: new Date(Date.now() - 1000) });
      b.kyc.sessionViews.forget(s.sessionId);
      const expired = await context.newPage();
      await expired.goto(s.hostedUrl);
      await visible(expired, '#step-ended');
      assert.equal(await expired.locator('#ended-title').textContent(), text['error.expired.title']);
      const back = expired.locator('#ended-link');
      assert.equal(await back.textContent(), 'Back to Acme');
      const href = new URL((await back.getAttribute('href')) ?? '');
      assert.equal(`${href.origin}${href.pathname}`, 'https://tenant.example/kyc-done');
      assert.equal(href.searchParams.get('session_id'), s.sessionId);
      await audit(expired, 'desktop', '7-expired');
      assert.deepEqual(blocked, []);
    } catch (error) {
      throw withTrail(error, trail);
    } finally {
      await context.close();
    }
  });
});
