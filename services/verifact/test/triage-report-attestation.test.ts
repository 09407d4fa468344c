import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import canonicalize from 'canonicalize';
import { fixture, patch, sealVault, signCapture, TRAINED_ALGORITHMIC } from './support/captures.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;
let rotated: { manifest: { kid: string; publicKey: string; signature: string }; rootPublicKey: string };

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
});
after(() => h?.close());

const form = (bytes: Buffer, fields: Record<string, string> = {}) =>
  multipart([
    ...Object.entries(fields).map(([name, value]) => ({ name, value })),
    { name: 'photo', value: bytes, filename: 'p.jpg' },
  ]);

describe('attestation key', () => {
  test('503 before the first rotation; rotate makes the root, signs an RSA-3072 manifest over RFC 8785', async () => {
    const before = await h.call({ method: 'GET', url: '/api/v1/attestation-key' });
    assert.equal(before.statusCode, 503);
    rotated = (await h.command('attestation-key rotate')) as typeof rotated;
    const served = (await h.call({ method: 'GET', url: '/api/v1/attestation-key' })).json() as Record<
      string,
      string
    >;
    assert.deepEqual(served, rotated.manifest);
    const root = createPublicKey(rotated.rootPublicKey);
    const { signature = '', ...fields } = served;
    assert.ok(
      verify(null, Buffer.from(canonicalize(fields) as string), root, Buffer.from(signature, 'base64')),
    );
    assert.equal(createPublicKey(String(served.publicKey)).asymmetricKeyDetails?.modulusLength, 3072);
    assert.match(String((served as Record<string, string>).signedBy), /^sha256:[0-9a-f]{64}$/);
    const stored = await h.deps().database.kysely.selectFrom('attestation_keys').selectAll().execute();
    assert.ok(stored.every((row) => !row.private_key_sealed.includes('PRIVATE KEY')));
  });

  test('vaults: right claim → vault_decrypted (verify and triage), another claim → SIU; old kids still open after rotation; wrong key → none + alert', async () => {
    const claim = await tenant.claim();
    const binding = {
      claimNumber: claim.claimNumber,
      insurerCode: tenant.code,
      surveyorId: String(claim.body.surveyorId),
    };
    const oldVault = await sealVault(rotated.manifest, binding);
    const second = (await h.command('attestation-key rotate')) as typeof rotated;
    assert.notEqual(second.manifest.kid, rotated.manifest.kid);
    assert.equal(second.rootPublicKey, rotated.rootPublicKey);
    const verifyBytes = async (bytes: Buffer) =>
      (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...form(bytes) })).json();
    const opened = await verifyBytes(signCapture({ vault: oldVault }));
    assert.deepEqual(opened.claimBinding, { ...binding, source: 'vault_decrypted' });
    // Triage opens the vault too: right claim → no provenance risk; another claim → SIU.
    const triageVault = async (claimId: string) =>
      (
        await h.call({
          method: 'POST',
          url: '/api/v1/triage',
          key: tenant.admin,
          ...form(signCapture({ vault: oldVault }), { claimId }),
        })
      ).json() as { routedTo: string; signals: { name: string; score: number; detail: string }[] };
    const provenanceOf = (answer: Awaited<ReturnType<typeof triageVault>>) =>
      answer.signals.find((signal) => signal.name === 'provenance');
    assert.equal(provenanceOf(await triageVault(claim.id))?.score, 0);
    const elsewhere = await triageVault((await tenant.claim()).id);
    assert.equal(provenanceOf(elsewhere)?.score, 0.9);
    assert.match(provenanceOf(elsewhere)?.detail ?? '', new RegExp(claim.claimNumber));
    assert.equal(elsewhere.routedTo, 'siu');
    const forged = await sealVault({ kid: 'vk_unknown', publicKey: second.manifest.publicKey }, binding);
    const refused = await verifyBytes(signCapture({ vault: forged }));
    assert.deepEqual(refused.claimBinding, { source: 'none' });
    assert.ok(refused.alerts.includes('verifact.vault_unreadable'));
    const manifestBound = await verifyBytes(
      signCapture({ binding: { ...binding, expiresAt: '2020-01-01T00:00:00Z' } }),
    );
    assert.equal(manifestBound.claimBinding.source, 'manifest');
    assert.ok(manifestBound.alerts.includes('verifact.binding_expired'));
  });

  test('502 when the key store cannot be read', async () => {
    await h
      .deps()
      .database.kysely.updateTable('attestation_root')
      .set({ public_key_pem: 'garbage' })
      .execute();
    const response = await h.call({ method: 'GET', url: '/api/v1/attestation-key' });
    assert.deepEqual([response.statusCode, response.json().code], [502, 'KEY_STORE_UNREADABLE']);
    // Restore for the tests after this one.
    await h
      .deps()
      .database.kysely.updateTable('attestation_root')
      .set({ public_key_pem: rotated.rootPublicKey })
      .execute();
  });
});

