/**
 * Does a binarised image hold machine-readable lines at all? Measured before OCR, because
 * Tesseract's cost grows with the number of blobs it has to segment: a page of per-pixel noise
 * holds hundreds of thousands of specks and keeps a worker busy for minutes, while an MRZ is two or
 * three rows of dozens of glyphs of one height on clean paper.
 *
 * The measure: connected components of ink (8-connected), the glyph-sized ones (height within
 * `minGlyphHeight`–`maxGlyphHeight`, no wider than a few glyphs, not a filled box), chained left to
 * right into rows (next glyph within three heights, centre within half a height, heights alike:
 * slanted rows chain too), rows of at least `minRowGlyphs` glyphs, and at least two such rows stacked
 * like an MRZ (one to four line heights apart, overlapping horizontally). The band returned is
 * where those rows are, with a margin: OCR reads that band rather than the whole crop.
 */
import type { GrayImage } from '../images/grayscale.js';

export interface TextBand {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface TextStructure {
  /** Components of ink (8-connected). */
  components: number;
  /** Components of a glyph's size and shape. */
  glyphs: number;
  /** Rows of at least `minRowGlyphs` chained glyphs. */
  rows: number;
  /** Glyphs in the rows of the MRZ-like stack, 0 when there is none. */
  stackGlyphs: number;
  /** The MRZ-like stack of rows (with a margin), or null: no MRZ can be read from this image. */
  band: TextBand | null;
}

export interface TextStructureOptions {
  minGlyphHeight?: number;
  maxGlyphHeight?: number;
  minRowGlyphs?: number;
}

interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  area: number;
}

function find(parent: Int32Array, index: number): number {
  let root = index;
  while (parent[root] !== root) root = parent[root] as number;
  let node = index;
  while (parent[node] !== root) {
    const next = parent[node] as number;
    parent[node] = root;
    node = next;
  }
  return root;
}

function union(parent: Int32Array, a: number, b: number): void {
  const rootA = find(parent, a);
  const rootB = find(parent, b);
  if (rootA === rootB) return;
  if (rootA < rootB) parent[rootB] = rootA;
  else parent[rootA] = rootB;
}

/** Bounding boxes of the 8-connected ink components (pixels < 128) of a binarised image: two passes, union-find. */
export function inkComponents(image: GrayImage): Box[] {
  const { data, width, height } = image;
  const labels = new Int32Array(width * height).fill(-1);
  // One provisional label per run start at most: width × height / 2 bounds them.
  let parent = new Int32Array(1024);
  let next = 0;
  const newLabel = () => {
    if (next === parent.length) {
      const grown = new Int32Array(parent.length * 2);
      grown.set(parent);
      parent = grown;
    }
    parent[next] = next;
    next += 1;
    return next - 1;
  };
  for (let y = 0; y < height; y += 1) {
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      const index = row + x;
      if ((data[index] as number) >= 128) continue;
      let label = -1;
      const consider = (neighbour: number) => {
        const other = labels[neighbour] as number;
        if (other < 0) return;
        if (label < 0) label = other;
        else if (other !== label) union(parent, label, other);
      };
      if (x > 0) consider(index - 1);
      if (y > 0) {
        const above = index - width;
        if (x > 0) consider(above - 1);
        consider(above);
        if (x + 1 < width) consider(above + 1);
      }
      labels[index] = label < 0 ? newLabel() : label;
    }
  }
  const boxes = new Map<number, Box>();
  for (let y = 0; y < height; y += 1) {
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      const label = labels[row + x] as number;
      if (label < 0) continue;
      const root = find(parent, label);
      const box = boxes.get(root);
      if (!box) boxes.set(root, { minX: x, minY: y, maxX: x, maxY: y, area: 1 });
      else {
        if (x < box.minX) box.minX = x;
        if (x > box.maxX) box.maxX = x;
        if (y > box.maxY) box.maxY = y;
        box.area += 1;
      }
    }
  }
  return [...boxes.values()];
}

