/**
 * Wires `@trustplane/sqlite-history` into the host's commit hook: each host process opens a
 * `HistoryRecorder` per file it opens, so every acknowledged commit's WAL frames are in the spool
 * before `execute` resolves, generations are sealed at checkpoints, and bases are taken after them
 * (a backup's checkpoint makes a kept base).
 */
import path from 'node:path';
import { type AnyObjectStore, createObjectStore, type ObjectStoreConfig } from '@trustplane/kernel';
import { HistoryRecorder } from '@trustplane/sqlite-history';
import type { RecorderFactory, RecorderModule } from './types.js';

export interface HistorySettings {
  /** Local history of database `<id>` lives in `<spoolRoot>/<id>`. */
  spoolRoot: string;
  /**
   * Where sealed generations and bases go. Plain data (each host process makes its own client);
   * give `signingSecret` as a string.
   */
  objectStore: ObjectStoreConfig;
  /** Object keys of database `<id>`'s history start with `<keyPrefix>/<id>`. Default `history`. */
  keyPrefix?: string;
}

/** Where a database's history is, for `restoreToTime` / `historyRange` of `@trustplane/sqlite-history`. */
export function historySource(settings: HistorySettings, databaseId: string, store: AnyObjectStore) {
  return {
    spoolDir: path.join(settings.spoolRoot, databaseId),
    store,
    keyPrefix: `${settings.keyPrefix ?? 'history'}/${databaseId}`,
  };
}

let stores: { config: string; store: AnyObjectStore } | undefined;

function storeFor(config: ObjectStoreConfig): AnyObjectStore {
  const key = JSON.stringify(config);
  if (stores?.config !== key) stores = { config: key, store: createObjectStore(config) };
  return stores.store;
}

/** The factory a host process loads (named by `historyRecorderModule`). */
export const createHistoryRecorder: RecorderFactory = ({ databaseId, databasePath, options }) => {
  const settings = options as HistorySettings;
  const store = storeFor(settings.objectStore);
  const source = historySource(settings, databaseId, store);
  return HistoryRecorder.open({
    databasePath,
    spoolDir: source.spoolDir,
    store,
    keyPrefix: source.keyPrefix,
    onShipError: (error) =>
      // Retried at the next checkpoint; reported like a failing hook.
      process.send?.({
        type: 'recorder-error',
        databaseId,
        hook: 'ship',
        message: error instanceof Error ? error.message : String(error),
      }),
  });
};

/** The `recorder` option of `createDatabaseHost` that records point-in-time history. */
export function historyRecorderModule(settings: HistorySettings): RecorderModule {
  return {
    module: new URL('./history-recorder.ts', import.meta.url).href,
    exportName: 'createHistoryRecorder',
    options: settings,
  };
}
