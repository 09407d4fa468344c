export const MAX_VIDEO_BYTES = 25 * 1024 * 1024;
