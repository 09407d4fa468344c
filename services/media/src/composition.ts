import { existsSync } from 'node:fs';
import path from 'node:path';
import { BruteForceGuard, type ServiceContext } from '@trustplane/kernel';
import { createAuthenticator } from './auth/authenticator.js';
import { createFileKeySource, createRemoteKeySource, type KeySource } from './auth/key-source.js';
import type { MediaSettings } from './config.js';
import { createBookmarkRepository } from './db/bookmark-repository.js';
import { createFolderRepository } from './db/folder-repository.js';
import { createMediaRepository } from './db/media-repository.js';
import { createSharedLinkRepository } from './db/shared-link-repository.js';
import type { MediaDatabase } from './db/types.js';
import { createVariantRepository } from './db/variant-repository.js';
import { createAuthHooks } from './http/auth.js';
import { createOrphanSweeper } from './media/orphan-sweeper.js';
import { createUploadService } from './media/upload.js';
import { createVariantService } from './media/variants.js';
import { createSharedLinkService } from './sharing/shared-links.js';

/** The one place the media service is wired: repositories → domain services → HTTP hooks. */
export function composeMedia(context: ServiceContext, settings: MediaSettings) {
  const database = context.database<MediaDatabase>();
  const logger = context.logger;
  const objects = context.objects;
  // The seed's default: `public_key.pem` in the working directory, when present; else fetch from account.
  const defaultPem = path.resolve('public_key.pem');
  const pemPath = settings.jwtPublicKeyPath ?? (existsSync(defaultPem) ? defaultPem : undefined);
  const keySource: KeySource = pemPath
    ? createFileKeySource(pemPath)
    : createRemoteKeySource({
        accountServiceUrl: settings.accountServiceUrl,
        logger,
        minRefetchIntervalMs: settings.keyRefetchIntervalMs,
      });
  const authenticator = createAuthenticator(keySource, { issuer: settings.jwtIssuer });
  const media = createMediaRepository(database, { defaultQuotaBytes: settings.defaultQuotaBytes });
  const folders = createFolderRepository(database);
  const links = createSharedLinkRepository(database);
  const bookmarks = createBookmarkRepository(database);
  const variants = createVariantService({ objects, variants: createVariantRepository(database), logger });
  const upload = createUploadService({
    objects,
    media,
    folders,
    variants,
    logger,
    maxFileSize: settings.maxFileSize,
    eagerMediumVariant: settings.eagerMediumVariant,
  });
  const passwordGuard = new BruteForceGuard({
    keyPrefix: 'media.share-password',
    store: { kind: 'postgres', pool: database.pool },
    maxFailures: 10,
    windowSeconds: 15 * 60,
    lockoutSeconds: 15 * 60,
  });
  const sharing = createSharedLinkService({ links, media, passwordGuard });
  return {
    settings,
    logger,
    objects,
    auth: createAuthHooks(authenticator),
    media,
    folders,
    bookmarks,
    variants,
    upload,
    sharing,
    sweeper: createOrphanSweeper({ objects, media, logger, graceMs: settings.orphanGraceMs }),
    publicUrl: settings.publicUrl ?? context.publicUrl,
  };
}

export type MediaDeps = ReturnType<typeof composeMedia>;
