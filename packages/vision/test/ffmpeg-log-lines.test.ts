import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShowinfoLine, parseVideoStreamLine } from '../src/liveness/video-decode.js';

test('showinfo lines give the frame time and size', () => {
  const line =
    '[Parsed_showinfo_2 @ 0x55d0c8a3c2c0] [info] n:   3 pts:   6000 pts_time:0.2     duration:   3000 fmt:rgb24 sar:1/1 s:640x480 i:P iskey:0 type:P';
  assert.deepEqual(parseShowinfoLine(line), { time: 0.2, width: 640, height: 480 });
  assert.deepEqual(parseShowinfoLine('[Parsed_showinfo_2 @ 0x1] n:0 pts:0 pts_time:-0.033'), {
    time: -0.033,
  });
  assert.equal(parseShowinfoLine('[Parsed_showinfo_2 @ 0x1] config in time_base: 1/1000'), undefined);
  assert.equal(parseShowinfoLine('frame= 10 fps=0.0 q=-0.0 size=N/A time=00:00:00.33'), undefined);
});

test('video stream lines give the codec and source size', () => {
  assert.deepEqual(
    parseVideoStreamLine(
      '  Stream #0:0(eng): Video: vp8, yuv420p(tv, bt709, progressive), 640x480, SAR 1:1 DAR 4:3, 30 fps',
    ),
    { codec: 'vp8', width: 640, height: 480 },
  );
  assert.deepEqual(
    parseVideoStreamLine(
      '    Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9]',
    ),
    { codec: 'h264', width: 1280, height: 720 },
  );
  assert.equal(parseVideoStreamLine('  Stream #0:1(eng): Audio: opus, 48000 Hz, mono'), undefined);
});

test('adversarial lines are parsed in linear time', { timeout: 5000 }, () => {
  assert.equal(parseShowinfoLine(`n${'[Parsed_showinfo]n:0x'.repeat(50_000)}`), undefined);
  assert.equal(parseVideoStreamLine(`Stream #0:0: Video: o${'ad'.repeat(200_000)}`), undefined);
});
