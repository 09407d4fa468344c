// One C2PA reader process (plain JavaScript: it starts without a TypeScript loader). The parent
// runs it under `prlimit --data`, so a manifest that makes c2pa-rs allocate without bound kills
// only this process; the parent answers `verifact.resource_limit` and starts another.
//
// Settings arrive once as an IPC message; each photo arrives on stdin as one frame (a 4-byte
// header length, the JSON header `{id, length, mimeType}`, then `length` raw bytes: no
// structured clone, no second message per photo); results go back as IPC messages.
//
// The frame is read straight into one buffer of the photo's size, reused from photo to photo (the
// socket's `onread` hands libuv that buffer's free tail): no 64 KB chunk allocated per read, no
// join. c2pa-node copies the bytes before `Reader.fromAsset` returns, so the buffer is free again
// by the time the next frame can arrive (the service sends one only after this photo's result).
import net from 'node:net';
import { Reader } from '@contentauth/c2pa-node';

let settings;
// A result this large is itself a bomb (tens of thousands of assertions): refused here, not parsed upstream.
const MAX_JSON_CHARS = Number(process.env.VERIFACT_WORKER_MAX_JSON_CHARS ?? 8 * 1024 * 1024);
// A frame buffer up to this size is kept for the next photo; a larger one (a rare big photo) is
// dropped after its read rather than held for the process's life.
const KEEP_BYTES = 8 * 1024 * 1024;

// Frame header bytes (and whatever follows them in the same read).
let head = Buffer.allocUnsafe(64 * 1024);
let headFilled = 0;
let body = Buffer.allocUnsafe(0);
let bodyFilled = 0;
let job;

/** Where the next read lands: the header buffer's free tail, or the photo's remaining bytes. */
function target() {
  if (job) return body.subarray(bodyFilled, job.length);
  if (headFilled === head.length) {
    // A header larger than the buffer (it never is: id, length, MIME type): grow it.
    const grown = Buffer.allocUnsafe(head.length * 2);
    head.copy(grown, 0, 0, headFilled);
    head = grown;
  }
  return head.subarray(headFilled);
}

function received(count) {
  if (job) bodyFilled += count;
  else headFilled += count;
  for (;;) {
    if (!job) {
      if (headFilled < 4) return;
      const size = head.readUInt32BE(0);
      if (headFilled < 4 + size) return;
      job = JSON.parse(head.toString('utf8', 4, 4 + size));
      if (body.length < job.length) body = Buffer.allocUnsafe(job.length);
      // Photo bytes that came in the header's read.
      const extra = Math.min(headFilled - 4 - size, job.length);
      head.copy(body, 0, 4 + size, 4 + size + extra);
      bodyFilled = extra;
      head.copy(head, 0, 4 + size + extra, headFilled);
      headFilled -= 4 + size + extra;
    }
    if (bodyFilled < job.length) return;
    const done = job;
    job = undefined;
    read(done, body.subarray(0, done.length));
    if (body.length > KEEP_BYTES) body = Buffer.allocUnsafe(0);
  }
}

const stdin = new net.Socket({
  fd: 0,
  readable: true,
  writable: false,
  onread: {
    buffer: target,
    callback: (count) => {
      received(count);
    },
  },
});
stdin.on('error', () => undefined);

process.on('message', (message) => {
  if (message.type !== 'init') return;
  settings = message.settings;
  process.send({ type: 'ready' });
});

async function read(job, bytes) {
  try {
    const reader = await Reader.fromAsset({ buffer: bytes, mimeType: job.mimeType }, settings);
    if (!reader) {
      process.send({ type: 'result', id: job.id, outcome: { kind: 'none' } });
      return;
    }
    const json = reader.json();
    const text = JSON.stringify(json);
    if (text.length > MAX_JSON_CHARS) {
      process.send({
        type: 'result',
        id: job.id,
        outcome: { kind: 'resource_limit', reason: `manifest store of ${text.length} characters` },
      });
      return;
    }
    process.send({ type: 'result', id: job.id, outcome: { kind: 'store', json: text } });
  } catch (error) {
    process.send({
      type: 'result',
      id: job.id,
      outcome: { kind: 'error', message: String(error?.message ?? error).slice(0, 500) },
    });
  }
}
process.on('disconnect', () => process.exit(0));
