// A commit recorder for tests: appends each hook call, with the WAL size it saw, to a journal file
// (JSON lines). `afterCommit` waits before returning, so a test can tell the host waited for it.
import fs from 'node:fs';
import type { CommitRecorder, RecorderFactory } from '../../src/index.js';

export interface JournalOptions {
  journal: string;
  afterCommitDelayMs?: number;
  failOn?: string;
  /** With `failOn`: the hook fails only while this file exists. */
  failWhile?: string;
}

export const journalRecorder: RecorderFactory = ({ databaseId, walPath, options }) => {
  const settings = options as JournalOptions;
  const write = (hook: string, extra: Record<string, unknown> = {}) => {
    if (settings.failOn === hook && (!settings.failWhile || fs.existsSync(settings.failWhile)))
      throw new Error(`${hook} failed on purpose`);
    const walBytes = fs.existsSync(walPath) ? fs.statSync(walPath).size : 0;
    fs.appendFileSync(settings.journal, `${JSON.stringify({ databaseId, hook, walBytes, ...extra })}\n`);
  };
  const recorder: CommitRecorder = {
    async afterCommit(commitTimeMs) {
      await new Promise((resolve) => setTimeout(resolve, settings.afterCommitDelayMs ?? 0));
      write('afterCommit', { commitTimeMs });
    },
    beforeCheckpoint: () => write('beforeCheckpoint'),
    afterCheckpoint: (checkpoint) => write('afterCheckpoint', { kept: checkpoint?.kept ?? false }),
    afterReplace: () => write('afterReplace'),
    close: () => write('close'),
  };
  return recorder;
};
