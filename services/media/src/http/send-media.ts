import {
  type AnyObjectStore,
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  releaseChunksOnceWritten,
  userContentHeaders,
} from '@trustplane/kernel';
import type { FastifyReply } from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import type { MediaRow } from '../db/types.js';
import { mediaErrors } from '../errors.js';
import { parseRange } from '../media/range.js';

/** Inline only for types a browser renders without running code; everything else downloads. */
function dispositionType(mime: string): 'inline' | 'attachment' {
  if (mime === 'image/svg+xml') return 'attachment';
  if (/^(image|video|audio)\//.test(mime) || mime === 'application/pdf' || mime === 'text/plain')
    return 'inline';
  return 'attachment';
}

export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export interface SendOptions {
  objects: AnyObjectStore;
  logger: FastifyBaseLogger;
  media: MediaRow;
  /** The blob to send: the original or a variant's. */
  key: string;
  size: number;
  mimeType: string;
  checksum: string;
  rangeHeader: string | undefined;
  /** Ranges are honoured for `video/*` originals only. */
  allowRanges: boolean;
  /** Runs once the blob is open and before any byte is sent (shared-link download counting). */
  beforeSend?: () => Promise<void>;
  cacheControl?: string;
}

/** Streams a blob: 200 with the whole body, or 206/416 for a video's byte range. */
export async function sendMedia(reply: FastifyReply, options: SendOptions): Promise<FastifyReply> {
  const ranged = options.allowRanges && options.mimeType.startsWith('video/');
  const decision = ranged ? parseRange(options.rangeHeader, options.size) : ({ kind: 'full' } as const);
  if (decision.kind === 'unsatisfiable') {
    reply.header('accept-ranges', 'bytes');
    throw mediaErrors.rangeNotSatisfiable(options.size);
  }
  let opened: Awaited<ReturnType<AnyObjectStore['get']>>;
  try {
    opened = await options.objects.get(
      options.key,
      decision.kind === 'partial' ? { start: decision.start, end: decision.end } : undefined,
    );
  } catch (error) {
    if (error instanceof RangeNotSatisfiableError) throw mediaErrors.rangeNotSatisfiable(options.size);
    if (error instanceof ObjectNotFoundError) {
      options.logger.error({ mediaId: options.media.id, key: options.key }, 'media row without its blob');
      throw mediaErrors.storageMissing();
    }
    throw error;
  }
  if (options.beforeSend) {
    try {
      await options.beforeSend();
    } catch (error) {
      opened.body.destroy();
      throw error;
    }
  }
  const size = opened.head.size;
  userContentHeaders(reply);
  reply
    .header('content-type', options.mimeType)
    .header(
      'content-disposition',
      contentDisposition(dispositionType(options.mimeType), options.media.original_name),
    )
    .header('etag', `"${options.checksum.replace(/^sha256:/, '')}"`)
    .header(
      'cache-control',
      options.cacheControl ??
        (options.media.visibility === 'public' ? 'public, max-age=300' : 'private, no-store'),
    );
  if (ranged) reply.header('accept-ranges', 'bytes');
  if (opened.range) {
    reply
      .status(206)
      .header('content-range', `bytes ${opened.range.start}-${opened.range.end}/${size}`)
      .header('content-length', String(opened.range.end - opened.range.start + 1));
  } else {
    reply.status(200).header('content-length', String(size));
  }
  // Each chunk read from disk is freed once the socket has it (kernel `releaseChunksOnceWritten`).
  if (opened.chunksReleasable) releaseChunksOnceWritten(reply.raw);
  return reply.send(opened.body);
}
