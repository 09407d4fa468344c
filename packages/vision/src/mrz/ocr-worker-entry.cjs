'use strict';
// The Tesseract worker thread's script (tesseract.js's `workerPath`): tesseract.js's own node worker
// script, preceded by one message that tells the pool which OS thread this is, so that the OCR
// budget is charged with this thread's CPU time only (`thread-cpu-clock.ts`). The message goes
// through tesseract.js's progress channel, which hands it to the `logger` of this worker's
// `createWorker` call only. Off Linux there is no `/proc/thread-self`: `thread` is null and the
// pool falls back to the process's CPU time.
const { readlinkSync } = require('node:fs');
const { parentPort } = require('node:worker_threads');

let thread = null;
try {
  // "<pid>/task/<tid>"
  thread = readlinkSync('/proc/thread-self');
} catch {
  thread = null;
}
parentPort.postMessage({
  status: 'progress',
  jobId: 'thread',
  action: 'trustplane-thread',
  data: { status: 'trustplane:thread', thread },
});

require(require.resolve('tesseract.js/src/worker-script/node/index.js'));
