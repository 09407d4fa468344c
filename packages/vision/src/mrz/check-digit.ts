const WEIGHTS = [7, 3, 1] as const;

/** ICAO 9303 value of one MRZ character: digits as themselves, A–Z as 10–35, `<` as 0. */
export function mrzCharValue(char: string): number {
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (char === '<') return 0;
  throw new Error(`not an MRZ character: ${JSON.stringify(char)}`);
}

/** ICAO 9303 check digit (weights 7-3-1, modulo 10) of a field. */
export function checkDigit(field: string): string {
  let sum = 0;
  for (let index = 0; index < field.length; index += 1) {
    sum += mrzCharValue(field[index] as string) * (WEIGHTS[index % 3] as number);
  }
  return String(sum % 10);
}
