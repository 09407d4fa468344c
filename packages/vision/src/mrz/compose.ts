import { checkDigit } from './check-digit.js';

export type MrzLayout = 'TD1' | 'TD3';

/** What is printed in an MRZ, before encoding. Dates are `YYMMDD`. */
export interface MrzIdentity {
  documentCode: string;
  issuingState: string;
  documentNumber: string;
  lastName: string;
  firstNames: string;
  nationality: string;
  birthDate: string;
  sex: 'M' | 'F' | '<';
  expirationDate: string;
  optional?: string;
}

/** Which check digits to print wrong on purpose (test documents). */
export interface BrokenCheckDigits {
  documentNumber?: boolean;
  birthDate?: boolean;
  expirationDate?: boolean;
  composite?: boolean;
}

/** Upper-cases, strips accents and turns every other non-alphanumeric run into `<`, as ICAO 9303 transliterates. */
export function mrzTransliterate(value: string): string {
  const transliterated = value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/ß/g, 'SS')
    .replace(/[ÆæÄä]/g, 'AE')
    .replace(/[ØøÖö]/g, 'OE')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '<');
  return trimFiller(transliterated);
}

/**
 * `value` without the `<` fillers at its start and/or end. A loop rather than `/<+$/`, which
 * backtracks quadratically on a long run of `<` followed by anything else.
 */
export function trimFiller(value: string, side: 'start' | 'end' | 'both' = 'both'): string {
  let start = 0;
  let end = value.length;
  if (side !== 'end') while (start < end && value[start] === '<') start += 1;
  if (side !== 'start') while (end > start && value[end - 1] === '<') end -= 1;
  return value.slice(start, end);
}

function pad(value: string, length: number): string {
  if (value.length > length) return value.slice(0, length);
  return value.padEnd(length, '<');
}

function wrong(digit: string): string {
  return String((Number(digit) + 5) % 10);
}

function nameField(identity: MrzIdentity, length: number): string {
  return pad(`${mrzTransliterate(identity.lastName)}<<${mrzTransliterate(identity.firstNames)}`, length);
}

/** Encodes an identity as TD1 (3×30) or TD3 (2×44) MRZ lines with ICAO check digits. */
export function composeMrz(
  layout: MrzLayout,
  identity: MrzIdentity,
  broken: BrokenCheckDigits = {},
): string[] {
  const digit = (field: string, isBroken: boolean | undefined) => {
    const value = checkDigit(field);
    return isBroken ? wrong(value) : value;
  };
  const code = pad(identity.documentCode, 2);
  if (layout === 'TD3') {
    const number = pad(identity.documentNumber, 9);
    const numberCd = digit(number, broken.documentNumber);
    const birthCd = digit(identity.birthDate, broken.birthDate);
    const expiryCd = digit(identity.expirationDate, broken.expirationDate);
    const optional = pad(identity.optional ?? '', 14);
    const optionalCd = optional === '<'.repeat(14) ? '<' : checkDigit(optional);
    const line1 = `${code}${pad(identity.issuingState, 3)}${nameField(identity, 39)}`;
    const composite = `${number}${numberCd}${identity.birthDate}${birthCd}${identity.expirationDate}${expiryCd}${optional}${optionalCd}`;
    const line2 = `${number}${numberCd}${pad(identity.nationality, 3)}${identity.birthDate}${birthCd}${identity.sex}${identity.expirationDate}${expiryCd}${optional}${optionalCd}${digit(composite, broken.composite)}`;
    return [line1, line2];
  }
  const number = pad(identity.documentNumber, 9);
  const numberCd = digit(number, broken.documentNumber);
  const optional1 = pad(identity.optional ?? '', 15);
  const line1 = `${code}${pad(identity.issuingState, 3)}${number}${numberCd}${optional1}`;
  const birthCd = digit(identity.birthDate, broken.birthDate);
  const expiryCd = digit(identity.expirationDate, broken.expirationDate);
  const head = `${identity.birthDate}${birthCd}${identity.sex}${identity.expirationDate}${expiryCd}${pad(identity.nationality, 3)}${'<'.repeat(11)}`;
  const composite = `${line1.slice(5, 30)}${head.slice(0, 7)}${head.slice(8, 15)}${head.slice(18, 29)}`;
  const line2 = `${head}${digit(composite, broken.composite)}`;
  return [line1, line2, nameField(identity, 30)];
}
