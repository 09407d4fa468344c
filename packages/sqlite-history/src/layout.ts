// Where things live: a database's history is one local directory (the spool) and one object-key
// prefix. The manifest names every object, so nothing is ever listed.
import path from 'node:path';

const SEQUENCE_DIGITS = 10;

function padded(sequence: number): string {
  return String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

export function baseKey(keyPrefix: string, sequence: number): string {
  return `${keyPrefix}/bases/${padded(sequence)}.db`;
}

export function generationKey(keyPrefix: string, sequence: number): string {
  return `${keyPrefix}/generations/${padded(sequence)}.spool`;
}

/** A sealed generation's page index (`page-index.ts`), stored beside its spool. */
export function generationIndexKey(keyPrefix: string, sequence: number): string {
  return `${keyPrefix}/generations/${padded(sequence)}.index`;
}

/** A base waiting in the spool directory for its upload (deleted once stored). */
export function localBasePath(spoolDir: string, sequence: number): string {
  return path.join(spoolDir, `base-${padded(sequence)}.db`);
}

/** A generation's spool file: appended while open, deleted once sealed and stored. */
export function localGenerationPath(spoolDir: string, sequence: number): string {
  return path.join(spoolDir, `gen-${padded(sequence)}.spool`);
}

/** The page index written when the generation is sealed; deleted with the local spool. */
export function localIndexPath(spoolDir: string, sequence: number): string {
  return path.join(spoolDir, `gen-${padded(sequence)}.index`);
}

export function walPath(databasePath: string): string {
  return `${databasePath}-wal`;
}
