// Loads the platform secret of the data dir given as argument and prints it as hex: several of
// these started at once on a fresh directory must all print the same secret.
import { loadPlatformSecret } from '../../src/runtime/platform.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: print-platform-secret <dataDir>');
const secret = await loadPlatformSecret({ dataDir, signingSecret: undefined });
process.stdout.write(`${secret.toString('hex')}\n`);
