import type { MrzFields } from '@trustplane/vision';
import { mrzTransliterate } from '@trustplane/vision';
import { alpha2ToAlpha3 } from './countries.js';

export interface CrossValidation {
  passed: boolean;
  expected: string | null;
  found: string | null;
  score: number;
}

export interface DeclaredIdentity {
  first_name: string;
  last_name: string;
  date_of_birth?: string | null;
  gender?: 'M' | 'F' | 'O' | 'N' | null;
  nationality?: string | null;
}

/** Name tokens as the MRZ would print them: upper case, no accents, `<`, `-` and spaces split. */
export function nameTokens(value: string): string[] {
  return mrzTransliterate(value)
    .split('<')
    .filter((token) => token.length > 0);
}

function levenshtein(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] as number;
      previous[j] = Math.min(
        above + 1,
        (previous[j - 1] as number) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

function tokenSimilarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

/**
 * Order-insensitive token match: each declared token is paired with its most similar unused
 * MRZ token; the score is the character-weighted mean similarity. MRZ names may be
 * truncated at the line end, so a declared token that the MRZ token is a prefix of counts as equal.
 */
export function nameMatchScore(declared: string, found: string): number {
  const expected = nameTokens(declared);
  const available = nameTokens(found);
  if (!expected.length || !available.length) return 0;
  let weighted = 0;
  let weight = 0;
  const used = new Set<number>();
  for (const token of expected) {
    let best = 0;
    let bestIndex = -1;
    available.forEach((candidate, index) => {
      if (used.has(index)) return;
      const similarity =
        token.startsWith(candidate) && candidate.length >= 3 ? 1 : tokenSimilarity(token, candidate);
      if (similarity > best) {
        best = similarity;
        bestIndex = index;
      }
    });
    if (bestIndex >= 0) used.add(bestIndex);
    weighted += best * token.length;
    weight += token.length;
  }
  // MRZ tokens nobody declared lower the score too (a missing middle name is not a match).
  const unmatched = available
    .filter((_, index) => !used.has(index))
    .reduce((sum, token) => sum + token.length, 0);
  return Math.round((weighted / (weight + unmatched)) * 1000) / 1000;
}

/** `YYMMDD` of the MRZ against a declared ISO date; the century is taken from the declaration. */
export function compareBirthDate(declared: string | null | undefined, mrz: string | null): CrossValidation {
  const iso = declared?.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  const expected = iso ? `${iso[1]}-${iso[2]}-${iso[3]}` : (declared ?? null);
  if (!mrz || !/^\d{6}$/.test(mrz)) return { passed: false, expected, found: mrz, score: 0 };
  const found = `${mrz.slice(0, 2)}${mrz.slice(2, 4)}${mrz.slice(4, 6)}`;
  if (!iso) return { passed: false, expected, found, score: 0 };
  const declaredShort = `${(iso[1] as string).slice(2)}${iso[2]}${iso[3]}`;
  const foundIso = `${(iso[1] as string).slice(0, 2)}${mrz.slice(0, 2)}-${mrz.slice(2, 4)}-${mrz.slice(4, 6)}`;
  const passed = declaredShort === found;
  return { passed, expected, found: passed ? foundIso : found, score: passed ? 1 : 0 };
}

/** MRZ sex (`M`/`F`/`<`) against the declared gender: `O` and `N` match an unspecified `<`. */
export function compareGender(declared: string | null | undefined, mrz: MrzFields['sex']): CrossValidation {
  const found = mrz === 'male' ? 'M' : mrz === 'female' ? 'F' : mrz === 'nonspecified' ? 'X' : null;
  if (!declared) return { passed: true, expected: null, found, score: 1 };
  const passed = declared === 'O' || declared === 'N' ? found === 'X' || found === null : declared === found;
  return { passed, expected: declared, found, score: passed ? 1 : 0 };
}

/** Nationality: the MRZ's alpha-3 against a declared alpha-3 or alpha-2 code. */
export function compareNationality(declared: string | null | undefined, mrz: string | null): CrossValidation {
  if (!declared) return { passed: true, expected: null, found: mrz, score: 1 };
  const upper = declared.trim().toUpperCase();
  const expected = upper.length === 2 ? (alpha2ToAlpha3(upper) ?? upper) : upper;
  // German documents print `D` (ICAO's code for Germany) rather than `DEU`.
  const found = mrz === 'D' ? 'DEU' : mrz;
  const passed = found !== null && expected === found;
  return { passed, expected, found, score: passed ? 1 : 0 };
}
