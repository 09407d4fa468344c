import { states } from 'mrz';
import { checkDigit } from './check-digit.js';
import { trimFiller } from './compose.js';

export type MrzFormatName = 'TD1' | 'TD2' | 'TD3';

type FieldKind = 'alpha' | 'numeric' | 'alnum' | 'sex' | 'check' | 'state';

interface FieldSpec {
  line: number;
  start: number;
  end: number;
  kind: FieldKind;
}

interface CheckSpec {
  /** Fields (by [line, start, end]) whose concatenation the digit protects. */
  covers: [number, number, number][];
  digit: [number, number];
  /** `<` is allowed as the digit when the covered field is all fillers (TD3 personal number). */
  optional?: boolean;
}

interface FormatSpec {
  lines: number;
  length: number;
  fields: FieldSpec[];
  checks: CheckSpec[];
}

const f = (line: number, start: number, end: number, kind: FieldKind): FieldSpec => ({
  line,
  start,
  end,
  kind,
});

export const MRZ_FORMATS: Record<MrzFormatName, FormatSpec> = {
  TD1: {
    lines: 3,
    length: 30,
    fields: [
      f(0, 0, 2, 'alpha'),
      f(0, 2, 5, 'state'),
      f(0, 5, 14, 'alnum'),
      f(0, 14, 15, 'check'),
      f(0, 15, 30, 'alnum'),
      f(1, 0, 6, 'numeric'),
      f(1, 6, 7, 'check'),
      f(1, 7, 8, 'sex'),
      f(1, 8, 14, 'numeric'),
      f(1, 14, 15, 'check'),
      f(1, 15, 18, 'state'),
      f(1, 18, 29, 'alnum'),
      f(1, 29, 30, 'check'),
      f(2, 0, 30, 'alpha'),
    ],
    checks: [
      { covers: [[0, 5, 14]], digit: [0, 14] },
      { covers: [[1, 0, 6]], digit: [1, 6] },
      { covers: [[1, 8, 14]], digit: [1, 14] },
      {
        covers: [
          [0, 5, 30],
          [1, 0, 7],
          [1, 8, 15],
          [1, 18, 29],
        ],
        digit: [1, 29],
      },
    ],
  },
  TD2: {
    lines: 2,
    length: 36,
    fields: [
      f(0, 0, 2, 'alpha'),
      f(0, 2, 5, 'state'),
      f(0, 5, 36, 'alpha'),
      f(1, 0, 9, 'alnum'),
      f(1, 9, 10, 'check'),
      f(1, 10, 13, 'state'),
      f(1, 13, 19, 'numeric'),
      f(1, 19, 20, 'check'),
      f(1, 20, 21, 'sex'),
      f(1, 21, 27, 'numeric'),
      f(1, 27, 28, 'check'),
      f(1, 28, 35, 'alnum'),
      f(1, 35, 36, 'check'),
    ],
    checks: [
      { covers: [[1, 0, 9]], digit: [1, 9] },
      { covers: [[1, 13, 19]], digit: [1, 19] },
      { covers: [[1, 21, 27]], digit: [1, 27] },
      {
        covers: [
          [1, 0, 10],
          [1, 13, 20],
          [1, 21, 35],
        ],
        digit: [1, 35],
      },
    ],
  },
  TD3: {
    lines: 2,
    length: 44,
    fields: [
      f(0, 0, 2, 'alpha'),
      f(0, 2, 5, 'state'),
      f(0, 5, 44, 'alpha'),
      f(1, 0, 9, 'alnum'),
      f(1, 9, 10, 'check'),
      f(1, 10, 13, 'state'),
      f(1, 13, 19, 'numeric'),
      f(1, 19, 20, 'check'),
      f(1, 20, 21, 'sex'),
      f(1, 21, 27, 'numeric'),
      f(1, 27, 28, 'check'),
      f(1, 28, 42, 'alnum'),
      f(1, 42, 43, 'check'),
      f(1, 43, 44, 'check'),
    ],
    checks: [
      { covers: [[1, 0, 9]], digit: [1, 9] },
      { covers: [[1, 13, 19]], digit: [1, 19] },
      { covers: [[1, 21, 27]], digit: [1, 27] },
      { covers: [[1, 28, 42]], digit: [1, 42], optional: true },
      {
        covers: [
          [1, 0, 10],
          [1, 13, 20],
          [1, 21, 43],
        ],
        digit: [1, 43],
      },
    ],
  },
};

