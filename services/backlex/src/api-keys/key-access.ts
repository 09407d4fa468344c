import { type Operation, operationByName } from './operations.js';

export const keyScopes = ['read-only', 'deploy', 'full'] as const;
export type KeyScope = (typeof keyScopes)[number];

export interface KeyGrant {
  readonly scope: KeyScope;
  /** `null`: every operation the scope reaches; otherwise only these operation names. */
  readonly mcpTools: readonly string[] | null;
}

const classesByScope: Record<KeyScope, ReadonlySet<Operation['class']>> = {
  'read-only': new Set(['read']),
  deploy: new Set(['read', 'deploy']),
  full: new Set(['read', 'deploy', 'write']),
};

/** Whether a key may call `operation`: its scope reaches the operation's class, and its `mcpTools` (if any) names it. */
export function keyMayCall(grant: KeyGrant, operation: Operation): boolean {
  if (!classesByScope[grant.scope].has(operation.class)) return false;
  return grant.mcpTools === null || grant.mcpTools.includes(operation.name);
}

/** `mcpTools` entries that name no catalogue operation (a 422 at key creation). */
export function unknownOperationNames(names: readonly string[]): string[] {
  return names.filter((name) => !operationByName(name));
}
