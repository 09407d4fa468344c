import type { FileType } from '../db/types.js';
import { mediaErrors } from '../errors.js';

/** Executables and active content: refused whatever they claim to be. */
const BLOCKED_MIME_TYPES = new Set([
  'application/x-msdownload',
  'application/x-dosexec',
  'application/vnd.microsoft.portable-executable',
  'application/x-executable',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-sharedlib',
  'application/x-msi',
  'application/x-ms-installer',
  'application/x-sh',
  'application/x-shellscript',
  'application/x-csh',
  'application/x-bat',
  'application/x-msdos-program',
  'application/java-archive',
  'application/x-java-archive',
  'application/vnd.android.package-archive',
  'application/x-apple-diskimage',
  'application/javascript',
  'text/javascript',
  'application/x-httpd-php',
  'text/html',
  'application/xhtml+xml',
  'application/wasm',
]);

const BLOCKED_EXTENSIONS = new Set([
  'exe',
  'dll',
  'com',
  'bat',
  'cmd',
  'msi',
  'msp',
  'scr',
  'pif',
  'cpl',
  'sys',
  'drv',
  'ocx',
  'vbs',
  'vbe',
  'js',
  'jse',
  'mjs',
  'wsf',
  'wsh',
  'ps1',
  'psm1',
  'sh',
  'bash',
  'csh',
  'ksh',
  'jar',
  'apk',
  'app',
  'dmg',
  'elf',
  'so',
  'dylib',
  'php',
  'phtml',
  'html',
  'htm',
  'xhtml',
  'hta',
  'lnk',
  'reg',
  'wasm',
]);

const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/rtf',
  'application/epub+zip',
  'application/json',
  'application/xml',
  'text/xml',
]);

/** Allowed besides images, video, audio, documents and text. */
const OTHER_ALLOWED = new Set([
  'application/octet-stream',
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/vnd.rar',
  'application/x-rar-compressed',
  'font/woff',
  'font/woff2',
  'font/ttf',
  'font/otf',
]);

export function normalizeMime(mime: string | undefined): string {
  return (mime ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export function fileTypeOf(mime: string): FileType {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (DOCUMENT_TYPES.has(mime) || mime.startsWith('text/')) return 'document';
  return 'other';
}

/** Refuses blocked types and anything outside the allow-list. */
export function assertMimeAllowed(mime: string): void {
  if (
    !/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(mime) ||
    BLOCKED_MIME_TYPES.has(mime)
  ) {
    throw mediaErrors.unsupportedMediaType(mime || 'unknown');
  }
  const allowed =
    mime.startsWith('image/') ||
    mime.startsWith('video/') ||
    mime.startsWith('audio/') ||
    mime.startsWith('text/') ||
    DOCUMENT_TYPES.has(mime) ||
    OTHER_ALLOWED.has(mime);
  if (!allowed) throw mediaErrors.unsupportedMediaType(mime);
}

export function extensionOf(filename: string): string | undefined {
  const match = /\.([A-Za-z0-9]{1,16})$/.exec(filename);
  return match?.[1]?.toLowerCase();
}

/**
 * A display name the service can store and echo: the part's base name, 1-255 characters, no control
 * characters, and not an executable extension.
 */
export function validateFilename(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '')
    throw mediaErrors.invalidFilename('The file part has no filename');
  // Browsers may send a full path (old IE, some clients): keep the last segment.
  const name = raw.split(/[\\/]/).pop()!.trim();
  if (name === '' || name === '.' || name === '..')
    throw mediaErrors.invalidFilename('The filename is empty');
  if (name.length > 255) throw mediaErrors.invalidFilename('The filename is longer than 255 characters');
  if (hasControlCharacters(name))
    throw mediaErrors.invalidFilename('The filename contains control characters');
  const extension = extensionOf(name);
  if (extension && BLOCKED_EXTENSIONS.has(extension)) throw mediaErrors.blockedExtension(extension);
  return name;
}

/** Types `file-type` cannot sniff (no magic bytes): a declaration of these is believed. */
export function isUnsniffable(mime: string): boolean {
  return (
    mime.startsWith('text/') ||
    mime === 'application/json' ||
    mime === 'image/svg+xml' ||
    mime === 'application/octet-stream'
  );
}

/** C0 controls and DEL; checked by code point so no regex has to spell control characters. */
export function hasControlCharacters(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
