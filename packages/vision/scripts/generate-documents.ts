/**
 * Renders the synthetic identity documents used by the vision and biometry tests:
 * TD1 cards (recto + verso) and TD3 passport data pages, MRZ in OCR-B (Debian
 * `fonts-ocr-b`, public domain: `apt-get install -y fonts-ocr-b`), portraits cropped from
 * `shared/fixtures/faces`, plus degraded variants. Output: `test/documents/` and its
 * `manifest.json`. Run: `npx tsx packages/vision/scripts/generate-documents.ts`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { composeMrz, mrzTransliterate } from '../src/mrz/compose.js';
import {
  BROKEN_DOCUMENTS,
  DEGRADATIONS,
  DOCUMENTS,
  type Degradation,
  type DocumentSpec,
} from './documents.js';
import { type ManifestEntry, cropPortrait as portrait, PORTRAIT_BOXES } from '../src/testkit/documents.js';

const OUT_DIR = new URL('../test/documents/', import.meta.url);

function fontAvailable(): boolean {
  try {
    return execFileSync('fc-list', [':family=OCR B'], { encoding: 'utf8' }).includes('OCR');
  } catch {
    return false;
  }
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrzSvg(
  lines: string[],
  left: number,
  top: number,
  pitch: number,
  lineHeight: number,
  size: number,
): string {
  const parts: string[] = [];
  lines.forEach((line, row) => {
    const y = top + row * lineHeight;
    for (let column = 0; column < line.length; column += 1) {
      parts.push(
        `<text x="${left + column * pitch}" y="${y}" font-family="OCR B" font-size="${size}" fill="#111">${escapeXml(line[column] as string)}</text>`,
      );
    }
  });
  return parts.join('');
}

function guilloche(width: number, height: number, hue: string): string {
  const paths: string[] = [];
  for (let k = 0; k < 14; k += 1) {
    let d = '';
    for (let x = 0; x <= width; x += 8) {
      const y =
        height * 0.5 + Math.sin((x / width) * Math.PI * (3 + k * 0.35) + k) * height * (0.18 + k * 0.015);
      d += `${x === 0 ? 'M' : 'L'}${x},${y.toFixed(1)} `;
    }
    paths.push(`<path d="${d}" stroke="${hue}" stroke-opacity="0.35" stroke-width="1.2" fill="none"/>`);
  }
  return paths.join('');
}

function displayDate(yymmdd: string): string {
  const yy = Number(yymmdd.slice(0, 2));
  const year = yy > 40 ? 1900 + yy : 2000 + yy;
  return `${yymmdd.slice(4, 6)}.${yymmdd.slice(2, 4)}.${year}`;
}

interface Rendered {
  recto: Buffer;
  verso?: Buffer;
  /** Where the portrait sits on the recto. */
  portraitBox: { left: number; top: number; width: number; height: number };
}

