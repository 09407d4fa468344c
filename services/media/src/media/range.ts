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
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
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