describe('triage', () => {
  test('a Verifact capture sealed for another claim routes to SIU and flags the claim; never rejects', async () => {
    const sealedFor = await tenant.claim();
    const submittedTo = await tenant.claim();
    await h.call({
      method: 'PATCH',
      url: `/api/v1/claims/${submittedTo.id}`,
      key: tenant.admin,
      payload: { status: 'under_review' },
    });
    const capture = signCapture({
      binding: { claimNumber: sealedFor.claimNumber, insurerCode: tenant.code },
    });
    const key = await tenant.key('verify');
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key,
      ...form(capture, { claimId: submittedTo.id }),
    });
    assert.equal(response.statusCode, 200, response.body);
    const result = response.json();
    assert.match(result.id, /^trg_/);
    assert.equal(result.routedTo, 'siu');
    assert.ok(result.riskScore >= 0.8);
    const provenance = result.signals.find((signal: { name: string }) => signal.name === 'provenance');
    assert.equal(provenance.score, 0.9);
    const claim = (
      await h.call({ method: 'GET', url: `/api/v1/claims/${submittedTo.id}`, key: tenant.admin })
    ).json();
    assert.deepEqual([claim.status, claim.siuFlagged], ['siu_flagged', true]);
    assert.match(claim.siuReason, /sealed for claim/);
    const stored = await h.call({
      method: 'GET',
      url: `/api/v1/triage/${result.id}`,
      key: await tenant.key('report'),
    });
    assert.deepEqual(stored.json().signals, result.signals);
    // The same capture on its own claim is low risk.
    const own = (
      await h.call({
        method: 'POST',
        url: '/api/v1/triage',
        key,
        ...form(capture, { claimId: sealedFor.id }),
      })
    ).json();
    assert.equal(own.signals.find((signal: { name: string }) => signal.name === 'provenance').score, 0);
  });

  test('duplicate of another claim’s photo, declared AI; unknown claimId 400; > 50 MP HEIC 400; never across tenants', async () => {
    const first = await tenant.claim();
    const second = await tenant.claim();
    const photo = multipart([
      { name: 'claimId', value: first.id },
      { name: 'photo', value: fixture('CA.jpg'), filename: 'x.jpg' },
    ]);
    assert.equal(
      (await h.call({ method: 'POST', url: '/api/v1/photos', key: tenant.admin, ...photo })).statusCode,
      201,
    );
    const dup = (
      await h.call({
        method: 'POST',
        url: '/api/v1/triage',
        key: tenant.admin,
        ...form(fixture('CA.jpg'), { claimId: second.id }),
      })
    ).json();
    assert.equal(dup.signals.find((signal: { name: string }) => signal.name === 'duplicate').score, 0.9);
    const other = await h.tenant();
    const otherClaim = await other.claim();
    const elsewhere = (
      await h.call({
        method: 'POST',
        url: '/api/v1/triage',
        key: other.admin,
        ...form(fixture('CA.jpg'), { claimId: otherClaim.id }),
      })
    ).json();
    assert.equal(elsewhere.signals.find((signal: { name: string }) => signal.name === 'duplicate').score, 0);
    const ai = (
      await h.call({
        method: 'POST',
        url: '/api/v1/triage',
        key: tenant.admin,
        ...form(signCapture({ sourceType: TRAINED_ALGORITHMIC })),
      })
    ).json();
    assert.equal(ai.signals.find((signal: { name: string }) => signal.name === 'declared_ai').score, 0.95);
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...form(fixture('C.jpg'), { claimId: 'clm_nope' }),
    });
    assert.deepEqual([unknown.statusCode, unknown.json().code], [400, 'UNKNOWN_CLAIM']);
    const heic = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...form(fixture('sample1.heic')),
    });
    assert.deepEqual([heic.statusCode, heic.json().code], [400, 'IMAGE_TOO_LARGE']);
    const missing = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...multipart([{ name: 'claimId', value: first.id }]),
    });
    assert.equal(missing.statusCode, 400);
  });
});

