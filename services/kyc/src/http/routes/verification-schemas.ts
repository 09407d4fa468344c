import { z } from 'zod';
import { side, uploadContentType } from '../schemas.js';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const presignBody = z.object({
  token: z.string().min(1),
  side,
  contentType: uploadContentType,
  byteSize: z.number().int().min(1).max(MAX_UPLOAD_BYTES),
});
