/**
 * Calibrates the portrait forensics (`portraitCompressionGhost`, `portraitElaContrast`) on
 * generated documents: every clean recto of `test/documents/`, re-saved the ways genuine
 * captures are, against the same cards with their portrait replaced by another face and saved
 * again. Prints the distribution of each signal per variant and per class.
 * Run: `npx tsx packages/vision/scripts/calibrate-portrait-forensics.ts`.
 */
import sharp from 'sharp';
import { loadFaceEngine } from '../src/faces/face-engine.js';
import { errorLevelAnalysis } from '../src/forensics/ela.js';
import { portraitElaContrast } from '../src/forensics/portrait-ela.js';
import { portraitCompressionGhost } from '../src/forensics/portrait-ghost.js';
import { readDocument, readManifest, resaved, swapPortrait } from '../src/testkit/documents.js';

interface Sample {
  kind: 'genuine' | 'forged-detectable' | 'forged-blind';
  variant: string;
  id: string;
  bytes: Buffer;
}

const manifest = await readManifest();
const samples: Sample[] = [];
for (const entry of manifest) {
  if (['jpeg', 'rotated', 'blurred', 'screen'].includes(entry.variant) && entry.mrzSide === 'recto')
    samples.push({
      kind: 'genuine',
      variant: entry.variant,
      id: entry.id,
      bytes: await readDocument(entry.recto),
    });
  if (entry.variant === 'spliced')
    samples.push({
      kind: 'forged-blind',
      variant: 'inner splice, same quality (repo)',
      id: entry.id,
      bytes: await readDocument(entry.recto),
    });
  if (entry.variant !== 'clean') continue;
  const recto = await readDocument(entry.recto);
  const genuine = async (variant: string, bytes: Promise<Buffer> | Buffer) =>
    samples.push({ kind: 'genuine', variant, id: entry.id, bytes: await bytes });
  await genuine('clean (q92)', recto);
  for (const quality of [95, 85, 75, 60]) await genuine(`re-saved q${quality}`, resaved(recto, quality));
  for (const [first, second] of [
    [75, 92],
    [85, 95],
    [80, 90],
    [70, 95],
  ] as const)
    await genuine(`re-saved q${first} then q${second}`, resaved(recto, first, second));
  const width = (await sharp(recto).metadata()).width ?? 1000;
  await genuine(
    'scaled 0.8, q90',
    sharp(recto)
      .resize(Math.round(width * 0.8))
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  await genuine('PNG', sharp(recto).png().toBuffer());

  const donor =
    entry.portrait === 'biden_2010_blue_room.jpg'
      ? 'obama_2012_oval_office_portrait.jpg'
      : 'biden_2010_blue_room.jpg';
  const forged = async (
    kind: Sample['kind'],
    cardQuality: number | undefined,
    finalQuality: number | 'png',
  ) =>
    samples.push({
      kind,
      variant: `${cardQuality ? `card q${cardQuality}` : 'card as is (q92)'} → paste → ${finalQuality === 'png' ? 'PNG' : `q${finalQuality}`}`,
      id: entry.id,
      bytes: await swapPortrait({ recto, layout: entry.layout, donor, cardQuality, finalQuality }),
    });
  for (const [card, final] of [
    [60, 92],
    [70, 95],
    [75, 92],
    [80, 90],
    [85, 95],
    [85, 92],
    [90, 95],
    [undefined, 98],
    [undefined, 'png'],
  ] as const)
    await forged('forged-detectable', card, final);
  for (const [card, final] of [
    [undefined, 92],
    [undefined, 85],
    [undefined, 75],
    [95, 92],
  ] as const)
    await forged('forged-blind', card, final);
}

const engine = await loadFaceEngine();
interface Row {
  kind: Sample['kind'];
  variant: string;
  id: string;
  ratio: number | null;
  quality: number | null;
  contrast: number;
  elaScore: number;
  ms: number;
}
const rows: Row[] = [];
for (const sample of samples) {
  const [face] = await engine.detect(sample.bytes);
  if (!face) {
    process.stdout.write(`${sample.kind} ${sample.variant} ${sample.id}: no face\n`);
    continue;
  }
  const started = performance.now();
  const ghost = await portraitCompressionGhost(sample.bytes, face.box);
  const ms = performance.now() - started;
  const contrast = portraitElaContrast(await errorLevelAnalysis(sample.bytes), face.box);
  rows.push({
    kind: sample.kind,
    variant: sample.variant,
    id: sample.id,
    ratio: ghost.ratio,
    quality: ghost.quality,
    contrast: contrast.contrast,
    elaScore: contrast.score,
    ms,
  });
}

const range = (values: number[]) =>
  values.length ? `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}` : '—';
const groups = new Map<string, Row[]>();
for (const row of rows) {
  const key = `${row.kind}\t${row.variant}`;
  groups.set(key, [...(groups.get(key) ?? []), row]);
}
process.stdout.write(
  'class | variant | n | ghost ratio | ghost quality | q90 contrast | q90 portrait score\n',
);
for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  const [kind, variant] = key.split('\t');
  const ratios = group.map((row) => row.ratio).filter((ratio): ratio is number => ratio !== null);
  const qualities = [...new Set(group.map((row) => row.quality))].join(',');
  process.stdout.write(
    `${kind} | ${variant} | ${group.length} | ${range(ratios)}${ratios.length < group.length ? ` (${group.length - ratios.length} inconclusive)` : ''} | ${qualities} | ${range(group.map((row) => row.contrast))} | ${range(group.map((row) => row.elaScore))}\n`,
  );
}
for (const kind of ['genuine', 'forged-detectable', 'forged-blind'] as const) {
  const group = rows.filter((row) => row.kind === kind);
  const ratios = group.map((row) => row.ratio).filter((ratio): ratio is number => ratio !== null);
  process.stdout.write(
    `ALL ${kind}: n ${group.length}, ghost ratio ${range(ratios)}, q90 portrait score ${range(group.map((row) => row.elaScore))}\n`,
  );
}
const times = rows.map((row) => row.ms).sort((a, b) => a - b);
process.stdout.write(
  `ghost time per document: median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, p95 ${times[Math.floor(times.length * 0.95)]?.toFixed(0)} ms\n`,
);
