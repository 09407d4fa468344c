import http from 'node:http';
import https from 'node:https';
import {
  assertPublicDestination,
  type HostLookup,
  isBlockedAddress,
  isServiceError,
  pinnedRequestOptions,
  UnsafeDestinationError,
  type VettedDestination,
} from '@trustplane/kernel';
import { errors } from '../errors.js';

export interface FetchPhotoOptions {
  /** Budget for the whole fetch, redirects included. */
  timeoutMs: number;
  maxBytes: number;
  /** Development only: loopback and private addresses allowed. */
  allowPrivate: boolean;
  lookup?: HostLookup;
  /** Test seam: addresses treated as public although they are not (a local server standing in for the internet). */
  publicAddresses?: readonly string[];
}

const MAX_REDIRECTS = 5;

async function vet(url: URL, options: FetchPhotoOptions): Promise<VettedDestination> {
  const destination = await assertPublicDestination(url, {
    allowPrivate: true,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  if (!options.allowPrivate) {
    const refused = destination.addresses.find(
      (candidate) =>
        isBlockedAddress(candidate.address) && !options.publicAddresses?.includes(candidate.address),
    );
    if (refused) {
      throw new UnsafeDestinationError(
        `${url.hostname} resolves to ${refused.address}, which is not a public address`,
      );
    }
  }
  return destination;
}

type Hop = { kind: 'redirect'; location: string } | { kind: 'body'; bytes: Buffer };

function get(destination: VettedDestination, options: FetchPhotoOptions, signal: AbortSignal): Promise<Hop> {
  const { url } = destination;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        // Connect only to the vetted addresses: a second DNS answer cannot swap in a private one.
        ...pinnedRequestOptions(destination),
        method: 'GET',
        headers: { accept: 'image/jpeg, image/heic, image/png', 'user-agent': 'verifact/1' },
        signal,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ kind: 'redirect', location: response.headers.location });
          return;
        }
        if (status < 200 || status >= 300) {
          response.resume();
          reject(errors.photoFetchFailed(`The photo URL answered HTTP ${status}`));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          reject(errors.payloadTooLarge(options.maxBytes));
          response.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // Counted while streaming: a server that lies about (or omits) its length is cut off here.
          if (received > options.maxBytes) {
            reject(errors.payloadTooLarge(options.maxBytes));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ kind: 'body', bytes: Buffer.concat(chunks) }));
        response.on('error', reject);
        response.on('aborted', () => reject(errors.photoFetchFailed('The photo download was cut off')));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/**
 * Downloads a photo for verification: http(s) only, every address of every hop (redirects
 * included) must be public, one deadline for the whole fetch, size capped while streaming.
 * Every failure is a 400 the client can read.
 */
export async function fetchPhoto(input: string, options: FetchPhotoOptions): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw errors.invalidUrl('url is not a valid URL');
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const destination = await vet(url, options);
      const result = await get(destination, options, signal);
      if (result.kind === 'body') return result.bytes;
      url = new URL(result.location, url);
    }
    throw errors.photoFetchFailed(`More than ${MAX_REDIRECTS} redirects`);
  } catch (error) {
    if (error instanceof UnsafeDestinationError) throw errors.invalidUrl(`url refused: ${error.message}`);
    if (isServiceError(error)) throw error;
    if (signal.aborted)
      throw errors.photoFetchFailed(`The photo URL did not answer within ${options.timeoutMs} ms`);
    throw errors.photoFetchFailed(`The photo could not be fetched: ${(error as Error).message}`);
  }
}