interface Row {
  glyphs: Box[];
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Median glyph height. */
  height: number;
  centre: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Measures the image's text structure; `band` is null when no MRZ-like stack of rows is present. */
export function measureTextStructure(image: GrayImage, options: TextStructureOptions = {}): TextStructure {
  const minHeight = options.minGlyphHeight ?? 8;
  const maxHeight = options.maxGlyphHeight ?? 120;
  const minRowGlyphs = options.minRowGlyphs ?? 12;
  const components = inkComponents(image);
  const glyphs = components.filter((box) => {
    const h = box.maxY - box.minY + 1;
    const w = box.maxX - box.minX + 1;
    if (h < minHeight || h > maxHeight || w > h * 2.5) return false;
    const fill = box.area / (w * h);
    return fill >= 0.08 && fill <= 0.9;
  });
  glyphs.sort((a, b) => a.minX - b.minX);
  // Chain each glyph to the nearest glyph on its right that sits on the same line.
  const parent = new Int32Array(glyphs.length);
  for (let index = 0; index < glyphs.length; index += 1) parent[index] = index;
  for (let index = 0; index < glyphs.length; index += 1) {
    const box = glyphs[index] as Box;
    const h = box.maxY - box.minY + 1;
    const centre = (box.minY + box.maxY) / 2;
    let best = -1;
    let bestGap = Number.POSITIVE_INFINITY;
    for (let other = index + 1; other < glyphs.length; other += 1) {
      const candidate = glyphs[other] as Box;
      if (candidate.minX - box.maxX > 3 * h) break;
      if (candidate.minX <= box.minX) continue;
      const otherHeight = candidate.maxY - candidate.minY + 1;
      if (Math.max(h, otherHeight) > 1.6 * Math.min(h, otherHeight)) continue;
      if (Math.abs((candidate.minY + candidate.maxY) / 2 - centre) > 0.5 * h) continue;
      const gap = candidate.minX - box.maxX;
      if (gap < bestGap) {
        bestGap = gap;
        best = other;
      }
    }
    if (best >= 0) union(parent, index, best);
  }
  const chains = new Map<number, Box[]>();
  for (let index = 0; index < glyphs.length; index += 1) {
    const root = find(parent, index);
    const chain = chains.get(root);
    if (chain) chain.push(glyphs[index] as Box);
    else chains.set(root, [glyphs[index] as Box]);
  }
  const rows: Row[] = [];
  for (const chain of chains.values()) {
    if (chain.length < minRowGlyphs) continue;
    const height = median(chain.map((box) => box.maxY - box.minY + 1));
    const top = Math.min(...chain.map((box) => box.minY));
    const bottom = Math.max(...chain.map((box) => box.maxY));
    rows.push({
      glyphs: chain,
      left: Math.min(...chain.map((box) => box.minX)),
      right: Math.max(...chain.map((box) => box.maxX)),
      top,
      bottom,
      height,
      centre: median(chain.map((box) => (box.minY + box.maxY) / 2)),
    });
  }
  rows.sort((a, b) => a.centre - b.centre);
  // The lowest stack of rows that follow each other like an MRZ's lines.
  let stack: Row[] = [];
  for (let end = rows.length - 1; end >= 1 && stack.length < 2; end -= 1) {
    const run = [rows[end] as Row];
    for (let index = end - 1; index >= 0; index -= 1) {
      const below = run[run.length - 1] as Row;
      const row = rows[index] as Row;
      const h = Math.max(row.height, below.height);
      const distance = below.centre - row.centre;
      const alike = Math.max(row.height, below.height) <= 1.5 * Math.min(row.height, below.height);
      const overlap = Math.min(row.right, below.right) - Math.max(row.left, below.left);
      if (alike && distance >= 1.0 * h && distance <= 4 * h && overlap > 0) run.push(row);
      else if (distance > 4 * h) break;
    }
    if (run.length >= 2) stack = run;
  }
  if (stack.length < 2)
    return {
      components: components.length,
      glyphs: glyphs.length,
      rows: rows.length,
      stackGlyphs: 0,
      band: null,
    };
  const lineHeight = Math.max(...stack.map((row) => row.height));
  const left = Math.max(0, Math.min(...stack.map((row) => row.left)) - 2 * lineHeight);
  const right = Math.min(image.width - 1, Math.max(...stack.map((row) => row.right)) + 2 * lineHeight);
  const top = Math.max(0, Math.min(...stack.map((row) => row.top)) - 2 * lineHeight);
  const bottom = Math.min(image.height - 1, Math.max(...stack.map((row) => row.bottom)) + 2 * lineHeight);
  return {
    components: components.length,
    glyphs: glyphs.length,
    rows: rows.length,
    stackGlyphs: stack.reduce((sum, row) => sum + row.glyphs.length, 0),
    band: { left, top, width: right - left + 1, height: bottom - top + 1 },
  };
}
