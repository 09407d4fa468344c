import { trimChar } from '@trustplane/kernel';

/** URL-safe slug from a display name: lower-case ASCII words joined by `-`. */
export function slugify(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  const slug = trimChar(trimChar(words, '-').slice(0, 60), '-', 'end');
  return slug || 'org';
}

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
