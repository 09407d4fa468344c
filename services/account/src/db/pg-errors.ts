import { PG_ERROR, pgErrorCode } from '@trustplane/kernel';

/** 23001 restrict_violation: a row an `ON DELETE RESTRICT` foreign key still points at. */
export function isRestrictViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23001' || pgErrorCode(error) === PG_ERROR.foreignKeyViolation;
}
