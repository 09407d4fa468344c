import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { errorLevelAnalysis } from '../src/forensics/ela.js';
import { moireAnalysis } from '../src/forensics/moire.js';
import { readMrz } from '../src/mrz/mrz-reader.js';
import { createOcrPool, type OcrPool } from '../src/mrz/ocr-pool.js';

const DIR = new URL('./documents/', import.meta.url);

interface Entry {
  id: string;
  variant: string;
  recto: string;
  verso?: string;
  mrzSide: 'recto' | 'verso';
  mrz: string[];
  expectValid: boolean;
}

const manifest: Entry[] = JSON.parse(await fs.readFile(new URL('manifest.json', DIR), 'utf8'));
const mrzImage = (entry: Entry) =>
  fs.readFile(new URL((entry.mrzSide === 'verso' ? entry.verso : entry.recto) as string, DIR));

describe('MRZ reading on the generated documents', () => {
  let pool: OcrPool;
  before(async () => {
    pool = await createOcrPool();
  });
  after(async () => pool?.close());

  it('reads every clean card exactly', async () => {
    for (const entry of manifest.filter((candidate) => candidate.variant === 'clean')) {
      const reading = await readMrz(pool, await mrzImage(entry));
      assert.equal(reading.valid, true, `${entry.id}: ${JSON.stringify(reading.rawLines)}`);
      assert.deepEqual(reading.lines, entry.mrz, entry.id);
    }
  });

  it('reads at least 90 % of the degraded set exactly (JPEG q30, rotated, blurred, screen)', async () => {
    const degraded = manifest.filter((entry) =>
      ['jpeg', 'rotated', 'blurred', 'screen'].includes(entry.variant),
    );
    const misses: string[] = [];
    for (const entry of degraded) {
      const reading = await readMrz(pool, await mrzImage(entry));
      if (!(reading.valid && reading.lines.join('\n') === entry.mrz.join('\n'))) misses.push(entry.id);
      // Whatever is read, a valid parse must be the printed MRZ.
      if (reading.valid) assert.deepEqual(reading.lines, entry.mrz, `${entry.id} parsed valid but wrong`);
    }
    assert.ok((degraded.length - misses.length) / degraded.length >= 0.9, `missed: ${misses.join(', ')}`);
  });

  it('never turns a broken check digit into a pass', async () => {
    for (const entry of manifest.filter((candidate) => candidate.variant === 'broken')) {
      const reading = await readMrz(pool, await mrzImage(entry));
      assert.equal(reading.found, true, entry.id);
      assert.equal(reading.valid, false, `${entry.id} was accepted: ${JSON.stringify(reading.lines)}`);
    }
  });
});

describe('forensics', () => {
  it('flags photographed screens (moiré) and leaves clean documents alone', async () => {
    for (const entry of manifest.filter(
      (candidate) => candidate.variant === 'screen' || candidate.variant === 'clean',
    )) {
      const result = await moireAnalysis(await mrzImage(entry));
      if (entry.variant === 'screen')
        assert.ok(result.score >= 0.9, `${entry.id}: ${JSON.stringify(result.details)}`);
      else assert.ok(result.score < 0.2, `${entry.id}: ${JSON.stringify(result.details)}`);
      assert.deepEqual([...result.heatmap.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }
  });

  it('returns an ELA score in [0, 1] and a PNG heatmap', async () => {
    const entry = manifest.find((candidate) => candidate.variant === 'spliced') as Entry;
    const result = await errorLevelAnalysis(await fs.readFile(new URL(entry.recto, DIR)));
    assert.ok(result.score >= 0 && result.score <= 1);
    assert.deepEqual([...result.heatmap.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });
});
