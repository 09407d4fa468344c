import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let cached: string | undefined;

/**
 * Path of the ffmpeg binary shipped by `@ffmpeg-installer/ffmpeg` (a static build in the
 * platform package npm installs beside it), so `npm install` is the whole set-up.
 * `FFMPEG_PATH` overrides it (a system ffmpeg, an unsupported platform).
 */
export function ffmpegPath(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  if (cached) return cached;
  try {
    cached = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (error) {
    // The installer throws a bare string on unsupported platforms.
    throw new Error(`no ffmpeg binary for this platform (${String(error)}); set FFMPEG_PATH`);
  }
  return cached;
}
