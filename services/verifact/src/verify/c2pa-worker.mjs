// One C2PA reader process (plain JavaScript: it starts without a TypeScript loader). The parent
// runs it under `prlimit --data`, so a manifest that makes c2pa-rs allocate without bound kills
// only this process; the parent answers `verifact.resource_limit` and starts another.
import { Reader } from '@contentauth/c2pa-node';

let settings;
// A result this large is itself a bomb (tens of thousands of assertions): refused here, not parsed upstream.
const MAX_JSON_CHARS = Number(process.env.VERIFACT_WORKER_MAX_JSON_CHARS ?? 8 * 1024 * 1024);
// The photo of the current read arrives on stdin (possibly before its `read` message): exactly
// `length` bytes per read, one read at a time.
let chunks = [];
let received = 0;
let pending;
process.stdin.on('data', (chunk) => {
  chunks.push(chunk);
  received += chunk.length;
  startIfComplete();
});

function startIfComplete() {
  if (!pending || received < pending.length) return;
  const job = pending;
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  pending = undefined;
  chunks = [];
  received = 0;
  read(job, bytes);
}

process.on('message', (message) => {
  if (message.type === 'init') {
    settings = message.settings;
    process.send({ type: 'ready' });
    return;
  }
  if (message.type !== 'read') return;
  pending = message;
  startIfComplete();
});

async function read(message, bytes) {
  try {
    const reader = await Reader.fromAsset({ buffer: bytes, mimeType: message.mimeType }, settings);
    if (!reader) {
      process.send({ type: 'result', id: message.id, outcome: { kind: 'none' } });
      return;
    }
    const json = reader.json();
    const text = JSON.stringify(json);
    if (text.length > MAX_JSON_CHARS) {
      process.send({
        type: 'result',
        id: message.id,
        outcome: { kind: 'resource_limit', reason: `manifest store of ${text.length} characters` },
      });
      return;
    }
    process.send({ type: 'result', id: message.id, outcome: { kind: 'store', json: text } });
  } catch (error) {
    process.send({
      type: 'result',
      id: message.id,
      outcome: { kind: 'error', message: String(error?.message ?? error).slice(0, 500) },
    });
  }
}
process.on('disconnect', () => process.exit(0));
