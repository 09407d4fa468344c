import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The hosted page sources (`services/kyc/web`) and the directory the service serves (`web/dist`). */
export const WEB_DIR = path.resolve(import.meta.dirname, '../../web');
const STAMP = '.source-hash';

export interface HostedPageBuild {
  distDir: string;
  /** Hash of the sources `distDir` was built from. */
  sourceHash: string;
  /** True when this call ran Vite (false: dist/ was already up to date). */
  built: boolean;
}

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

const inFlight = new Map<string, Promise<HostedPageBuild>>();

/**
 * Makes sure `web/dist` holds a Vite build of the current sources, so a fresh checkout (or an edit
 * of the page) needs no manual build step: dist/ carries the hash of the sources it was built from
 * and is rebuilt when they differ. Several processes may start at once (parallel tests, replicas):
 * each builds into its own directory and swaps it in with renames, so readers never see a half
 * written dist/. Without Vite (a production install without dev dependencies) an existing dist/
 * is served as is.
 */
export function ensureHostedPageBuilt(logger?: Logger, webDir = WEB_DIR): Promise<HostedPageBuild> {
  let pending = inFlight.get(webDir);
  if (!pending) {
    pending = build(webDir, logger).finally(() => inFlight.delete(webDir));
    inFlight.set(webDir, pending);
  }
  return pending;
}

async function build(webDir: string, logger?: Logger): Promise<HostedPageBuild> {
  const distDir = path.join(webDir, 'dist');
  const sourceHash = await hashSources(webDir);
  if ((await builtHash(distDir)) === sourceHash) return { distDir, sourceHash, built: false };
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (error) {
    if (await builtHash(distDir)) {
      logger?.warn(
        { distDir },
        'hosted page sources changed but Vite is not installed: serving the old build',
      );
      return { distDir, sourceHash: (await builtHash(distDir)) as string, built: false };
    }
    throw new Error(`The hosted page is not built (${distDir}) and Vite is not installed to build it`, {
      cause: error,
    });
  }
  const outDir = path.join(webDir, `.dist-${randomBytes(6).toString('hex')}`);
  try {
    await vite.build({
      configFile: path.join(webDir, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    await writeFile(path.join(outDir, STAMP), sourceHash);
    await swapIn(outDir, distDir, sourceHash);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  logger?.info({ distDir, sourceHash }, 'hosted page built with Vite');
  return { distDir, sourceHash, built: true };
}

async function swapIn(outDir: string, distDir: string, sourceHash: string) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await rename(outDir, distDir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    // Another process got there first with the same sources: keep its build.
    if ((await builtHash(distDir)) === sourceHash) return;
    const old = `${distDir}-old-${randomBytes(6).toString('hex')}`;
    await rename(distDir, old).catch(() => undefined);
    void rm(old, { recursive: true, force: true });
  }
  throw new Error(`Could not install the hosted page build into ${distDir}`);
}

async function builtHash(distDir: string): Promise<string | null> {
  return readFile(path.join(distDir, STAMP), 'utf8').catch(() => null);
}

/** SHA-256 over every source file's relative path and bytes (build outputs excluded). */
export async function hashSources(webDir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('dist') || entry.name.startsWith('.'))
        continue;
      if (entry.name.includes('.timestamp-')) continue; // Vite's transient bundled config
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  await walk(webDir);
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash
      .update(path.relative(webDir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}
