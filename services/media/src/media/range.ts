export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * One `bytes=` range (`N-M`, `N-`, `-M`) against a file of `size` bytes. Multi-range and unparseable
 * headers are ignored (a full 200), as the seed asks; a well-formed range outside the file is 416.
 */
export function parseRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = scanByteRange(header);
  if (!match) return { kind: 'full' };
  const { first, last } = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (!Number.isSafeInteger(suffix) || suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'partial', start, end: size - 1 };
  const end = Number(last);
  // `bytes=9-3` is syntactically invalid (RFC 9110 §14.1.1): ignored like garbage.
  if (Number.isSafeInteger(end) && end < start) return { kind: 'full' };
  return { kind: 'partial', start, end: Number.isSafeInteger(end) ? Math.min(end, size - 1) : size - 1 };
}

/**
 * Accepts exactly what `/^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i` accepts, in one left-to-right pass.
 * That regular expression backtracks polynomially on runs of spaces around `-` (a 3 KB header
 * held the event loop for seconds); here whitespace, digits and the separators are disjoint, so
 * greedy scanning is exact and the cost is linear in the header's length.
 */
export function scanByteRange(header: string): { first: string; last: string } | undefined {
  const length = header.length;
  let index = skipWhitespace(header, 0);
  if (!startsWithBytesUnit(header, index)) return undefined;
  index = skipWhitespace(header, index + BYTES_UNIT.length);
  if (header.charCodeAt(index) !== EQUALS) return undefined;
  index = skipWhitespace(header, index + 1);
  const firstEnd = skipDigits(header, index);
  const first = header.slice(index, firstEnd);
  index = skipWhitespace(header, firstEnd);
  if (header.charCodeAt(index) !== HYPHEN) return undefined;
  index = skipWhitespace(header, index + 1);
  const lastEnd = skipDigits(header, index);
  const last = header.slice(index, lastEnd);
  index = skipWhitespace(header, lastEnd);
  return index === length ? { first, last } : undefined;
}

const BYTES_UNIT = 'bytes';
const EQUALS = 0x3d;
const HYPHEN = 0x2d;

/** `bytes`, ASCII case-insensitive (what the `i` flag does without `u`). */
function startsWithBytesUnit(text: string, at: number): boolean {
  if (at + BYTES_UNIT.length > text.length) return false;
  for (let offset = 0; offset < BYTES_UNIT.length; offset += 1) {
    const code = text.charCodeAt(at + offset);
    const lower = code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
    if (lower !== BYTES_UNIT.charCodeAt(offset)) return false;
  }
  return true;
}

function skipDigits(text: string, from: number): number {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) break;
    index += 1;
  }
  return index;
}

function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isWhitespace(text.charCodeAt(index))) index += 1;
  return index;
}

/** ECMAScript `\s`: WhiteSpace and LineTerminator code units. */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