/** Letters OCR reads where the MRZ can only hold a digit, and back. */
const TO_DIGIT: Record<string, string> = {
  O: '0',
  Q: '0',
  D: '0',
  U: '0',
  I: '1',
  L: '1',
  T: '1',
  Z: '2',
  S: '5',
  B: '8',
  G: '6',
  A: '4',
};
const TO_LETTER: Record<string, string> = {
  '0': 'O',
  '1': 'I',
  '2': 'Z',
  '4': 'A',
  '5': 'S',
  '6': 'G',
  '7': 'T',
  '8': 'B',
};
/** Look-alikes that are both legal in an alphanumeric field; only check digits can tell them apart. */
const AMBIGUOUS: Record<string, string[]> = {
  O: ['0'],
  '0': ['O'],
  I: ['1'],
  '1': ['I'],
  Z: ['2'],
  '2': ['Z'],
  S: ['5', '8'],
  '5': ['S'],
  B: ['8'],
  '8': ['B'],
  G: ['6'],
  '6': ['G', 'C'],
  C: ['6'],
};
/** Letters a country code may have been misread from (a code is checked against the list of states). */
const STATE_LOOKALIKES: Record<string, string[]> = {
  O: ['D', 'Q'],
  D: ['O'],
  Q: ['O'],
  '0': ['O', 'D', 'Q'],
};
const MAX_CANDIDATES = 20_000;

export interface Correction {
  line: number;
  column: number;
  from: string;
  to: string;
  /** `type`: a letter in a digit-only place (or the reverse); `check-digit`: chosen because it alone satisfies the check digits. */
  reason: 'type' | 'check-digit' | 'state-code';
}

export interface CorrectedMrz {
  format: MrzFormatName;
  lines: string[];
  corrections: Correction[];
  /** Every check digit of the corrected lines holds. */
  checksPass: boolean;
}

function setChar(lines: string[][], line: number, column: number, value: string): void {
  (lines[line] as string[])[column] = value;
}

function fieldText(lines: string[][], line: number, start: number, end: number): string {
  return (lines[line] as string[]).slice(start, end).join('');
}

function checkHolds(lines: string[][], check: CheckSpec): boolean {
  const digit = (lines[check.digit[0]] as string[])[check.digit[1]] as string;
  const covered = check.covers.map(([line, start, end]) => fieldText(lines, line, start, end)).join('');
  if (check.optional && digit === '<' && /^<*$/.test(covered)) return true;
  if (!/^[A-Z0-9<]*$/.test(covered) || !/^[0-9]$/.test(digit)) return false;
  return checkDigit(covered) === digit;
}

export function detectFormat(lines: string[]): MrzFormatName | undefined {
  for (const name of ['TD1', 'TD2', 'TD3'] as const) {
    const spec = MRZ_FORMATS[name];
    if (lines.length === spec.lines && lines.every((line) => line.length === spec.length)) return name;
  }
  return undefined;
}

/**
 * Repairs OCR look-alikes in MRZ lines of a known format.
 *
 * 1. Type: a letter where only a digit is legal (dates, check digits) becomes its digit
 *    look-alike, and a digit in a letters-only place its letter. This never depends on a check digit.
 * 2. Country codes: a code that is not a known state is replaced by the only known state its
 *    look-alikes can spell.
 * 3. Check digits: in alphanumeric fields (document number, optional data) where a check fails,
 *    look-alike substitutions are tried; a spelling is taken only if it is the only one that
 *    satisfies the field's digit *and* the composite digit (otherwise the field stays unreadable).
 *    Check digits themselves are never rewritten, and because each composite weighs a field's
 *    characters exactly as the field's own digit does, a misprinted check digit cannot be
 *    "corrected" into a pass.
 */
