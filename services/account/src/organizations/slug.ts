/** URL-safe slug from a display name: lower-case ASCII words joined by `-`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return slug || 'org';
}

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
