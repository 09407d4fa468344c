import { MAX_PASSWORD_BYTES } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** The seed's rule: at least 8 characters with upper, lower, digit and special character. */
export function assertPasswordPolicy(field: string, password: string): void {
  const problems: string[] = [];
  if ([...password].length < 8) problems.push('at least 8 characters');
  if (!/\p{Lu}/u.test(password)) problems.push('an uppercase letter');
  if (!/\p{Ll}/u.test(password)) problems.push('a lowercase letter');
  if (!/\p{Nd}/u.test(password)) problems.push('a digit');
  if (!/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('a special character');
  if (problems.length > 0) throw errors.VALIDATION(field, `must contain ${problems.join(', ')}`);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw errors.VALIDATION(field, `must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
}