async function renderTd1(spec: DocumentSpec, mrz: string[]): Promise<Rendered> {
  const width = 1012;
  const height = 638;
  const id = spec.identity;
  const portraitBox = PORTRAIT_BOXES.TD1;
  const field = (label: string, value: string, x: number, y: number) =>
    `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="17" fill="#4a5a70">${escapeXml(label)}</text>` +
    `<text x="${x}" y="${y + 30}" font-family="DejaVu Sans" font-size="26" font-weight="bold" fill="#111">${escapeXml(value)}</text>`;
  const rectoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#dfe9f3"/><stop offset="1" stop-color="#f4eadf"/></linearGradient></defs>
    <rect width="100%" height="100%" rx="36" fill="url(#g)"/>${guilloche(width, height, '#7a8fb0')}
    <text x="40" y="70" font-family="DejaVu Sans" font-size="34" font-weight="bold" fill="#1d3557">${escapeXml(id.issuingState)} · IDENTITY CARD</text>
    <text x="40" y="105" font-family="DejaVu Sans" font-size="18" fill="#1d3557">SPECIMEN — SYNTHETIC TEST DOCUMENT</text>
    ${field('Surname', mrzTransliterate(id.lastName).replace(/</g, ' '), 350, 160)}
    ${field('Given names', mrzTransliterate(id.firstNames).replace(/</g, ' '), 350, 240)}
    ${field('Sex', id.sex, 350, 320)}${field('Nationality', id.nationality, 480, 320)}
    ${field('Date of birth', displayDate(id.birthDate), 650, 320)}
    ${field('Document no.', id.documentNumber, 350, 400)}${field('Expiry', displayDate(id.expirationDate), 650, 400)}
  </svg>`;
  const versoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f4eadf"/><stop offset="1" stop-color="#dfe9f3"/></linearGradient></defs>
    <rect width="100%" height="100%" rx="36" fill="url(#g)"/>${guilloche(width, height * 0.6, '#b08f7a')}
    ${field('Address', '12 RUE DE L EXEMPLE 75000 VILLE', 40, 70)}
    ${field('Issued', '01.01.2021', 40, 160)}${field('Authority', 'PREFECTURE', 320, 160)}
    <rect x="0" y="390" width="${width}" height="248" fill="#ffffff" fill-opacity="0.55"/>
    ${mrzSvg(mrz, 46, 450, 31.2, 66, 42)}
  </svg>`;
  const recto = await sharp(Buffer.from(rectoSvg))
    .composite([
      { input: await portrait(spec.portrait, portraitBox.width, portraitBox.height), ...portraitBox },
    ])
    .jpeg({ quality: 92 })
    .toBuffer();
  const verso = await sharp(Buffer.from(versoSvg)).jpeg({ quality: 92 }).toBuffer();
  return { recto, verso, portraitBox };
}

async function renderTd3(spec: DocumentSpec, mrz: string[]): Promise<Rendered> {
  const width = 1250;
  const height = 880;
  const id = spec.identity;
  const portraitBox = PORTRAIT_BOXES.TD3;
  const field = (label: string, value: string, x: number, y: number) =>
    `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="18" fill="#5a4a40">${escapeXml(label)}</text>` +
    `<text x="${x}" y="${y + 32}" font-family="DejaVu Sans" font-size="28" font-weight="bold" fill="#111">${escapeXml(value)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#efe6f5"/><stop offset="1" stop-color="#e3f1ea"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${guilloche(width, height * 0.75, '#8d7ab0')}
    <text x="50" y="80" font-family="DejaVu Sans" font-size="38" font-weight="bold" fill="#3d2a5c">PASSPORT · ${escapeXml(id.issuingState)}</text>
    <text x="50" y="120" font-family="DejaVu Sans" font-size="20" fill="#3d2a5c">SPECIMEN — SYNTHETIC TEST DOCUMENT</text>
    ${field('Type', id.documentCode, 420, 170)}${field('Code', id.issuingState, 560, 170)}${field('Passport no.', id.documentNumber, 760, 170)}
    ${field('Surname', mrzTransliterate(id.lastName).replace(/</g, ' '), 420, 250)}
    ${field('Given names', mrzTransliterate(id.firstNames).replace(/</g, ' '), 420, 330)}
    ${field('Nationality', id.nationality, 420, 410)}${field('Sex', id.sex, 640, 410)}
    ${field('Date of birth', displayDate(id.birthDate), 760, 410)}
    ${field('Date of expiry', displayDate(id.expirationDate), 420, 490)}
    <rect x="0" y="640" width="${width}" height="240" fill="#ffffff" fill-opacity="0.55"/>
    ${mrzSvg(mrz, 48, 730, 26.2, 80, 36)}
  </svg>`;
  const recto = await sharp(Buffer.from(svg))
    .composite([
      { input: await portrait(spec.portrait, portraitBox.width, portraitBox.height), ...portraitBox },
    ])
    .jpeg({ quality: 92 })
    .toBuffer();
  return { recto, portraitBox };
}

