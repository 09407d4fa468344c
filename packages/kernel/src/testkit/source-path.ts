import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository path of a file or directory given by a test file's URL. `npm test` runs the test
 * files from a compiled mirror of the repository (`scripts/test-build.mjs`); a test that reads the
 * sources themselves (a scan of every source file, generated code compared with its generator's
 * output) reads the repository's, not the mirror's compiled copies.
 */
export function sourcePath(url: URL): string {
  const file = fileURLToPath(url);
  const mirror = process.env.TRUSTPLANE_TEST_TREE;
  const repository = process.env.TRUSTPLANE_SOURCE_ROOT;
  if (!mirror || !repository) return file;
  const relative = path.relative(mirror, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return path.join(repository, relative);
}
