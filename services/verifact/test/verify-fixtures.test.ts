import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, patch, stripApp11 } from './support/captures.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;
let key: string;

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
  key = await tenant.key('verify');
});
after(() => h?.close());

async function verify(bytes: Buffer, filename = 'photo.jpg') {
  const form = multipart([
    { name: 'photo', value: bytes, filename, contentType: 'application/octet-stream' },
  ]);
  const response = await h.call({ method: 'POST', url: '/api/v1/verify', key, ...form });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

/** The fixtures README's "service" column (c2pa-node 0.8.0 / c2pa-rs 0.90.1, test anchors). */
const EXPECTED: [string, 'verified' | 'tampered' | 'unverified', string[], string[]?][] = [
  ['C.jpg', 'verified', []],
  ['CA.jpg', 'verified', []],
  ['CACAE-uri-CA.jpg', 'verified', []],
  ['CIE-sig-CA.jpg', 'verified', []],
  ['CA_ct.jpg', 'verified', ['timeStamp.malformed']],
  ['C_with_CAWG_data.jpg', 'verified', ['cawg.identity.untrusted'], ['signingCredential.untrusted']],
  ['E-sig-CA.jpg', 'tampered', ['claimSignature.mismatch']],
  ['XCA.jpg', 'tampered', ['assertion.dataHash.mismatch']],
  ['no_alg.jpg', 'tampered', ['verifact.manifest_unreadable']],
  ['IMG_0003.jpg', 'unverified', []],
  ['sample1.heic', 'unverified', []],
  ['truepic-20230212-camera.jpg', 'verified', ['signingCredential.untrusted'], ['verifact.exif_mismatch']],
  ['nikon-20221019-building.jpeg', 'tampered', ['signingCredential.expired']],
  ['adobe-20220124-E-uri-CA.jpg', 'tampered', ['assertion.hashedURI.mismatch']],
  ['adobe-20220124-E-dat-CA.jpg', 'tampered', ['assertion.dataHash.mismatch']],
  ['adobe-20220124-E-clm-CAICAI.jpg', 'tampered', ['assertion.hashedURI.mismatch']],
  ['gen-signed-capture.jpg', 'verified', ['verifact.exif_mismatch'], ['signingCredential.untrusted']],
  ['gen-tampered-pixels.jpg', 'tampered', ['assertion.dataHash.mismatch']],
  ['gen-tampered-gps.jpg', 'tampered', ['assertion.hashedURI.mismatch']],
  ['gen-untrusted-signer.jpg', 'verified', ['signingCredential.untrusted']],
  ['gen-signed-capture.heic', 'verified', []],
];

describe('the 21 fixtures', () => {
  for (const [name, status, alerts, absent = []] of EXPECTED) {
    test(`${name} → ${status}${alerts.length ? ` + ${alerts.join(', ')}` : ''}`, async () => {
      const result = await verify(fixture(name), name);
      assert.equal(result.status, status, JSON.stringify(result.alerts));
      for (const alert of alerts) assert.ok(result.alerts.includes(alert), `${alert} in ${result.alerts}`);
      for (const alert of absent)
        assert.ok(!result.alerts.includes(alert), `${alert} not in ${result.alerts}`);
      if (status === 'unverified') {
        assert.equal(result.claimBinding, null);
        assert.equal(result.assertions, 0);
        assert.deepEqual([result.gps, result.device], [null, null]);
      } else if (!alerts.includes('verifact.manifest_unreadable')) {
        assert.ok(result.assertions > 0);
        assert.deepEqual(result.claimBinding, { source: 'none' });
      }
    });
  }

  test('GPS and device come from the signed assertions, not the header EXIF', async () => {
    const result = await verify(fixture('gen-signed-capture.jpg'));
    assert.ok(Math.abs(result.gps.lat - (48 + 51.3984 / 60)) < 1e-9);
    assert.ok(Math.abs(result.gps.lon - (2 + 20.8872 / 60)) < 1e-9);
    assert.equal(result.device.model, 'ExampleCam EC-1');
    assert.equal(result.device.attestationType, 'StrongBox');
    const truepic = await verify(fixture('truepic-20230212-camera.jpg'));
    assert.deepEqual(
      [truepic.gps.lat, truepic.gps.lon, truepic.gps.accuracy],
      [43.1520939, -77.5805328, 16.4],
    );
    assert.equal(truepic.device.model, 'Google Pixel 5');
    // The header of IMG_0003 has a Canon model and no signed assertion: nothing is reported.
    const plain = await verify(fixture('IMG_0003.jpg'));
    assert.equal(plain.device, null);
  });
});

describe('README patch variants', () => {
  test('C.jpg with its title changed inside the claim → tampered (claim signature)', async () => {
    const result = await verify(patch(fixture('C.jpg'), 'C.jpg', 'X.jpg'));
    assert.equal(result.status, 'tampered');
    assert.ok(result.alerts.includes('claimSignature.mismatch'), result.alerts);
  });

  test('C.jpg with an undecodable claim (reader throws) → tampered + alert', async () => {
    const result = await verify(patch(fixture('C.jpg'), 'claim_generator', 'claim_generatur'));
    assert.equal(result.status, 'tampered');
    assert.deepEqual(result.alerts, ['verifact.manifest_unreadable']);
  });

  test('CA.jpg with an assertion changed → tampered (hashed URI)', async () => {
    const result = await verify(patch(fixture('CA.jpg'), 'brightnesscontrast', 'brightnesscontraxx'));
    assert.equal(result.status, 'tampered');
    assert.ok(result.alerts.includes('assertion.hashedURI.mismatch'), result.alerts);
  });

  test('gen-signed-capture.heic with one media byte flipped → tampered (BMFF hash)', async () => {
    const heic = Buffer.from(fixture('gen-signed-capture.heic'));
    const mdat = heic.indexOf(Buffer.from('mdat'));
    heic[mdat + 5000] = (heic[mdat + 5000] as number) ^ 0xff;
    const result = await verify(heic, 'x.heic');
    assert.equal(result.status, 'tampered');
    assert.ok(result.alerts.includes('assertion.bmffHash.mismatch'), result.alerts);
  });

  test('a signed JPEG with its APP11 segments dropped → unverified (the unsigned original)', async () => {
    const stripped = stripApp11(fixture('gen-signed-capture.jpg'));
    assert.ok(stripped.equals(fixture('IMG_0003.jpg')));
    const result = await verify(stripped);
    assert.equal(result.status, 'unverified');
    assert.equal(result.claimBinding, null);
  });
});
