import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The hosted page sources (`services/kyc/web`). */
export const WEB_DIR = path.resolve(import.meta.dirname, '../../web');
/**
 * Where the build goes and what the service serves: the package's own build output
 * (`services/kyc/dist/hosted-page`, ignored by git), never a directory of the sources.
 */
export const HOSTED_PAGE_DIR = path.resolve(import.meta.dirname, '../../dist/hosted-page');
const STAMP = '.source-hash';
/** What to run when the build is missing or stale (`npm install`, `npm test` and `npm start` run it). */
const BUILD_COMMAND = 'npm run build -w services/kyc';

export interface HostedPageBuild {
  distDir: string;
  /** Hash of the sources `distDir` was built from. */
  sourceHash: string;
  /** True when this call ran Vite (false: the build was already up to date). */
  built: boolean;
}

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

const inFlight = new Map<string, Promise<HostedPageBuild>>();

/**
 * The build step (`npm run build -w services/kyc`, run by `npm install`'s `prepare`, and before
 * `npm test` and `npm start`): makes sure `distDir` holds a Vite build of the current sources. The
 * build carries the hash of the sources it was built from and is only redone when they differ.
 * Several builders may run at once (a test run and a start): each builds into its own directory
 * and swaps it in with renames, so readers never see a half written build.
 */
export function buildHostedPage(
  options: { webDir?: string; distDir?: string; logger?: Logger } = {},
): Promise<HostedPageBuild> {
  const { webDir = WEB_DIR, distDir = HOSTED_PAGE_DIR, logger } = options;
  let pending = inFlight.get(distDir);
  if (!pending) {
    pending = build(webDir, distDir, logger).finally(() => inFlight.delete(distDir));
    inFlight.set(distDir, pending);
  }
  return pending;
}

/**
 * The built page the service serves, checked when the app is made (which never builds it): a
 * missing build fails the start with what to run; a build older than the sources is served, with
 * a warning (a production install may have no sources to compare, then nothing is said).
 */
export async function builtHostedPage(
  logger?: Logger,
  options: { webDir?: string; distDir?: string } = {},
): Promise<string> {
  const { webDir = WEB_DIR, distDir = HOSTED_PAGE_DIR } = options;
  const stamp = await builtHash(distDir);
  if (stamp === null) {
    throw new Error(`The kyc hosted page is not built (${distDir}): run \`${BUILD_COMMAND}\``);
  }
  const sourceHash = await hashSources(webDir).catch(() => undefined);
  if (sourceHash !== undefined && sourceHash !== stamp) {
    logger?.warn({ distDir }, `the hosted page sources changed since its build: run \`${BUILD_COMMAND}\``);
  }
  return distDir;
}

async function build(webDir: string, distDir: string, logger?: Logger): Promise<HostedPageBuild> {
  const sourceHash = await hashSources(webDir);
  if ((await builtHash(distDir)) === sourceHash) return { distDir, sourceHash, built: false };
  const vite = await import('vite');
  await mkdir(path.dirname(distDir), { recursive: true });
  const outDir = `${distDir}.${randomBytes(6).toString('hex')}`;
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

/** The source hash a complete build carries (its index.html present), or null. */
async function builtHash(distDir: string): Promise<string | null> {
  const stamp = await readFile(path.join(distDir, STAMP), 'utf8').catch(() => null);
  if (stamp === null) return null;
  return (await readFile(path.join(distDir, 'index.html')).then(
    () => true,
    () => false,
  ))
    ? stamp
    : null;
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
