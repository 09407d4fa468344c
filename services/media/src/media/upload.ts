import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type AnyObjectStore, ObjectTooLargeError } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { FolderRepository } from '../db/folder-repository.js';
import type { MediaRepository } from '../db/media-repository.js';
import type { MediaRow, Visibility } from '../db/types.js';
import { mediaErrors } from '../errors.js';
import {
  assertMimeAllowed,
  extensionOf,
  fileTypeOf,
  isUnsniffable,
  normalizeMime,
  validateFilename,
} from './mime-policy.js';
import { SniffingStream, type SniffResult } from './sniffing-stream.js';
import { originalKey } from './storage-keys.js';
import type { VariantService } from './variants.js';

export interface UploadPart {
  file: Readable;
  filename: string | undefined;
  mimetype: string | undefined;
  /**
   * Settles once the request body has been received in full; rejects if the client went away. A
   * cut connection can end the file part early without an error, so this is what proves the bytes
   * are the whole file.
   */
  bodyReceived: Promise<void>;
}

export interface UploadRequest {
  principal: Principal;
  folderId: string | undefined;
  visibility: Visibility;
}

export interface UploadDeps {
  objects: AnyObjectStore;
  media: MediaRepository;
  folders: FolderRepository;
  variants: VariantService;
  logger: Logger;
  maxFileSize: number;
  eagerMediumVariant: boolean;
}

interface Effective {
  mime: string;
  extension: string;
}

function effectiveType(declared: string, filename: string, sniffed: SniffResult | undefined): Effective {
  const fromName = extensionOf(filename);
  let mime: string;
  let extension: string | undefined;
  if (sniffed) {
    // The magic bytes win over whatever the client declared.
    mime = normalizeMime(sniffed.mime);
    extension = sniffed.ext;
  } else if (declared !== '' && isUnsniffable(declared)) {
    mime = declared;
    extension = fromName;
  } else {
    // Declared a type with a signature the bytes do not carry: keep nothing of the claim.
    mime = 'application/octet-stream';
    extension = fromName;
  }
  assertMimeAllowed(mime);
  const safeExtension = extension && /^[a-z0-9]{1,10}$/.test(extension) ? extension : 'bin';
  return { mime, extension: safeExtension };
}

/**
 * The seed's validation order: filename → declared MIME allow/block → quota fast-path → stream to
 * storage with the size cap → magic-byte sniff → policy on the sniffed type → DB row (with the quota
 * charge, whose CHECK is authoritative). Any failure after streaming began removes the blob.
 */
export function createUploadService(deps: UploadDeps) {
  return {
    async upload(request: UploadRequest, part: UploadPart): Promise<MediaRow> {
      const { principal } = request;
      const originalName = validateFilename(part.filename);
      const declared = normalizeMime(part.mimetype);
      if (declared !== '') assertMimeAllowed(declared);
      if (request.folderId !== undefined) {
        const folder = await deps.folders.findOwned(request.folderId, principal);
        if (!folder) throw mediaErrors.folderNotFound();
      }
      const usage = await deps.media.usage(principal.accountId);
      if (usage.usedBytes >= usage.maxBytes) throw mediaErrors.quotaExceeded(usage.usedBytes, usage.maxBytes);

      const id = randomUUID();
      const key = originalKey(id);
      const sniffer = new SniffingStream((sniffed) => effectiveType(declared, originalName, sniffed));
      part.file.on('error', (error) => sniffer.destroy(error));
      // The store's reader rethrows the stream's error; this keeps a refusal raised before the store
      // starts reading (small bodies are sniffed at once) from becoming an uncaught 'error' event.
      sniffer.on('error', () => undefined);
      await deps.media.beginUpload(key, principal.accountId);
      part.file.pipe(sniffer);
      let stored: Awaited<ReturnType<AnyObjectStore['put']>>;
      try {
        // The request body's chunks are ours alone: freed as soon as they are on disk (kernel `releaseChunk`).
        stored = await deps.objects.put(key, sniffer, { maxBytes: deps.maxFileSize, releaseChunks: true });
      } catch (error) {
        part.file.unpipe(sniffer);
        part.file.resume();
        // The store removed its staged file; nothing reached the key.
        await deps.media.abandonUpload(key);
        if (error instanceof ObjectTooLargeError) throw mediaErrors.fileTooLarge(deps.maxFileSize);
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw mediaErrors.fileTooLarge(deps.maxFileSize);
        }
        throw error;
      }
      let row: MediaRow;
      try {
        // A truncated part (client went away) must not be committed as if complete.
        if ((part.file as Readable & { truncated?: boolean }).truncated) {
          throw mediaErrors.fileTooLarge(deps.maxFileSize);
        }
        await part.bodyReceived.catch(() => {
          throw mediaErrors.uploadIncomplete();
        });
        const effective = sniffer.decision!;
        row = await deps.media.insert({
          id,
          owner_id: principal.accountId,
          org_id: principal.orgId,
          folder_id: request.folderId ?? null,
          filename: `${id}.${effective.extension}`,
          original_name: originalName,
          mime_type: effective.mime,
          file_type: fileTypeOf(effective.mime),
          size_bytes: stored.size,
          checksum: `sha256:${stored.sha256}`,
          storage_path: key,
          visibility: request.visibility,
        });
      } catch (error) {
        try {
          await deps.objects.delete(key);
          await deps.media.abandonUpload(key);
        } catch (cleanupError) {
          // The intent stays, so the orphan sweeper retries the removal.
          deps.logger.error({ err: cleanupError, key }, 'could not remove the blob of a failed upload');
        }
        throw error;
      }
      if (deps.eagerMediumVariant && row.file_type === 'image') {
        // Best effort: the original is committed whatever happens here.
        await deps.variants.ensure(row, 'medium').catch((error: unknown) => {
          deps.logger.warn({ err: error, mediaId: row.id }, 'eager medium variant failed');
        });
      }
      return row;
    },
  };
}

export type UploadService = ReturnType<typeof createUploadService>;
