import { LRUCache } from 'lru-cache';
import type { AssetRow } from '../db/document-assets-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { SessionRow } from '../db/verification-sessions-repository.js';

/** How long a session read for `GET /sessions/{id}` may be served from memory. */
export const SESSION_VIEW_TTL_MS = 1000;
const SESSION_VIEW_CACHE_SIZE = 10_000;

export interface SessionView {
  session: SessionRow;
  assets: AssetRow[];
}

/**
 * Hot-path cache of the polling endpoint: a session with its assets. Writers in this process call
 * `forget`; another process may serve a state up to SESSION_VIEW_TTL_MS old (token hash and
 * expiry never change).
 */
export function createSessionViews(repositories: Pick<KycRepositories, 'sessions' | 'assets'>) {
  const views = new LRUCache<string, SessionView>({ max: SESSION_VIEW_CACHE_SIZE, ttl: SESSION_VIEW_TTL_MS });
  return {
    async get(id: string): Promise<SessionView | undefined> {
      const hit = views.get(id);
      if (hit) return hit;
      // The entry's age counts from before the read, not from when it was stored.
      const readAt = performance.now();
      // Assets first: the analysis job commits an asset's outcome with the session's, so a
      // client that sees an asset settled also sees the session that commit left (the other order
      // could pair a settled asset with the session read before the commit).
      const assets = await repositories.assets.listForSession(id);
      const session = await repositories.sessions.find(id);
      if (!session) return undefined;
      const entry = { session, assets };
      views.set(id, entry, { start: readAt });
      return entry;
    },
    forget(id: string): void {
      views.delete(id);
    },
  };
}

export type SessionViews = ReturnType<typeof createSessionViews>;
