import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A real JPEG with some detail, so re-encoding at lower quality gives smaller files. */
export async function jpegImage(width = 160, height = 120): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 100 })
    .toBuffer();
}

export async function pngImage(width = 64, height = 64): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 4, 200);
  return sharp(pixels, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** PNG signature then garbage: sniffs as image/png, cannot be decoded. */
export function corruptPng(): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.from('0000000d49484452', 'hex');
  return Buffer.concat([signature, ihdr, Buffer.alloc(200, 0x41)]);
}

/** A Windows PE header ("MZ" … "PE\0\0"): what `file-type` reports as application/x-msdownload. */
export function windowsExecutable(): Buffer {
  const data = Buffer.alloc(1024, 0);
  data.write('MZ', 0, 'latin1');
  data.writeUInt32LE(0x80, 0x3c);
  data.write('PE\0\0', 0x80, 'latin1');
  return data;
}

/** An ELF header. */
export function elfExecutable(): Buffer {
  const data = Buffer.alloc(512, 0);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(data, 0);
  return data;
}

/** A minimal ISO BMFF (mp4) header followed by payload bytes 0..255 repeating. */
export function mp4Video(size = 5000): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 256;
  const ftyp = Buffer.from('0000001866747970697336d00000000069736f6d6d703432', 'hex');
  ftyp.write('isom', 8, 'latin1');
  ftyp.copy(data, 0);
  return data;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const byte of typed) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return Buffer.concat([length, typed, checksum]);
}

/**
 * A complete, valid 1-bit black PNG of `width`×`height`: all-zero rows deflate about 1000:1, so
 * 16000×16000 (256 MP once decoded) fits in about 31 KB. Built by hand: sharp needs seconds for it.
 */
export function bilevelPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale; compression, filter and interlace bytes stay 0
  // Each row: filter type 0, then width bits of 0.
  const rows = Buffer.alloc((Math.ceil(width / 8) + 1) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
