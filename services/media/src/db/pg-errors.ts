import { PG_ERROR, pgConstraint, pgErrorCode } from '@trustplane/kernel';

/** True when `error` is a PostgreSQL violation of `code`, optionally of one named constraint. */
export function isViolation(error: unknown, code: keyof typeof PG_ERROR, constraint?: string): boolean {
  if (pgErrorCode(error) !== PG_ERROR[code]) return false;
  return constraint === undefined || pgConstraint(error) === constraint;
}

/** `%`, `_` and `\` are literal in a user's search term. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (char) => `\\${char}`);
}