/** A photographed screen: a fine, slightly rotated sinusoidal grating multiplied over the image. */
async function screenPattern(image: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const angle = (7 * Math.PI) / 180;
  const period = 5.3;
  for (let y = 0; y < info.height; y += 1) {
    for (let x = 0; x < info.width; x += 1) {
      const phase = ((x * Math.cos(angle) + y * Math.sin(angle)) / period) * 2 * Math.PI;
      const factor = 0.82 + 0.18 * Math.sin(phase);
      const offset = (y * info.width + x) * 3;
      for (let channel = 0; channel < 3; channel += 1)
        data[offset + channel] = Math.round((data[offset + channel] as number) * factor);
    }
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .modulate({ brightness: 1.05 })
    .jpeg({ quality: 88 })
    .toBuffer();
}

async function degrade(image: Buffer, degradation: Degradation): Promise<Buffer> {
  switch (degradation) {
    case 'jpeg':
      return sharp(image).jpeg({ quality: 30 }).toBuffer();
    case 'rotated':
      return sharp(image).rotate(3, { background: '#808080' }).jpeg({ quality: 90 }).toBuffer();
    case 'blurred':
      return sharp(image).blur(1.1).jpeg({ quality: 90 }).toBuffer();
    case 'screen':
      return screenPattern(image);
  }
}

/** Pastes another person's face, freshly rendered, over the portrait of an already-compressed card. */
async function splice(rendered: Rendered, otherPortrait: string): Promise<Buffer> {
  const box = rendered.portraitBox;
  const face = await portrait(otherPortrait, box.width - 60, box.height - 80);
  return sharp(rendered.recto)
    .composite([{ input: face, left: box.left + 30, top: box.top + 40 }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

async function main(): Promise<void> {
  if (!fontAvailable()) {
    throw new Error('the OCR-B font is missing: apt-get install -y fonts-ocr-b');
  }
  await fs.rm(OUT_DIR, { recursive: true, force: true });
  await fs.mkdir(OUT_DIR, { recursive: true });
  const manifest: ManifestEntry[] = [];
  const write = async (name: string, bytes: Buffer) => {
    await fs.writeFile(new URL(name, OUT_DIR), bytes);
    return name;
  };
  for (const spec of [...DOCUMENTS, ...BROKEN_DOCUMENTS]) {
    const mrz = composeMrz(spec.layout, spec.identity, spec.broken);
    const rendered = spec.layout === 'TD1' ? await renderTd1(spec, mrz) : await renderTd3(spec, mrz);
    const mrzSide = spec.layout === 'TD1' ? 'verso' : 'recto';
    const base = {
      base: spec.id,
      layout: spec.layout,
      documentType: spec.documentType,
      portrait: spec.portrait,
      mrzSide,
      mrz,
      declared: spec.declared,
    } as const;
    const recto = await write(`${spec.id}-recto.jpg`, rendered.recto);
    const verso = rendered.verso ? await write(`${spec.id}-verso.jpg`, rendered.verso) : undefined;
    manifest.push({
      ...base,
      id: spec.id,
      variant: spec.broken ? 'broken' : 'clean',
      recto,
      ...(verso ? { verso } : {}),
      expectValid: !spec.broken,
    });
    if (spec.broken) continue;
    for (const degradation of DEGRADATIONS) {
      const source = mrzSide === 'verso' ? (rendered.verso as Buffer) : rendered.recto;
      const name = await write(
        `${spec.id}-${degradation}-${mrzSide}.jpg`,
        await degrade(source, degradation),
      );
      manifest.push({
        ...base,
        id: `${spec.id}-${degradation}`,
        variant: degradation,
        recto: mrzSide === 'recto' ? name : recto,
        ...(verso ? { verso: mrzSide === 'verso' ? name : verso } : {}),
        expectValid: true,
      });
    }
    const other =
      spec.portrait === 'biden_2010_blue_room.jpg'
        ? 'obama_2012_oval_office_portrait.jpg'
        : 'biden_2010_blue_room.jpg';
    const spliced = await write(`${spec.id}-spliced-recto.jpg`, await splice(rendered, other));
    manifest.push({
      ...base,
      id: `${spec.id}-spliced`,
      variant: 'spliced',
      portrait: other,
      recto: spliced,
      ...(verso ? { verso } : {}),
      expectValid: true,
    });
  }
  await fs.writeFile(new URL('manifest.json', OUT_DIR), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`wrote ${manifest.length} documents to ${fileURLToPath(OUT_DIR)}\n`);
}

await main();
