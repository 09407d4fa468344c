import path from 'node:path';
import type { S3Config } from '../config/platform-config.js';
import { createLocalObjectStore, type LocalObjectStore } from './local-object-store.js';
import { createS3ObjectStore, type S3ObjectStore } from './s3-object-store.js';

export {
  createLocalObjectStore,
  type LocalObjectStore,
  type LocalObjectStoreOptions,
} from './local-object-store.js';
export {
  assertValidObjectKey,
  assertValidObjectPrefix,
  isValidObjectKey,
  MAX_OBJECT_KEY_LENGTH,
  MAX_OBJECT_KEY_SEGMENT_LENGTH,
} from './object-key.js';
export { objectRoutes, type ObjectRoutesOptions } from './object-routes.js';
export {
  type ByteRange,
  type GetObjectResult,
  InvalidObjectKeyError,
  ObjectExistsError,
  type ObjectHead,
  ObjectIntegrityError,
  ObjectNotFoundError,
  type ObjectStore,
  ObjectTooLargeError,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type PutOptions,
  RangeNotSatisfiableError,
  type StoredObject,
} from './object-store.js';
export { attachmentDisposition, safeFilename } from './presign-options.js';
export { releaseChunk, releaseChunksOnceWritten } from './release-chunk.js';
export {
  createS3Client,
  createS3ObjectStore,
  type S3Config,
  type S3ObjectStore,
  type S3ObjectStoreOptions,
} from './s3-object-store.js';

export interface ObjectStoreConfig {
  /** When set, objects go to this bucket; otherwise to local disk. */
  s3?: S3Config;
  /** Local objects root, e.g. `$TRUSTPLANE_DATA_DIR/objects`. */
  rootDir: string;
  signingSecret: Buffer | string;
  /** Where the service is reached, for local presigned URLs. */
  publicBaseUrl: string;
  /** The owning service; its objects live under `<namespace>/` (S3) or `<rootDir>/<namespace>` (disk). */
  namespace: string;
  routePrefix?: string;
}

/** `kind` tells which one you got: mount `objectRoutes` only for `'local'`. */
export type AnyObjectStore = LocalObjectStore | S3ObjectStore;

export function createObjectStore(config: ObjectStoreConfig): AnyObjectStore {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(config.namespace)) {
    throw new RangeError(`invalid object namespace: ${config.namespace}`);
  }
  if (config.s3) return createS3ObjectStore(config.s3, { prefix: config.namespace });
  return createLocalObjectStore({
    rootDir: path.join(config.rootDir, config.namespace),
    signingSecret: config.signingSecret,
    publicBaseUrl: config.publicBaseUrl,
    routePrefix: config.routePrefix,
    signingScope: config.namespace,
  });
}
