import { readFileSync } from 'node:fs';

/** The `version` field of the package.json at `packageJsonUrl` (read once at definition time). */
export function packageVersion(packageJsonUrl: URL): string {
  return (JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version: string }).version;
}
