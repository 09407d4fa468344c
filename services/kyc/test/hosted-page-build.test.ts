import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import {
  buildHostedPage,
  builtHostedPage,
  hashSources,
  WEB_DIR,
} from '../src/hosted-page/hosted-page-build.js';

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

describe('hosted page build', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('builds a missing build with Vite, reuses it while the sources are unchanged, rebuilds when they change', async () => {
    // A copy of web/ inside services/kyc so `vite` resolves from the workspace's node_modules.
    const dir = await mkdtemp(path.join(WEB_DIR, '..', '.web-build-test-'));
    dirs.push(dir);
    await cp(WEB_DIR, dir, { recursive: true });
    const sourcesBefore = await listTree(dir);
    const outDir = await mkdtemp(path.join(WEB_DIR, '..', '.web-build-out-'));
    dirs.push(outDir);
    const distDir = path.join(outDir, 'hosted-page');
    const warnings: string[] = [];
    const logger = { info() {}, warn: (_object: object, message: string) => void warnings.push(message) };
    // The app never builds: without a build it refuses to start, and says what to run.
    await assert.rejects(builtHostedPage(logger, { webDir: dir, distDir }), /npm run build -w services\/kyc/);
    const options = { webDir: dir, distDir };
    const first = await buildHostedPage(options);
    assert.equal(first.built, true);
    const html = await readFile(path.join(first.distDir, 'index.html'), 'utf8');
    assert.match(html, /<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
    assert.equal(await readFile(path.join(first.distDir, '.source-hash'), 'utf8'), await hashSources(dir));

    assert.equal(await builtHostedPage(logger, options), distDir);
    assert.deepEqual(warnings, []);
    // Nothing is written into the sources.
    assert.deepEqual(await listTree(dir), sourcesBefore);

    const again = await buildHostedPage(options);
    assert.equal(again.built, false);
    assert.equal(again.sourceHash, first.sourceHash);

    await writeFile(
      path.join(dir, 'src', 'app.css'),
      `${await readFile(path.join(dir, 'src', 'app.css'), 'utf8')}\nh1 { color: #123456; }\n`,
    );
    // A build older than its sources is still served, with a warning.
    assert.equal(await builtHostedPage(logger, options), distDir);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /sources changed since its build/);
    const concurrent = await Promise.all([buildHostedPage(options), buildHostedPage(options)]);
    assert.equal(concurrent[0].built, true);
    assert.equal(concurrent[0], concurrent[1]);
    assert.notEqual(concurrent[0].sourceHash, first.sourceHash);
    const rebuilt = await readFile(path.join(distDir, 'index.html'), 'utf8');
    const css = rebuilt.match(/href="\.\/assets\/([^"]+\.css)"/)?.[1];
    assert.ok(css);
    assert.match(await readFile(path.join(distDir, 'assets', css), 'utf8'), /#123456/);
  });
});

describe('hosted page sources', () => {
  it('typecheck under web/tsconfig.json (DOM lib; the root typecheck does not cover web/)', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await promisify(execFile)(process.execPath, [
      tsc,
      '-p',
      path.join(WEB_DIR, 'tsconfig.json'),
    ]).catch((error: { stdout?: string; code?: number }) => ({
      stdout: String(error.stdout),
      code: error.code,
    }));
    assert.equal('code' in result ? result.code : 0, 0, result.stdout);
  });
});
