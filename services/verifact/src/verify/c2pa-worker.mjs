// One C2PA reader process (plain JavaScript: it starts without a TypeScript loader). The parent
// runs it under `prlimit --data`, so a manifest that makes c2pa-rs allocate without bound kills
// only this process; the parent answers `verifact.resource_limit` and starts another.
//
// Settings arrive once as an IPC message; each photo arrives on stdin as one frame (a 4-byte
// header length, the JSON header `{id, length, mimeType}`, then `length` raw bytes: no
// structured clone, no second message per photo); results go back as IPC messages.
import { Reader } from '@contentauth/c2pa-node';

let settings;
// A result this large is itself a bomb (tens of thousands of assertions): refused here, not parsed upstream.
const MAX_JSON_CHARS = Number(process.env.VERIFACT_WORKER_MAX_JSON_CHARS ?? 8 * 1024 * 1024);

let chunks = [];
let buffered = 0;
let header;

/** The next `count` buffered bytes, contiguous. */
function take(count) {
  let bytes;
  if (chunks[0].length >= count) {
    bytes = chunks[0].subarray(0, count);
  } else {
    const joined = Buffer.concat(chunks, buffered);
    bytes = joined.subarray(0, count);
    chunks = [joined];
  }
  const rest = chunks[0].subarray(count);
  chunks = rest.length > 0 ? [rest, ...chunks.slice(1)] : chunks.slice(1);
  buffered -= count;
  return bytes;
}

process.stdin.on('data', (chunk) => {
  chunks.push(chunk);
  buffered += chunk.length;
  for (;;) {
    if (!header) {
      if (buffered < 4) return;
      const size = chunks[0].length >= 4 ? chunks[0].readUInt32BE(0) : Buffer.concat(chunks).readUInt32BE(0);
      if (buffered < 4 + size) return;
      take(4);
      header = JSON.parse(take(size).toString('utf8'));
    }
    if (buffered < header.length) return;
    const job = header;
    header = undefined;
    read(job, take(job.length));
  }
});

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
