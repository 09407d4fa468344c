import slugify from '@sindresorhus/slugify';

const MAX_BASE = 48;

/**
 * The ASCII slug of an org name: transliterated (`Çağrı Şirketi` → `cagri-sirketi`), lowercase,
 * words joined by `-`, at most 48 characters; `org` when nothing is left (a name in a script
 * with no transliteration). A collision gets `-2`, `-3`, … (`nextFreeSlug`).
 */
export function slugBase(name: string): string {
  let slug = slugify(name, { customReplacements: [['&', ' and ']] })
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, MAX_BASE);
  // Trailing dashes left by the cut, trimmed without a `-+$` pattern (polynomial on long runs).
  while (slug.endsWith('-')) slug = slug.slice(0, -1);
  return slug.length > 0 ? slug : 'org';
}

/** `base` when free, else `base-<n>` with the smallest n ≥ 2 no org has. */
export function nextFreeSlug(base: string, taken: readonly string[]): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}-${n}`;
    if (!used.has(candidate)) return candidate;
  }
}
