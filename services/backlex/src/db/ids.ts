import { randomBytes } from 'node:crypto';
import { toBase62 } from '@trustplane/kernel';

/**
 * Prefixed ids (`org_…`, `mem_…`, `inv_…`, `aud_…`): a millisecond timestamp then randomness,
 * base62, so ids of one kind sort roughly by creation and never collide.
 */
export function newId(prefix: string): string {
  const time = Buffer.alloc(6);
  time.writeUIntBE(Date.now(), 0, 6);
  return `${prefix}_${toBase62(Buffer.concat([time, randomBytes(10)]))}`;
}