/** Generated identity documents of packages/vision's tests: a clean one and one photographed off a screen. */
const document = (name: string) =>
  readFileSync(new URL(`../../../packages/vision/test/documents/${name}`, import.meta.url));

interface TriageAnswer {
  riskScore: number;
  riskBand: string;
  routedTo: string;
  signals: { name: string; score: number; detail: string }[];
}

describe('triage signals and bands', () => {
  const triage = async (bytes: Buffer, fields: Record<string, string> = {}) => {
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...form(bytes, fields),
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as TriageAnswer;
  };
  const signal = (answer: TriageAnswer, name: string) => {
    const found = answer.signals.find((candidate) => candidate.name === name);
    assert.ok(found, `no ${name} signal in ${JSON.stringify(answer.signals)}`);
    return found;
  };
  /** The bands: < 0.3 low/pass, < 0.6 review, < 0.8 high/siu, else very_high/siu. */
  const expectedBand = (score: number) =>
    score < 0.3
      ? ['low', 'pass']
      : score < 0.6
        ? ['review', 'review']
        : score < 0.8
          ? ['high', 'siu']
          : ['very_high', 'siu'];
  const checkScore = (answer: TriageAnswer) => {
    for (const { score } of answer.signals) assert.ok(score >= 0 && score <= 1);
    // Independent signals combine by noisy-OR.
    const combined = 1 - answer.signals.reduce((keep, { score }) => keep * (1 - score), 1);
    assert.ok(Math.abs(answer.riskScore - combined) < 0.002, `${answer.riskScore} vs ${combined}`);
    assert.deepEqual([answer.riskBand, answer.routedTo], expectedBand(answer.riskScore));
  };

  test('EXIF anomalies (exifr): none, editor + modified after capture, capture date in the future', async () => {
    const stripped = await triage(fixture('C.jpg'));
    assert.equal(signal(stripped, 'exif_anomalies').score, 0.3);
    assert.match(signal(stripped, 'exif_anomalies').detail, /No camera metadata/);
    const camera = await triage(fixture('truepic-20230212-camera.jpg'));
    assert.deepEqual(
      [signal(camera, 'exif_anomalies').score, signal(camera, 'exif_anomalies').detail],
      [0, 'Camera metadata consistent'],
    );
    const edited = await triage(fixture('IMG_0003.jpg'));
    assert.equal(signal(edited, 'exif_anomalies').score, 0.5);
    assert.match(
      signal(edited, 'exif_anomalies').detail,
      /edited with Adobe Lightroom.*modified after capture/,
    );
    // The same photo with its DateTimeOriginal moved to 2099 (same length, in place).
    const future = patch(fixture('IMG_0003.jpg'), '2011:07:30 15:41:25', '2099:07:30 15:41:25');
    const dated = await triage(future);
    assert.equal(signal(dated, 'exif_anomalies').score, 0.6);
    assert.match(signal(dated, 'exif_anomalies').detail, /capture date in the future/);
    for (const answer of [stripped, camera, edited, dated]) checkScore(answer);
  });

  test('screen recapture and ELA (packages/vision); an SIU score flags an approved claim too', async () => {
    const clean = await triage(document('td3-fra-martin-recto.jpg'));
    assert.ok(signal(clean, 'screen_recapture').score < 0.2, JSON.stringify(clean.signals));
    const ela = signal(clean, 'ela');
    assert.ok(
      ela.score >= 0 && ela.score <= 0.3 && /Error-level ratio/.test(ela.detail),
      JSON.stringify(ela),
    );
    checkScore(clean);
    const claim = await tenant.claim();
    for (const status of ['under_review', 'approved']) {
      const moved = await h.call({
        method: 'PATCH',
        url: `/api/v1/claims/${claim.id}`,
        key: tenant.admin,
        payload: { status },
      });
      assert.equal(moved.statusCode, 200, moved.body);
    }
    const screen = await triage(document('td3-fra-martin-screen-recto.jpg'), { claimId: claim.id });
    assert.ok(signal(screen, 'screen_recapture').score >= 0.9, JSON.stringify(screen.signals));
    assert.deepEqual([screen.riskBand, screen.routedTo], ['very_high', 'siu']);
    checkScore(screen);
    const flagged = (
      await h.call({ method: 'GET', url: `/api/v1/claims/${claim.id}`, key: tenant.admin })
    ).json();
    assert.deepEqual([flagged.status, flagged.siuFlagged], ['siu_flagged', true]);
    assert.match(flagged.siuReason, /Moiré/);
  });
});

