import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture } from './support/captures.js';
import { FIXTURES, Harness, multipart, type TestTenant } from './support/harness.js';

// No npm package encodes HEVC (libheif-js ships decoders only), so the small HEIC comes from
// libheif's heif-enc (Debian libheif-examples; .ci/run installs it).
const heifEnc = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v heif-enc'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let h: Harness;
let tenant: TestTenant;
let dir = '';
let heic: Buffer;

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'verifact-heic-'));
  if (heifEnc) {
    const out = path.join(dir, 'small.heic');
    execFileSync('heif-enc', ['-q', '60', new URL('IMG_0003.jpg', FIXTURES).pathname, '-o', out], {
      stdio: 'ignore',
    });
    heic = await fs.readFile(out);
  }
});
after(async () => {
  await h?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const triage = (bytes: Buffer, claimId: string, filename: string) =>
  h.call({
    method: 'POST',
    url: '/api/v1/triage',
    key: tenant.admin,
    ...multipart([
      { name: 'claimId', value: claimId },
      { name: 'photo', value: bytes, filename },
    ]),
  });

describe('HEIC', { skip: heifEnc ? false : 'heif-enc (libheif-examples) is not installed' }, () => {
  test('a small HEIC is decoded for triage: its pixels match the JPEG it was encoded from', async () => {
    assert.equal(heic.subarray(4, 12).toString('latin1'), 'ftypheic');
    const first = await tenant.claim();
    const fromHeic = await triage(heic, first.id, 'small.heic');
    assert.equal(fromHeic.statusCode, 200, fromHeic.body);
    const signals = fromHeic.json().signals as { name: string; score: number; detail: string }[];
    // ELA reads JPEG quantisation: a decoded HEIC has none to read.
    assert.equal(signals.find((signal) => signal.name === 'ela')?.detail, 'Not applicable (re-encoded HEIC)');
    assert.equal(signals.find((signal) => signal.name === 'duplicate')?.score, 0);
    // The same scene as a JPEG on another claim: the HEIC's perceptual hash (from its decoded
    // pixels) finds it.
    const second = await tenant.claim();
    const fromJpeg = await triage(fixture('IMG_0003.jpg'), second.id, 'same.jpg');
    assert.equal(fromJpeg.statusCode, 200, fromJpeg.body);
    const duplicate = (fromJpeg.json().signals as { name: string; score: number; detail: string }[]).find(
      (signal) => signal.name === 'duplicate',
    );
    assert.equal(duplicate?.score, 0.9);
    assert.match(String(duplicate?.detail), new RegExp(`Matches triaged photo ${fromHeic.json().id}`));
  });

  test('a small HEIC without a manifest verifies as unverified', async () => {
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/verify',
      key: tenant.admin,
      ...multipart([{ name: 'photo', value: heic, filename: 'small.heic' }]),
    });
    assert.deepEqual([response.statusCode, response.json().status], [200, 'unverified']);
  });
});
