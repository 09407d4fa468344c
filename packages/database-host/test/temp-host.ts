import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { createDatabaseHost, type DatabaseHost, type DatabaseHostOptions } from '../src/index.js';

/** A host on a fresh temporary directory, closed and removed when the test file ends. */
export function tempHost(options: Partial<DatabaseHostOptions> = {}): DatabaseHost {
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'database-host-test-'));
  const host = createDatabaseHost({ hosts: 2, ...options, directory });
  after(async () => {
    await host.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });
  return host;
}

export function tempDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'database-host-files-'));
  after(() => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}
