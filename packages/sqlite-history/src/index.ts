export {
  type BackupObject,
  deleteBackup,
  restoreBackup,
  storeBackup,
  verifyBackup,
} from './backup.js';
export {
  BackupCorruptError,
  HistoryCorruptError,
  HistoryError,
  NoHistoryError,
  RestoreOutOfRangeError,
} from './errors.js';
export { baseKey, generationKey, walPath } from './layout.js';
export type { BaseEntry, GenerationEntry, Manifest, ManifestEntry } from './manifest.js';
export { type CommitRecorder, HistoryRecorder, type HistoryRecorderOptions } from './recorder.js';
export {
  type HistoryRange,
  type HistorySource,
  historyRange,
  type RestoreOptions,
  type RestoreResult,
  restoreToTime,
} from './restore.js';
export { parseWalHeader, readCommittedFrames, walChecksum, type WalHeader } from './wal-format.js';
export { purgeHistory } from './purge.js';
