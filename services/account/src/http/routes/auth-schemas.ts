import { z } from 'zod';

export const password = z
  .string({ error: 'is required' })
  .min(1, { error: 'is required' })
  .max(1024, { error: 'is too long' });

/** Validated with the runtime's own time-zone data, so anything `Intl` accepts is accepted. */
export const timezone = z
  .string()
  .max(64)
  .refine(
    (value) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'must be an IANA timezone' },
  );
export const language = z.string().regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code' });
