import { createHash } from 'node:crypto';

const MAX_SQL = 2_000;
const IDENTIFIER = /[A-Za-z0-9_$]/;

/**
 * The SQL of a failed statement with its values taken out: comments dropped, string, blob and
 * number literals replaced by `?`, whitespace collapsed. Parameters are never part of it (they
 * never reach this function), so the errors view cannot leak tenant data through them.
 */
export function normalizeSql(statement: string): string {
  let out = '';
  let i = 0;
  while (i < statement.length) {
    const char = statement[i] as string;
    const next = statement[i + 1];
    if (char === '-' && next === '-') {
      const end = statement.indexOf('\n', i);
      i = end === -1 ? statement.length : end;
      if (!out.endsWith(' ')) out += ' ';
    } else if (char === '/' && next === '*') {
      const end = statement.indexOf('*/', i + 2);
      i = end === -1 ? statement.length : end + 2;
      if (!out.endsWith(' ')) out += ' ';
    } else if (
      char === "'" ||
      ((char === 'x' || char === 'X') && next === "'" && !IDENTIFIER.test(out.at(-1) ?? ' '))
    ) {
      // A string or blob literal ('' escapes a quote inside it).
      i = char === "'" ? i + 1 : i + 2;
      while (i < statement.length) {
        if (statement[i] === "'" && statement[i + 1] === "'") i += 2;
        else if (statement[i] === "'") {
          i += 1;
          break;
        } else i += 1;
      }
      out += '?';
    } else if (char === '"' || char === '`' || char === '[') {
      // A quoted identifier: kept as written.
      const close = char === '[' ? ']' : char;
      const end = statement.indexOf(close, i + 1);
      const stop = end === -1 ? statement.length : end + 1;
      out += statement.slice(i, stop);
      i = stop;
    } else if (/[0-9]/.test(char) && !IDENTIFIER.test(out.at(-1) ?? ' ')) {
      while (i < statement.length && /[0-9A-Fa-fxX.eE]/.test(statement[i] as string)) i += 1;
      out += '?';
    } else if (/\s/.test(char)) {
      if (!out.endsWith(' ')) out += ' ';
      i += 1;
    } else {
      out += char;
      i += 1;
    }
  }
  return out.trim().slice(0, MAX_SQL);
}

/** One group of the errors view: the failure's kind and the normalized SQL, hashed. */
export function errorFingerprint(kind: string, normalizedSql: string): string {
  return createHash('sha256').update(`${kind}\n${normalizedSql}`).digest('hex').slice(0, 32);
}
