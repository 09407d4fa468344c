import { PG_ERROR, pgConstraint, pgErrorCode } from '@trustplane/kernel';

/** True when `error` is a PostgreSQL violation of `code`, optionally of one named constraint. */
export function isViolation(error: unknown, code: keyof typeof PG_ERROR, constraint?: string): boolean {
  if (pgErrorCode(error) !== PG_ERROR[code]) return false;
  return constraint === undefined || pgConstraint(error) === constraint;
}

/** 23001 restrict_violation: a row an `ON DELETE RESTRICT` foreign key still points at. */
export function isRestrictViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23001' || pgErrorCode(error) === PG_ERROR.foreignKeyViolation;
}
