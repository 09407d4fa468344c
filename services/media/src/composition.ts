import { existsSync } from 'node:fs';
import type { Transaction } from 'kysely';
import path from 'node:path';
import {
  BruteForceGuard,
  type IssuerKeySource,
  IssuerTokenVerifier,
  type ServiceContext,
} from '@trustplane/kernel';
import { createAuthenticator } from './auth/authenticator.js';
import type { MediaSettings } from './config.js';
import { createBookmarkRepository } from './db/bookmark-repository.js';
import { createFolderRepository } from './db/folder-repository.js';
import { createMediaRepository } from './db/media-repository.js';
import { createSharedLinkRepository } from './db/shared-link-repository.js';
import type { MediaDatabase, MediaRow, VariantRow } from './db/types.js';
import { createVariantRepository } from './db/variant-repository.js';
import { createAuthHooks } from './http/auth.js';
import { deleteBlobsJob, scheduleBlobDeletion } from './jobs/delete-blobs.js';
import { sweepOrphansJob } from './jobs/sweep-orphans.js';
import { createOrphanSweeper } from './media/orphan-sweeper.js';
import { createUploadService } from './media/upload.js';
import { createVariantService } from './media/variants.js';
import { createSharedLinkService } from './sharing/shared-links.js';

/**
 * Where account's keys come from: `JWT_PUBLIC_KEY_PATH` when set; else account's JWKS when
 * `ACCOUNT_SERVICE_URL` is set; else the seed's `public_key.pem` in the working directory when it
 * exists; else the JWKS of account on this machine, on its `ACCOUNT_PORT` (default 8874).
 */
export function accountKeySource(settings: MediaSettings): IssuerKeySource {
  if (settings.jwtPublicKeyPath) return { publicKeyFile: settings.jwtPublicKeyPath };
  const jwks = (base: string) => ({
    jwksUrl: `${base}/.well-known/jwks.json`,
    refetchIntervalMs: settings.keyRefetchIntervalMs,
  });
  if (settings.accountServiceUrl) return jwks(settings.accountServiceUrl);
  const defaultPem = path.resolve('public_key.pem');
  if (existsSync(defaultPem)) return { publicKeyFile: defaultPem };
  return jwks(`http://127.0.0.1:${settings.accountPort}`);
}

/** The one place the media service is wired: repositories → domain services → HTTP hooks. */
export function composeMedia(context: ServiceContext, settings: MediaSettings) {
  const database = context.database<MediaDatabase>();
  const logger = context.logger;
  const objects = context.objects;
  const verifier = new IssuerTokenVerifier({
    issuer: settings.jwtIssuer,
    keys: accountKeySource(settings),
    revocations: context.revocations,
    logger,
  });
  context.onClose(async () => verifier.close());
  const authenticator = createAuthenticator(verifier);
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
  const sweeper = createOrphanSweeper({ objects, media, logger, graceMs: settings.orphanGraceMs });
  const jobs = {
    deleteBlobs: deleteBlobsJob(objects),
    sweepOrphans: sweepOrphansJob(sweeper, settings.orphanGraceMs),
  };
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
    sweeper,
    jobs,
    /** Sends the deletion of deleted media's blobs in the transaction that deletes their rows. */
    scheduleBlobDeletion: (trx: Transaction<MediaDatabase>, rows: MediaRow[], variantRows: VariantRow[]) =>
      scheduleBlobDeletion(context.jobs, jobs.deleteBlobs, trx, rows, variantRows),
    // `MEDIA_PUBLIC_URL` (the kernel's `<SERVICE>_PUBLIC_URL`), else the service's own URL.
    publicUrl: context.publicUrl,
  };
}

export type MediaDeps = ReturnType<typeof composeMedia>;
