import { errors } from '../errors.js';

/** 422 `VALIDATION` naming each body field that breaks a rule the schema alone cannot state. */
export function invalidFields(issues: readonly { path: string; message: string }[]) {
  return errors.VALIDATION({ details: { details: issues.map((issue) => ({ ...issue, location: 'body' })) } });
}
