import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Builder, LocalSigner } from '@contentauth/c2pa-node';
import { CompactEncrypt, importSPKI } from 'jose';
import { FIXTURES } from './harness.js';

export function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

const DIGITAL_CAPTURE = 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture';
export const TRAINED_ALGORITHMIC = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

export interface CaptureOptions {
  binding?: Record<string, string>;
  /** A compact JWE for `in.co.verifact.vault`. */
  vault?: string;
  device?: Record<string, unknown>;
  exif?: Record<string, string>;
  sourceType?: string;
  /** Unsigned source image (default IMG_0003.jpg, no manifest). */
  source?: string;
  /** More assertions, label → data. */
  extra?: Record<string, unknown>;
}

function captureBuilder(options: CaptureOptions) {
  const builder = Builder.withJson({
    claim_generator_info: [{ name: 'verifact-android-test', version: '1.0.0' }],
    title: 'capture.jpg',
    format: 'image/jpeg',
  } as never);
  builder.addAssertion('c2pa.actions.v2', {
    actions: [{ action: 'c2pa.created', digitalSourceType: options.sourceType ?? DIGITAL_CAPTURE }],
  });
  if (options.exif) {
    builder.addAssertion('stds.exif', {
      '@context': { exif: 'http://ns.adobe.com/exif/1.0/', tiff: 'http://ns.adobe.com/tiff/1.0/' },
      ...options.exif,
    });
  }
  if (options.device) builder.addAssertion('in.co.verifact.device', options.device);
  if (options.binding) builder.addAssertion('in.co.verifact.claim-binding', options.binding);
  if (options.vault) builder.addAssertion('in.co.verifact.vault', { jwe: options.vault });
  for (const [label, data] of Object.entries(options.extra ?? {})) builder.addAssertion(label, data as never);
  return builder;
}

/**
 * Signs a photo the way the Verifact Android client would, with the published c2pa-rs test
 * credentials (certs/es256.*, chained to the test trust anchors).
 */
export function signCapture(options: CaptureOptions = {}): Buffer {
  const signer = LocalSigner.newSigner(fixture('certs/es256.pub'), fixture('certs/es256.pem'), 'es256');
  const output: { buffer: Buffer | null } = { buffer: null };
  captureBuilder(options).sign(
    signer,
    { buffer: fixture(options.source ?? 'IMG_0003.jpg'), mimeType: 'image/jpeg' },
    output as never,
  );
  if (!output.buffer) throw new Error('signing produced no bytes');
  return output.buffer;
}

/**
 * Like `signCapture`, with an RFC 3161 time-stamp from the TSA at `tsaUrl` (c2pa-rs fetches
 * time-stamps only when it signs asynchronously, through a callback signer).
 */
export async function signTimestampedCapture(options: CaptureOptions, tsaUrl: string): Promise<Buffer> {
  const chain = fixture('certs/es256.pub').toString('utf8');
  const certs = (chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((pem) =>
    Buffer.from(pem),
  );
  const key = createPrivateKey(fixture('certs/es256.pem'));
  const output: { buffer: Buffer | null } = { buffer: null };
  await captureBuilder(options).signConfigAsync(
    async (data) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
    { alg: 'es256', certs, reserveSize: 20_000, tsaUrl, directCoseHandling: false },
    { buffer: fixture(options.source ?? 'IMG_0003.jpg'), mimeType: 'image/jpeg' },
    output as never,
  );
  if (!output.buffer) throw new Error('signing produced no bytes');
  return output.buffer;
}

/** Seals a claim binding to an attestation manifest's RSA key, as the Android client does. */
export async function sealVault(
  manifest: { kid: string; publicKey: string },
  binding: Record<string, string>,
) {
  const key = await importSPKI(manifest.publicKey, 'RSA-OAEP-256');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(binding)))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: manifest.kid })
    .encrypt(key);
}

/** Replaces the first occurrence of `from` with `to` (same length) in a copy. */
export function patch(bytes: Buffer, from: string, to: string): Buffer {
  const at = bytes.indexOf(Buffer.from(from, 'latin1'));
  if (at < 0 || from.length !== to.length) throw new Error(`cannot patch ${from}`);
  const copy = Buffer.from(bytes);
  copy.write(to, at, 'latin1');
  return copy;
}

/** Removes every APP11 (0xFFEB) segment of a JPEG: the embedded C2PA manifest. */
export function stripApp11(jpeg: Buffer): Buffer {
  const out: Buffer[] = [jpeg.subarray(0, 2)];
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1] as number;
    if (marker === 0xda) break;
    const length = jpeg.readUInt16BE(offset + 2);
    if (marker !== 0xeb) out.push(jpeg.subarray(offset, offset + 2 + length));
    offset += 2 + length;
  }
  out.push(jpeg.subarray(offset));
  return Buffer.concat(out);
}
