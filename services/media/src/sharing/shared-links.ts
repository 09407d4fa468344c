import { randomUUID } from 'node:crypto';
import { type BruteForceGuard, constantTimeEqual, randomToken, sha256Hex } from '@trustplane/kernel';
import bcrypt from 'bcryptjs';
import type { Principal } from '../auth/principal.js';
import type { MediaRepository } from '../db/media-repository.js';
import type { SharedLinkRepository } from '../db/shared-link-repository.js';
import type { LinkVisibility, MediaRow, SharedLinkRow } from '../db/types.js';
import { mediaErrors } from '../errors.js';

const BCRYPT_COST = 10;
const LEGACY_SHA256 = /^[0-9a-f]{64}$/i;

export interface CreateLinkInput {
  visibility: LinkVisibility;
  password?: string;
  expiresInHours?: number;
  maxDownloads?: number;
}

export interface SharedLinkDeps {
  links: SharedLinkRepository;
  media: MediaRepository;
  /** Locks a link's password after repeated wrong guesses (per link, across processes). */
  passwordGuard: BruteForceGuard;
  now?: () => Date;
}

/** Verifies a link password; legacy rows hold a bare hex sha-256, refreshed to bcrypt on success. */
async function passwordMatches(stored: string, candidate: string): Promise<{ ok: boolean; legacy: boolean }> {
  if (stored.startsWith('$2')) return { ok: await bcrypt.compare(candidate, stored), legacy: false };
  if (LEGACY_SHA256.test(stored)) {
    return { ok: constantTimeEqual(sha256Hex(candidate), stored.toLowerCase()), legacy: true };
  }
  return { ok: false, legacy: false };
}

export function hashLinkToken(token: string): string {
  return sha256Hex(token);
}

export function createSharedLinkService(deps: SharedLinkDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async create(
      principal: Principal,
      mediaId: string,
      input: CreateLinkInput,
    ): Promise<{ link: SharedLinkRow; token: string }> {
      // The creator must be able to download the media themselves.
      const media = await deps.media.findReadable(mediaId, principal);
      if (!media) throw mediaErrors.mediaNotFound();
      const token = randomToken(32);
      const link = await deps.links.insert({
        id: randomUUID(),
        media_id: media.id,
        created_by: principal.accountId,
        org_id: principal.orgId,
        token_hash: hashLinkToken(token),
        token_prefix: token.slice(0, 6),
        visibility: input.visibility,
        password_hash: input.password === undefined ? null : await bcrypt.hash(input.password, BCRYPT_COST),
        expires_at:
          input.expiresInHours === undefined
            ? null
            : new Date(now().getTime() + input.expiresInHours * 3_600_000),
        max_downloads: input.maxDownloads ?? null,
      });
      return { link, token };
    },

    /**
     * Resolves a token to the media it unlocks, re-checked on every request in the order: link and
     * media exist, and the link's creator can still read the media (404) → not expired (410) →
     * caller eligible (403) → password (401) → cap (429, claimed again atomically by the caller
     * once the bytes are ready to stream).
     */
    async resolve(
      token: string,
      principal: Principal | undefined,
      password: string | undefined,
    ): Promise<{ link: SharedLinkRow; media: MediaRow }> {
      const found = await deps.links.findByTokenHash(hashLinkToken(token));
      // A link whose creator has lost read access (the owner made the media private, moved it out
      // of reach) is dead like a deleted one: it never grants more than its creator holds.
      if (!found?.creatorCanRead) throw mediaErrors.sharedLinkNotFound();
      const { link } = found;
      if (link.expires_at !== null && link.expires_at.getTime() <= now().getTime())
        throw mediaErrors.linkExpired();
      if (link.visibility === 'restricted') {
        if (!principal || principal.accountId !== link.created_by || principal.orgId !== link.org_id) {
          throw mediaErrors.linkNotEligible();
        }
      } else if (link.visibility === 'organization') {
        if (!principal || principal.orgId === null || principal.orgId !== link.org_id) {
          throw mediaErrors.linkNotEligible();
        }
      }
      if (link.password_hash !== null) {
        if (password === undefined || password === '') throw mediaErrors.passwordRequired();
        // Counted before the hash runs, so parallel guesses cannot all reach bcrypt.
        const attempt = await deps.passwordGuard.reserve(link.id);
        if (!attempt.allowed) throw mediaErrors.tooManyPasswordAttempts(attempt.retryAfterSeconds);
        let check: { ok: boolean; legacy: boolean };
        try {
          check = await passwordMatches(link.password_hash, password);
        } catch (error) {
          await attempt.release().catch(() => undefined);
          throw error;
        }
        if (!check.ok) {
          const after = await attempt.fail();
          if (!after.allowed) throw mediaErrors.tooManyPasswordAttempts(after.retryAfterSeconds);
          throw mediaErrors.passwordInvalid();
        }
        await attempt.succeed();
        if (check.legacy) {
          await deps.links.upgradePasswordHash(
            link.id,
            link.password_hash,
            await bcrypt.hash(password, BCRYPT_COST),
          );
        }
      }
      if (link.max_downloads !== null && link.download_count >= link.max_downloads)
        throw mediaErrors.linkExhausted();
      return { link, media: found.media };
    },

    async claimDownload(link: SharedLinkRow): Promise<void> {
      if (!(await deps.links.claimDownload(link.id))) throw mediaErrors.linkExhausted();
    },

    list: (principal: Principal, page: number, perPage: number) =>
      deps.links.listByCreator(principal.accountId, principal.orgId, page, perPage),

    /** Every link to one of the owner's media, whoever made it (404 for media that is not theirs). */
    async listForMedia(principal: Principal, mediaId: string, page: number, perPage: number) {
      const found = await deps.links.listForOwnedMedia(mediaId, principal, page, perPage);
      if (!found) throw mediaErrors.mediaNotFound();
      return found;
    },

    /** The creator of a link, or the owner of its media, revokes it. */
    async delete(principal: Principal, id: string): Promise<void> {
      if (!(await deps.links.deleteByCreatorOrOwner(id, principal))) {
        throw mediaErrors.sharedLinkNotFound();
      }
    },
  };
}

export type SharedLinkService = ReturnType<typeof createSharedLinkService>;
