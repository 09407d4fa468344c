import { PG_ERROR, pgConstraint, pgErrorCode } from '@trustplane/kernel';

/** A PostgreSQL unique violation on `constraint` (any, when not given). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    pgErrorCode(error) === PG_ERROR.uniqueViolation &&
    (constraint === undefined || pgConstraint(error) === constraint)
  );
}
