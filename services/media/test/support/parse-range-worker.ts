import { parentPort, workerData } from 'node:worker_threads';
import { parseRange } from '../../src/media/range.js';

// Parses off the test's thread: a backtracking parser would block this thread, not the one
// whose timer fails the test.
const { headers, size } = workerData as { headers: string[]; size: number };
parentPort?.postMessage(headers.map((header) => parseRange(header, size)));