export function correctMrz(input: string[], format: MrzFormatName): CorrectedMrz {
  const spec = MRZ_FORMATS[format];
  const lines = input.map((line) => line.split(''));
  const corrections: Correction[] = [];
  for (const field of spec.fields) {
    for (let column = field.start; column < field.end; column += 1) {
      const char = (lines[field.line] as string[])[column] as string;
      let replacement: string | undefined;
      if ((field.kind === 'numeric' || field.kind === 'check') && /[A-Z]/.test(char))
        replacement = TO_DIGIT[char];
      if ((field.kind === 'alpha' || field.kind === 'state') && /[0-9]/.test(char))
        replacement = TO_LETTER[char];
      if (field.kind === 'sex' && char === '0') replacement = 'O';
      if (replacement) {
        setChar(lines, field.line, column, replacement);
        corrections.push({ line: field.line, column, from: char, to: replacement, reason: 'type' });
      }
    }
  }
  for (const field of spec.fields.filter((candidate) => candidate.kind === 'state')) {
    const code = fieldText(lines, field.line, field.start, field.end);
    const known = (value: string) => value in states || trimFiller(value, 'end') in states;
    if (known(code)) continue;
    const options = expand(code, (char) => [char, ...(STATE_LOOKALIKES[char] ?? [])]);
    const valid = options.filter(known);
    if (valid.length === 1) {
      const chosen = valid[0] as string;
      for (let offset = 0; offset < chosen.length; offset += 1) {
        if (chosen[offset] !== code[offset]) {
          corrections.push({
            line: field.line,
            column: field.start + offset,
            from: code[offset] as string,
            to: chosen[offset] as string,
            reason: 'state-code',
          });
          setChar(lines, field.line, field.start + offset, chosen[offset] as string);
        }
      }
    }
  }
  const composite = spec.checks[spec.checks.length - 1] as CheckSpec;
  for (const check of spec.checks.slice(0, -1)) {
    if (checkHolds(lines, check)) continue;
    const [line, start, end] = check.covers[0] as [number, number, number];
    const isAlnum = spec.fields.some(
      (field) => field.line === line && field.start === start && field.kind === 'alnum',
    );
    if (!isAlnum) continue;
    const original = fieldText(lines, line, start, end);
    const ambiguous = original.split('').map((char) => [char, ...(AMBIGUOUS[char] ?? [])]);
    const total = ambiguous.reduce((product, options) => product * options.length, 1);
    if (total > MAX_CANDIDATES) continue;
    const passing: string[] = [];
    for (const candidate of expand(original, (_char, index) => ambiguous[index] as string[])) {
      if (candidate === original) continue;
      const trial = lines.map((row) => [...row]);
      for (let offset = 0; offset < candidate.length; offset += 1)
        setChar(trial, line, start + offset, candidate[offset] as string);
      if (checkHolds(trial, check) && checkHolds(trial, composite)) passing.push(candidate);
      if (passing.length > 1) break;
    }
    // Several spellings satisfy the digits: the field is unreadable, not guessed.
    if (passing.length !== 1) continue;
    const best = passing.map((value) => ({ value }));
    const chosen = (best[0] as { value: string }).value;
    for (let offset = 0; offset < chosen.length; offset += 1) {
      if (chosen[offset] !== original[offset]) {
        corrections.push({
          line,
          column: start + offset,
          from: original[offset] as string,
          to: chosen[offset] as string,
          reason: 'check-digit',
        });
        setChar(lines, line, start + offset, chosen[offset] as string);
      }
    }
  }
  return {
    format,
    lines: lines.map((row) => row.join('')),
    corrections,
    checksPass: spec.checks.every((check) => checkHolds(lines, check)),
  };
}

function expand(value: string, options: (char: string, index: number) => string[]): string[] {
  let results = [''];
  for (let index = 0; index < value.length; index += 1) {
    const next: string[] = [];
    const choices = options(value[index] as string, index);
    for (const prefix of results) for (const choice of choices) next.push(prefix + choice);
    results = next;
    if (results.length > MAX_CANDIDATES) return [];
  }
  return results;
}
