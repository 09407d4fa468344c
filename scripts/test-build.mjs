// The test run's compiled tree. Under tsx every module a test process loads, its dependencies'
// included, goes through Node 20's off-thread loader hooks: importing a service costs 5–10 s of CPU
// per test file, about three times what plain Node takes. So `npm test` transpiles the sources
// once with esbuild (the transform tsx itself uses) into `.test-build/<pid>/<repo>/`, a mirror of the
// repository at the same depth: each directory holding code is copied, its `.ts` files with a
// compiled `.js` beside them; other directories (fixtures, builds) and `node_modules` entries are links;
// workspace packages export their `.js`; `.test-build/<pid>/shared` stands for the repository's
// `../shared`. Test files then run on plain Node; threads and child processes that start from a
// `.mjs` entry still register tsx. Tests that read the sources themselves (scans, generated-code
// checks) map their paths back with the testkit's `sourcePath`.
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

const SKIPPED = new Set(['.git', '.test-build', 'node_modules', '.data', '.test-data', 'test-output']);

/** Code the mirror must hold itself (a link would run from the repository): sources and scripts. */
function containsCode(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name === 'dist') continue;
    if (entry.isDirectory()) {
      if (containsCode(path.join(dir, entry.name))) return true;
    } else if (/\.(?:ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) return true;
  }
  return false;
}

/** Transpiles every collected `.ts` into the mirror in one esbuild call (one file each, no bundling). */
function transpile(root, shadowRoot, sources) {
  buildSync({
    entryPoints: sources,
    outbase: root,
    outdir: shadowRoot,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
}

/** A workspace `package.json` whose entry points name `.ts` files, pointed at their `.js`. */
function toJavaScriptEntries(value) {
  if (typeof value === 'string') return value.replace(/\.ts$/, '.js');
  if (Array.isArray(value)) return value.map(toJavaScriptEntries);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJavaScriptEntries(inner)]));
  return value;
}

function mirror(source, target, sources) {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) && entry.name !== 'node_modules') continue;
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist' && containsCode(from)) {
      mirror(from, to, sources);
    } else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      fs.copyFileSync(from, to);
      if (!fs.existsSync(from.replace(/\.ts$/, '.js'))) sources.push(from);
    } else if (entry.isFile() && entry.name === 'package.json') {
      const manifest = JSON.parse(fs.readFileSync(from, 'utf8'));
      if (manifest.exports) manifest.exports = toJavaScriptEntries(manifest.exports);
      if (typeof manifest.main === 'string') manifest.main = toJavaScriptEntries(manifest.main);
      fs.writeFileSync(to, JSON.stringify(manifest, null, 2));
    } else if (entry.isFile()) {
      // A copy, not a link: a test that copies its directory and edits the copy (the hosted page's
      // build test) must not write through to the repository.
      fs.copyFileSync(from, to);
    } else {
      fs.symlinkSync(from, to);
    }
  }
}

/** The root `node_modules`, with the workspace packages' links pointing into the mirror. */
function mirrorNodeModules(root, shadowRoot) {
  const source = path.join(root, 'node_modules');
  const target = path.join(shadowRoot, 'node_modules');
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target);
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    if (entry.name !== '@trustplane') {
      fs.symlinkSync(from, path.join(target, entry.name));
      continue;
    }
    fs.mkdirSync(path.join(target, entry.name));
    for (const workspace of fs.readdirSync(from)) {
      const real = fs.realpathSync(path.join(from, workspace));
      const inMirror = path.join(shadowRoot, path.relative(root, real));
      fs.symlinkSync(fs.existsSync(inMirror) ? inMirror : real, path.join(target, entry.name, workspace));
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Builds this run's mirror of `root` (`.test-build/<pid>/`, so that runs side by side do not share
 * one; mirrors left by runs no longer alive are removed) and returns its root and a `remove()`.
 */
export function buildTestTree(root) {
  const builds = path.join(root, '.test-build');
  fs.mkdirSync(builds, { recursive: true });
  for (const name of fs.readdirSync(builds)) {
    if (/^\d+$/.test(name) && alive(Number(name))) continue;
    try {
      fs.rmSync(path.join(builds, name), { recursive: true, force: true });
    } catch {
      // Still being written by a run of an older script; the next run removes it.
    }
  }
  const outer = path.join(builds, String(process.pid));
  const shadowRoot = path.join(outer, path.basename(root));
  fs.mkdirSync(outer);
  const shared = path.resolve(root, '..', 'shared');
  if (fs.existsSync(shared)) fs.symlinkSync(shared, path.join(outer, 'shared'));
  const sources = [];
  mirror(root, shadowRoot, sources);
  transpile(root, shadowRoot, sources);
  mirrorNodeModules(root, shadowRoot);
  return { root: shadowRoot, remove: () => fs.rmSync(outer, { recursive: true, force: true }) };
}
