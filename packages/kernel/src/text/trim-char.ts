/**
 * `text` without the runs of `char` at its start and/or end. A loop rather than `/c+$/`: that
 * regex backtracks quadratically on a long run of `c` followed by anything else.
 */
export function trimChar(text: string, char: string, side: 'start' | 'end' | 'both' = 'both'): string {
  if (char.length !== 1) throw new RangeError('trimChar trims one UTF-16 code unit');
  let start = 0;
  let end = text.length;
  if (side !== 'end') while (start < end && text[start] === char) start += 1;
  if (side !== 'start') while (end > start && text[end - 1] === char) end -= 1;
  return text.slice(start, end);
}
