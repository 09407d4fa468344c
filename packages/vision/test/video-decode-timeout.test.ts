import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeVideo, VideoDecodeError } from '../src/liveness/video-decode.js';
import { generateVideo } from '../src/testkit/synthetic-video.js';

// The decode deadline counts ffmpeg's own decoding, not the time a slow consumer (frame analysis
// on a busy host) holds it paused: a good video must not come out unreadable because the host is
// loaded. A consumer that never lets go is still stopped, by the wall-clock bound.
describe('decodeVideo deadline', () => {
  let video: string;
  before(async () => {
    video = (
      await generateVideo({
        fixture: 'obama_2012_oval_office_portrait.jpg',
        // Frames of 230 KB: a paused consumer fills the pipe, so ffmpeg really waits on it.
        width: 320,
        height: 240,
        fps: 10,
        durationMs: 1000,
      })
    ).path;
  });
  after(async () => {
    await fs.rm(video, { force: true });
  });

  test('a consumer slower than the deadline still gets every frame', async () => {
    const seen: number[] = [];
    const decoded = await decodeVideo(video, {
      sampleRate: 10,
      timeoutMs: 3000,
      onFrame: async (_frame, index) => {
        seen.push(index);
        // 10 frames × 600 ms: twice the deadline spent in the consumer.
        await sleep(600);
      },
    });
    assert.equal(decoded.frameCount, 10);
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, index) => index),
    );
  });

  test('a consumer that holds it paused past the wall-clock bound stops the decode', async () => {
    await assert.rejects(
      decodeVideo(video, {
        sampleRate: 10,
        // 400 ms of decoding, 2 s in all; the first frame's consumer takes 3 s, holding the rest.
        timeoutMs: 400,
        onFrame: (_frame, index) => (index === 0 ? sleep(3000) : undefined),
      }),
      (error: unknown) => error instanceof VideoDecodeError && error.code === 'timeout',
    );
  });
});
