import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';

export interface PhotoForm {
  photo?: { bytes: Buffer; filename: string };
  fields: Record<string, string>;
}

/**
 * Reads a multipart form holding one `photo` file and short text fields, the photo buffered up
 * to `maxBytes` (the plugin stops reading past it). Anything malformed or oversized is a 400.
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
        const bytes = await part.toBuffer();
        form.photo = { bytes, filename: part.filename || 'photo' };
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
