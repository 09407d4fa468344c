import diagnosticsChannel from 'node:diagnostics_channel';
import { PASSWORD_VERIFY_CHANNEL } from '../secrets/passwords.js';

/**
 * Runs `run` and counts the argon2 verifications made meanwhile (`verifyPassword` publishes one on
 * `PASSWORD_VERIFY_CHANNEL` per hash): how a test shows a guard let at most so many guesses through.
 */
export async function countPasswordHashes<T>(run: () => Promise<T>): Promise<{ result: T; hashes: number }> {
  let hashes = 0;
  const listener = () => {
    hashes += 1;
  };
  diagnosticsChannel.subscribe(PASSWORD_VERIFY_CHANNEL, listener);
  try {
    return { result: await run(), hashes };
  } finally {
    diagnosticsChannel.unsubscribe(PASSWORD_VERIFY_CHANNEL, listener);
  }
}