describe('report and jobs', () => {
  test('pilot score, photo risk, far-apart flag, verdict; jobs list the surveyor’s open claims', async () => {
    const claim = await tenant.claim();
    const pune = signCapture({
      binding: { claimNumber: claim.claimNumber },
      exif: { 'exif:GPSLatitude': '18.5204', 'exif:GPSLongitude': '73.8567' },
      device: { model: 'Pixel 8', attestationType: 'StrongBox', ntpSynced: true },
    });
    const mumbai = signCapture({
      binding: { claimNumber: claim.claimNumber },
      exif: { 'exif:GPSLatitude': '19.0760', 'exif:GPSLongitude': '72.8777' },
    });
    for (const bytes of [pune, mumbai, fixture('XCA.jpg')]) {
      const upload = multipart([
        { name: 'claimId', value: claim.id },
        { name: 'photo', value: bytes, filename: 'p.jpg' },
      ]);
      assert.equal(
        (await h.call({ method: 'POST', url: '/api/v1/photos', key: tenant.admin, ...upload })).statusCode,
        201,
      );
      assert.equal(
        (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...form(bytes) }))
          .statusCode,
        200,
      );
    }
    const report = (
      await h.call({ method: 'GET', url: `/api/v1/report/${claim.id}`, key: await tenant.key('report') })
    ).json();
    // Integrity: 1.0 (verified + hw + gps + ntp), 0.65 (verified + gps), 0 (tampered) → mean 0.55.
    assert.equal(report.summary.pilotScore, 55);
    assert.deepEqual(
      [report.summary.verified, report.summary.tampered, report.summary.withGps, report.summary.hwAttested],
      [2, 1, 2, 1],
    );
    assert.equal(report.summary.riskBand, 'review');
    assert.ok(report.summary.fraudIndicators.some((flag: string) => /km apart/.test(flag)));
    assert.deepEqual(
      report.photos.map((photo: { riskScore: number }) => photo.riskScore).sort(),
      [0, 0.35, 1],
    );
    assert.match(
      report.verdict,
      /^Needs review \(adjuster review\): 2 of 3 photo\(s\) verified, pilot score 55\/100; indicators: /,
    );

    const jobs = (
      await h.call({
        method: 'GET',
        url: `/api/v1/jobs?surveyorId=${claim.body.surveyorId}`,
        key: await tenant.key('jobs'),
      })
    ).json();
    assert.equal(jobs.jobs.length, 1);
    const job = jobs.jobs[0];
    assert.equal(job.photosSubmitted, 3);
    assert.deepEqual([job.gpsLat, job.gpsLon], [18.5204, 73.8567]);
    assert.equal(Date.parse(job.expiresAt) - Date.parse(job.assignedAt), 30 * 86_400_000);
    const none = (
      await h.call({ method: 'GET', url: '/api/v1/jobs?surveyorId=usr_unknown', key: tenant.admin })
    ).json();
    assert.deepEqual(none.jobs, []);
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/jobs', key: tenant.admin })).statusCode, 400);
    const empty = await tenant.claim();
    const emptyReport = (
      await h.call({ method: 'GET', url: `/api/v1/report/${empty.id}`, key: tenant.admin })
    ).json();
    assert.deepEqual([emptyReport.summary.pilotScore, emptyReport.summary.riskBand], [0, 'very_high']);
  });
});
