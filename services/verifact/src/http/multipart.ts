import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { ByteParts } from '../photos/photo-parts.js';

export interface PhotoForm {
  /** The photo's bytes in the chunks they arrived in (`whole()` joins them where needed). */
  photo?: { parts: ByteParts; filename: string };
  fields: Record<string, string>;
}

/**
 * Reads a multipart form holding one `photo` file and short text fields, the photo kept in its
 * chunks up to `maxBytes` (the plugin stops reading past it). Anything malformed or oversized is
 * a 400.
 */
export async function readPhotoForm(
  request: FastifyRequest,
  maxBytes: number,
  fieldNames: readonly string[],
): Promise<PhotoForm> {
  if (!request.isMultipart()) throw errors.unsupportedContentType('multipart/form-data with a photo field');
  const form: PhotoForm = { fields: {} };
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 2, fields: 10 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'photo' || form.photo) {
          part.file.resume();
          throw errors.validation(`Unexpected file field ${part.fieldname}; send one file named photo`);
        }
        const chunks: Buffer[] = [];
        for await (const chunk of part.file) {
          if (part.file.truncated) throw errors.payloadTooLarge(maxBytes);
          chunks.push(chunk);
        }
        if (part.file.truncated) throw errors.payloadTooLarge(maxBytes);
        form.photo = { parts: new ByteParts(chunks), filename: part.filename || 'photo' };
      } else if (fieldNames.includes(part.fieldname) && typeof part.value === 'string') {
        form.fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'ServiceError') throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw errors.payloadTooLarge(maxBytes);
    throw errors.validation(`Malformed multipart body: ${(error as Error).message}`);
  }
  return form;
}
