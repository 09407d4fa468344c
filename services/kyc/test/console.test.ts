/**
 * The operator console in headless Chromium (playwright-core, Debian's /usr/bin/chromium), at a
 * phone width (390 px) and a desktop width (1280 px): sign up → organization → API keys (minted,
 * copied, one revoked) → a verification created with the secret key and taken through the hosted
 * flow's API (real document analysis; at desktop width a liveness recording too) → the list
 * (filters, search) → detail with the ELA / moiré heatmap overlays, MRZ and check digits → review
 * (and a conflicting review refused in words) → the audit timeline with the chain verified.
 * axe-core runs on every page (no serious or critical violation); each page is screenshotted to
 * services/kyc/test-output/console/ (ignored by git) for a reviewer.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateVideo, motionForChallenge } from '@trustplane/vision/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createThreadedDocumentAnalyzer } from '../src/analysis/threaded-document-analyzer.js';
import type { IssuedChallenge } from '../src/liveness/challenge.js';
import { greenSeries, Harness, LIVE_LANDMARKS, PASSWORD, sha256 } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** Waits covering server work (OCR, video analysis) on a busy shared machine. */
const SERVER_WORK = 300_000;
const DOCUMENTS = new URL('../../../packages/vision/test/documents/', import.meta.url);
const SCREENSHOTS = path.resolve(import.meta.dirname, '../test-output/console');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** The ID card's portrait is this man; the liveness recording shows another photograph of him. */
const SUBJECT = 'obama_2012_oval_office_portrait.jpg';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('operator console in headless Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, () => {
  let b: Harness;
  let origin: string;
  let browser: Browser;

  before(async () => {
    const port = await freePort();
    b = await Harness.boot({
      analyzer: createThreadedDocumentAnalyzer({ ocrWorkers: 1 }),
      httpPort: port,
      workers: true,
      env: { TRUSTPLANE_PUBLIC_HOST: '127.0.0.1', KYC_LIVENESS_WAIT_SECONDS: '600' },
    });
    await b.app.listen({ port, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${port}`;
    await rm(SCREENSHOTS, { recursive: true, force: true });
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await b?.close();
  });

  /** axe-core on the page as it is: no serious or critical violation. */
  async function axe(page: Page, name: string) {
    // Once per document (the console routes without reloading): axe's 0.5 MB costs a compile each time.
    if (await page.evaluate(() => !('axe' in globalThis))) await page.addScriptTag({ path: AXE });
    const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
      violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
    };
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(
      bad.map(
        (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
      [],
      `axe on ${name}`,
    );
  }

  async function shot(page: Page, width: number, name: string) {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${width}-${name}.png`), fullPage: true });
  }

  /** A verification made with the secret key and taken through the hosted flow's API. */
  async function verification(sk: string, externalUserId: string, withLiveness: boolean) {
    const s = await b.session(sk, { externalUserId });
    await b.chooseType(s.sessionId, s.token, 'id_card');
    for (const [side, file] of [
      ['front', 'td1-deu-schmidt-recto.jpg'],
      ['back', 'td1-deu-schmidt-verso.jpg'],
    ] as const) {
      const uploaded = await b.upload(s.sessionId, s.token, side, await readFile(new URL(file, DOCUMENTS)));
      assert.equal(uploaded.statusCode, 200, uploaded.body);
    }
    const poa = await b.upload(s.sessionId, s.token, 'poa', PDF, 'application/pdf');
    assert.equal(poa.statusCode, 200, poa.body);
    if (withLiveness) {
      const base = `/api/verification/sessions/${s.sessionId}/liveness`;
      const init = await b.call({
        method: 'POST',
        url: `${base}/init`,
        headers: { 'x-verification-token': s.token },
      });
      assert.equal(init.statusCode, 201, init.body);
      const { requestId, challenge } = init.json() as { requestId: string; challenge: IssuedChallenge };
      const video = await generateVideo({
        fixture: SUBJECT,
        width: 480,
        height: 360,
        // 10 fps: the frames the server samples (10 Hz) and nothing it would skip.
        fps: 10,
        pulseBpm: 72,
        pulseAmplitude: 3,
        ...motionForChallenge(challenge.steps),
      });
      const bytes = await readFile(video.path);
      await rm(video.path, { force: true });
      const presign = await b.call({
        method: 'POST',
        url: `${base}/presign-video`,
        payload: { token: s.token, requestId, contentType: 'video/webm;codecs=vp8', byteSize: bytes.length },
      });
      assert.equal(presign.statusCode, 200, presign.body);
      const put = await b.put(presign.json().uploadUrl, bytes, 'video/webm;codecs=vp8');
      assert.ok(put.statusCode < 300, put.body);
      const complete = await b.call({
        method: 'POST',
        url: `${base}/complete`,
        payload: {
          token: s.token,
          requestId,
          challengeType: 'head_turn',
          greenChannelMean: greenSeries({ n: 120 }),
          landmarksSummary: LIVE_LANDMARKS,
          videoS3Key: presign.json().s3Key,
          videoByteSize: bytes.length,
          videoSha256: sha256(bytes),
        },
      });
      assert.equal(complete.statusCode, 200, complete.body);
    }
    await b.analysed(s.sessionId, s.token, SERVER_WORK);
    return s;
  }

  for (const width of [1280, 390] as const) {
    it(`walks the console at ${width} px: sign up → organization → keys → verification detail with heatmaps → review → audit`, async () => {
      const context = await browser.newContext({
        viewport: { width, height: width === 390 ? 844 : 900 },
        // axe-core is injected as an inline script: the console's own CSP forbids that (rightly).
        bypassCSP: true,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('response', (response) => {
        if (response.status() === 404 || response.status() >= 500)
          problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
      });
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      const email = `console-${width}-${Date.now()}@example.com`;
      try {
        // / → /dashboard → /login (no session yet).
        await page.goto(`${origin}/`);
        await page.waitForURL(/\/login/);
        await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
        await axe(page, 'login');
        await shot(page, width, '01-login');
        // A wrong password is said in words.
        await page.getByLabel('Email', { exact: true }).fill('nobody@example.com');
        await page.getByLabel('Password', { exact: true }).fill('wrong-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').filter({ hasText: 'do not match an account' }).waitFor();

        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.getByRole('heading', { name: 'Create your operator account' }).waitFor();
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.getByText('Enter your name.').waitFor();
        await axe(page, 'signup with errors');
        await shot(page, width, '02-signup');
        await page.getByLabel('Full name', { exact: true }).fill('Olga Operator');
        await page.getByLabel('Email', { exact: true }).fill(email);
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
        await page.getByLabel('I accept the terms of service').check();
        await page.getByRole('button', { name: 'Create account' }).click();

        // No organization yet: the console asks for one.
        await page.getByRole('heading', { name: 'Create your first organization' }).waitFor();
        await axe(page, 'create organization');
        await shot(page, width, '03-organization');
        await page.getByLabel('Display name', { exact: true }).fill(`Acme Bank ${width}`);
        await page.getByLabel('Customer ID', { exact: true }).fill(`acme-${width}-${Date.now()}`);
        await page.getByLabel('Legal email', { exact: true }).fill('legal@acme.example');
        await page.getByRole('button', { name: 'Create organization' }).click();

        // Keys: mint a pair, read it once, copy it.
        await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
        await page.getByLabel('Label (optional)', { exact: true }).fill('backend');
        await page.getByRole('button', { name: 'Create key pair' }).click();
        await page.getByRole('heading', { name: 'Copy your new keys now' }).waitFor();
        const sk = await page.getByLabel('Secret key', { exact: true }).inputValue();
        const pk = await page.getByLabel('Publishable key', { exact: true }).inputValue();
        assert.match(sk, /^sk_test_/);
        assert.match(pk, /^pk_test_/);
        await page.getByRole('button', { name: 'Copy secret key' }).click();
        await page.getByText('Secret key copied').waitFor();
        assert.equal(await page.evaluate('navigator.clipboard.readText()'), sk);
        await axe(page, 'keys with the minted pair');
        await shot(page, width, '04-keys-minted');
        await page.getByRole('button', { name: 'I have stored the keys' }).click();
        assert.equal(
          await page.getByLabel('Secret key', { exact: true }).count(),
          0,
          'the raw key is gone once dismissed',
        );
        assert.equal(await page.locator(`text=${sk}`).count(), 0);
        // A second pair, revoked after confirming (the dialog's first answer keeps it).
        await page.getByRole('button', { name: 'Create key pair' }).click();
        const second = await page.getByLabel('Secret key', { exact: true }).inputValue();
        await page.getByRole('button', { name: 'I have stored the keys' }).click();
        assert.equal(await page.getByRole('button', { name: /^Revoke sk_test_/ }).count(), 2);
        const revokeSecond = page.getByRole('button', { name: `Revoke ${second.slice(0, 16)}…` });
        await revokeSecond.click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        await axe(page, 'revoke confirmation');
        await shot(page, width, '05-keys-revoke');
        await dialog.getByRole('button', { name: 'Keep the key' }).click();
        await dialog.waitFor({ state: 'detached' });
        await revokeSecond.click();
        await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
        await page.getByRole('status').filter({ hasText: 'is revoked' }).waitFor();
        await revokeSecond.waitFor({ state: 'detached' });
        assert.equal(await page.getByRole('button', { name: /^Revoke sk_test_/ }).count(), 1);
        const refused = await b.call({
          method: 'POST',
          url: '/api/verification/sessions',
          headers: { authorization: `Bearer ${second}` },
        });
        assert.equal(refused.statusCode, 401);
        // The key minted first (still active) creates verifications.

        const withLiveness = width === 1280;
        const s = await verification(sk, `customer-${width}-42`, withLiveness);
        // A second, newer verification for the list's order, search and filters: only started
        // (its documents would be analysed for nothing; the detail below is the first one's).
        const newer = await b.session(sk, { externalUserId: `other-${width}-7` });
        await b.chooseType(newer.sessionId, newer.token, 'id_card');

        // The list: newest first, filters and search.
        await page.getByRole('link', { name: 'Verifications' }).click();
        const cards = page.locator('.card');
        await cards.first().waitFor();
        assert.equal(await cards.count(), 2);
        assert.match((await cards.first().textContent()) ?? '', new RegExp(`other-${width}-7`));
        await page.getByLabel('External user ID', { exact: true }).fill('customer-');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/q=customer-/);
        await page.locator('.live', { hasText: '1 verification on this page' }).waitFor();
        await page.getByLabel('Status', { exact: true }).selectOption('approved');
        await page.getByText('No verification matches these filters.').waitFor();
        await page.getByLabel('Status', { exact: true }).selectOption('');
        await cards.first().waitFor();
        await axe(page, 'verifications');
        await shot(page, width, '06-verifications');

        // Detail: keyboard to the card's link, Enter.
        await page.getByRole('link', { name: new RegExp(`customer-${width}-42`) }).focus();
        await page.keyboard.press('Enter');
        await page.waitForURL(new RegExp(`/dashboard/verifications/${s.sessionId}$`));
        await page.getByRole('heading', { name: `customer-${width}-42`, level: 1 }).waitFor();
        const back = page.locator('article.document[data-side="back"]');
        await back.getByText('Check digits').waitFor({ timeout: SERVER_WORK });
        assert.match((await back.textContent()) ?? '', /SCHMIDT/);
        assert.match((await back.locator('.checks').textContent()) ?? '', /Document number: matches/);
        // The ELA overlay, then the moiré one: the server's heatmaps, loaded over the document.
        const front = page.locator('article.document[data-side="front"]');
        assert.equal(await front.locator('img.heatmap').count(), 0);
        await front.getByLabel('ELA heatmap', { exact: true }).check();
        const overlay = front.locator('img.heatmap[data-overlay="ela"]');
        await overlay.waitFor();
        await page.waitForFunction(
          (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
          await overlay.elementHandle(),
        );
        assert.match((await overlay.getAttribute('src')) ?? '', /ela\.png/);
        await shot(page, width, '07-detail-ela');
        await front.getByLabel('Moiré heatmap', { exact: true }).check();
        await front.locator('img.heatmap[data-overlay="moire"]').waitFor();
        await front.getByLabel('None', { exact: true }).check();
        assert.equal(await front.locator('img.heatmap').count(), 0);
        assert.match((await page.getByTestId('block-reason').textContent()) ?? '', /Not blocked|Blocked: /);
        if (withLiveness) {
          const attempt = page.locator('.attempt').first();
          await attempt
            .getByRole('heading', { name: /Attempt 1: (Passed|Failed|Needs review)/ })
            .waitFor({ timeout: SERVER_WORK });
          const video = attempt.locator('video');
          await page.waitForFunction(
            (v) => (v as HTMLVideoElement).readyState >= 1,
            await video.elementHandle(),
            {
              timeout: 60_000,
            },
          );
          assert.ok(Number(await video.evaluate((v) => (v as HTMLVideoElement).duration)) > 1);
          // The face similarity shown is the session's (the recording's verdict varies with the
          // machine's load: the attempt may pass or fail, both are shown).
          const summary =
            (await page.locator('section[aria-labelledby="summary-title"]').textContent()) ?? '';
          const api = await b.call({
            method: 'GET',
            url: `/api/dashboard/verifications/${s.sessionId}`,
            headers: { cookie: await sessionCookie(page) },
          });
          const score = api.json().session.faceSimilarityScore as number | null;
          assert.match(
            summary,
            score === null
              ? /Not measured yet/
              : new RegExp(`${Math.round(score * 100)} % between the document portrait and the live face`),
          );
        }
        if (!withLiveness) {
          // Re-analyse a document: the analysis runs again and the timeline records who asked.
          await front.getByRole('button', { name: 'Re-analyse the front' }).click();
          await front
            .getByRole('status')
            .filter({ hasText: 'The front was analysed again.' })
            .waitFor({ timeout: SERVER_WORK });
          await page.locator('.timeline-item[data-event-type="admin_document_reanalyze"]').waitFor();
          await page.locator('.timeline-item[data-event-type="document_reanalyzed"]').waitFor();
        }
        await axe(page, 'verification detail');
        await shot(page, width, '08-detail');
        // Time to interactive of the detail page, reloaded (measured, written for the README, never
        // asserted): from navigation start to the page's data rendered and its controls live.
        await page.reload();
        await page.locator('article.document[data-side="back"] .checks').waitFor();
        const timing = (await page.evaluate(`(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          return { domInteractiveMs: Math.round(nav.domInteractive), renderedMs: Math.round(performance.now()) };
        })()`)) as { domInteractiveMs: number; renderedMs: number };
        const load = await readFile('/proc/loadavg', 'utf8').catch(() => '');
        await writeFile(
          path.join(SCREENSHOTS, `${width}-detail-timing.json`),
          `${JSON.stringify({ ...timing, loadAverage: load.split(' ').slice(0, 3).join(' ') })}\n`,
        );

        // Review: too short a rationale is refused in words; then approve with an override reason.
        await page.getByLabel('Approve', { exact: true }).check();
        await page.getByLabel('Rationale', { exact: true }).fill('ok');
        await page.getByRole('button', { name: 'Submit review' }).click();
        await page.getByRole('alert').filter({ hasText: 'at least 10 characters' }).waitFor();
        await page
          .getByLabel('Rationale', { exact: true })
          .fill('Documents and face checked against the MRZ');
        await page.getByLabel('Override reason (optional)').selectOption('operator_verified_physically');
        await page.getByRole('button', { name: 'Submit review' }).click();
        await page.getByText('Saved: the verification is now approved.').waitFor();
        // The timeline shows it, with the chain verified.
        const review = page.locator('.timeline-item[data-event-type="manual_review"]');
        await review.waitFor();
        assert.match(
          (await review.textContent()) ?? '',
          /Reviewed by an operator.*decision: approve.*override: operator verified physically.*Documents and face checked/s,
        );
        assert.match(
          (await page.getByTestId('chain-state').textContent()) ?? '',
          /^Hash chain verified: all \d+ events/,
        );

        // Another operator of the organization rejects meanwhile (here: the same operator's API
        // session); this page still decides from "approved" → refused, said in words.
        const login = await b.call({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email, password: PASSWORD },
        });
        const cookie = `kyc_session=${login.cookies.find((c) => c.name === 'kyc_session')?.value}`;
        const other = await b.call({
          method: 'POST',
          url: `/api/dashboard/verifications/${s.sessionId}/review`,
          headers: { cookie },
          payload: { decision: 'reject', rationale: 'Second opinion: the portrait looks pasted' },
        });
        assert.equal(other.statusCode, 200, other.body);
        await page.getByLabel('Request more information').check();
        await page.getByLabel('Rationale', { exact: true }).fill('Please send a clearer photo of the back');
        await page.getByRole('button', { name: 'Submit review' }).click();
        await page
          .getByRole('alert')
          .filter({
            hasText:
              'Another operator reviewed this verification while you were deciding: it is now rejected',
          })
          .waitFor();
        await axe(page, 'review conflict');
        await shot(page, width, '09-review-conflict');
        await page.getByRole('button', { name: 'Load their decision' }).click();
        await page.locator('.timeline-item[data-event-type="manual_review"]').nth(1).waitFor();
        await page.getByText('Current status: Rejected').waitFor();
        await shot(page, width, '10-audit-timeline');

        // Organization switcher: a second organization has none of these verifications.
        await page.getByRole('link', { name: 'New organization' }).click();
        await page.getByRole('heading', { name: 'New organization' }).waitFor();
        await page.getByLabel('Display name', { exact: true }).fill(`Second ${width}`);
        await page.getByLabel('Customer ID', { exact: true }).fill(`second-${width}-${Date.now()}`);
        await page.getByLabel('Legal email', { exact: true }).fill('legal@second.example');
        await page.getByRole('button', { name: 'Create organization' }).click();
        await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
        assert.match((await page.locator('.lead').textContent()) ?? '', new RegExp(`Second ${width}`));
        await page.getByRole('link', { name: 'Verifications' }).click();
        await page.getByText('No verifications yet.').waitFor();
        await page.getByLabel('Organization', { exact: true }).selectOption({ label: `Acme Bank ${width}` });
        await cards.first().waitFor();
        assert.equal(await cards.count(), 2);

        // Sign out: the cookie's session is gone; the console is back at the login.
        const signedIn = await sessionCookie(page);
        assert.equal(
          (await b.call({ method: 'GET', url: '/api/organizations', headers: { cookie: signedIn } }))
            .statusCode,
          200,
        );
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/login/);
        const after = await b.call({
          method: 'GET',
          url: '/api/organizations',
          headers: { cookie: signedIn },
        });
        assert.equal(after.statusCode, 401);
        await page.goto(`${origin}/dashboard/keys`);
        await page.waitForURL(/\/login\?next=%2Fdashboard%2Fkeys/);
        // The browser logs the answers the console expects and handles (no session yet, the conflict).
        assert.deepEqual(
          problems.filter(
            (p) => !/Failed to load resource: the server responded with a status of (401|409)/.test(p),
          ),
          [],
        );
      } finally {
        await context.close();
      }
    });
  }

  async function sessionCookie(page: Page) {
    const cookies = await page.context().cookies();
    const value = cookies.find((c) => c.name === 'kyc_session')?.value ?? 'none';
    return `kyc_session=${value}`;
  }
});
