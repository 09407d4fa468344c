// The browser side of the capture checks: draws the image on a canvas and measures it
// (quality-measures.ts, pure, also run by the service's tests).
import { MEASURE_WIDTH, measureGrey, type Quality, toGrey } from './quality-measures.js';

export type { Quality } from './quality-measures.js';

/** Measures an image file or capture in the browser; null when it is not an image (a PDF). */
export async function assessImage(blob: Blob): Promise<Quality | null> {
  if (!blob.type.startsWith('image/')) return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    return null;
  }
  const scale = Math.min(1, MEASURE_WIDTH / bitmap.width);
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return null;
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const { data } = context.getImageData(0, 0, width, height);
  return measureGrey(toGrey(data, width * height), width, height);
}
