import { z } from 'zod';
import { hasControlCharacters } from '../../media/mime-policy.js';

export const folderName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(
    (name) => !hasControlCharacters(name) && !name.includes('/'),
    'must not contain "/" or control characters',
  )
  .refine((name) => name !== '.' && name !== '..', 'must not be "." or ".."');
