/** Scopes a key may carry (the seed's table, plus `users:write` that createUser names). */
export const SCOPES = [
  'verify',
  'claims:read',
  'claims:write',
  'photos:write',
  'report',
  'jobs',
  'users:write',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * What a route needs: one scope, any one of several, or just a key of the tenant (reads the
 * seed lists without a 403). `admin` satisfies every requirement.
 */
export type ScopeRequirement = { scope: Scope } | { anyOf: readonly Scope[] } | { anyKey: true };

/** The scope named in a 403, or undefined when the key may go on. */
export function missingScope(held: readonly string[], requirement: ScopeRequirement): Scope | undefined {
  if ('anyKey' in requirement || held.includes('admin')) return undefined;
  if ('scope' in requirement) return held.includes(requirement.scope) ? undefined : requirement.scope;
  return requirement.anyOf.some((scope) => held.includes(scope)) ? undefined : requirement.anyOf[0];
}
