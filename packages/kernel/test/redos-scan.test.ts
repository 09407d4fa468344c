import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { sourcePath } from '../src/testkit/source-path.js';

/**
 * Every regular expression in the product's sources, checked for ReDoS with recheck.
 *
 * Scanned: `packages/<p>/src`, `services/<s>/src`, `services/<s>/web/src` (and top-level `web/`,
 * `console/` when they exist); not tests, scripts, build output or node_modules. Regex literals,
 * `new RegExp(…)` / `RegExp(…)` with literal arguments and `.match('…')` / `.search('…')` (which
 * build a RegExp from a string) are found with the TypeScript parser. A `RegExp` built from
 * anything else cannot be checked statically and must be listed in DYNAMIC_ALLOWED with why it is
 * safe; a new one fails this test.
 */

const ROOT = sourcePath(new URL('../../..', import.meta.url));
const SOURCE_EXTENSIONS = /\.(?:ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIPPED_DIRECTORIES = new Set([
  'node_modules',
  'test',
  'tests',
  '__tests__',
  'scripts',
  'dist',
  'build',
]);

/** `<file>#<first argument's source text>` → why building a RegExp from it is safe. */
const DYNAMIC_ALLOWED: Record<string, string> = {
  'packages/kernel/src/testkit/contract-model.ts#`^${source}$`':
    'testkit only: built from the seed path templates, every literal part escaped and each `{param}` → `([^/]+)`',
};

/** `<file>#/<source>/<flags>` → why a pattern recheck reports as vulnerable may stay for now. */
const VULNERABLE_ALLOWED: Record<string, string> = {};

interface FoundPattern {
  file: string;
  line: number;
  source: string;
  flags: string;
}

interface DynamicPattern {
  file: string;
  line: number;
  key: string;
}

function sourceRoots(): string[] {
  const roots: string[] = [];
  for (const top of ['packages', 'services']) {
    const dir = path.join(ROOT, top);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      for (const sub of ['src', 'web/src']) {
        const candidate = path.join(dir, entry.name, sub);
        if (fs.existsSync(candidate)) roots.push(candidate);
      }
    }
  }
  for (const top of ['web', 'console']) {
    const candidate = path.join(ROOT, top);
    if (fs.existsSync(candidate)) roots.push(candidate);
  }
  return roots;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) sourceFiles(full, out);
    } else if (
      SOURCE_EXTENSIONS.test(entry.name) &&
      !entry.name.endsWith('.d.ts') &&
      !/\.(?:test|spec)\.[cm]?[jt]sx?$/.test(entry.name)
    ) {
      out.push(full);
    }
  }
  return out;
}

/** The text of a string literal or a template without substitutions; undefined for anything else. */
function literalText(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

function isRegExpConstructor(node: ts.Node): node is ts.NewExpression | ts.CallExpression {
  return (
    (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'RegExp'
  );
}

/** `text.match('…')` and `text.search('…')` compile their string argument as a RegExp. */
function isStringToRegExpCall(node: ts.Node): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    (node.expression.name.text === 'match' || node.expression.name.text === 'search') &&
    node.arguments.length === 1 &&
    literalText(node.arguments[0]) !== undefined
  );
}

export function extractPatterns(file: string, text: string) {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
  const found: FoundPattern[] = [];
  const dynamic: DynamicPattern[] = [];
  const lineOf = (node: ts.Node) => sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = (node as ts.RegularExpressionLiteral).text;
      const end = literal.lastIndexOf('/');
      found.push({
        file: relative,
        line: lineOf(node),
        source: literal.slice(1, end),
        flags: literal.slice(end + 1),
      });
    } else if (isRegExpConstructor(node)) {
      const [patternArgument, flagsArgument] = node.arguments ?? [];
      const source = literalText(patternArgument);
      const flags = flagsArgument === undefined ? '' : literalText(flagsArgument);
      if (source !== undefined && flags !== undefined) {
        found.push({ file: relative, line: lineOf(node), source, flags });
      } else if (patternArgument && ts.isRegularExpressionLiteral(patternArgument) && flags !== undefined) {
        // `new RegExp(/…/, 'g')`: the literal itself is visited as a child.
      } else {
        const argumentText = patternArgument ? patternArgument.getText(sourceFile) : '';
        dynamic.push({ file: relative, line: lineOf(node), key: `${relative}#${argumentText}` });
      }
    } else if (isStringToRegExpCall(node)) {
      found.push({
        file: relative,
        line: lineOf(node),
        source: literalText(node.arguments[0]) ?? '',
        flags: '',
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return { found, dynamic };
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.[cm]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

test('the extractor finds literals, literal RegExp constructions and dynamic ones', () => {
  const sample = [
    'const a = /^(a+)+$/i;',
    "const b = new RegExp('x*y', 'g');",
    'const c = RegExp(`z{2}`);',
    'const d = new RegExp(name);',
    "const e = text.match('q+');",
    "const f = 'a/b'.split('/');",
  ].join('\n');
  const { found, dynamic } = extractPatterns(path.join(ROOT, 'sample.ts'), sample);
  assert.deepEqual(
    found.map(({ source, flags, line }) => ({ source, flags, line })),
    [
      { source: '^(a+)+$', flags: 'i', line: 1 },
      { source: 'x*y', flags: 'g', line: 2 },
      { source: 'z{2}', flags: '', line: 3 },
      { source: 'q+', flags: '', line: 5 },
    ],
  );
  assert.deepEqual(dynamic, [{ file: 'sample.ts', line: 4, key: 'sample.ts#name' }]);
});

test('no regular expression in the sources is vulnerable to ReDoS', async (t) => {
  // recheck's Scala.js build in a worker thread: the same verdicts on every machine, no native
  // binary or JVM needed, and faster here than the native agent for ~100 small patterns.
  process.env.RECHECK_BACKEND = 'worker';
  const { check } = await import('recheck');
  const found: FoundPattern[] = [];
  const dynamic: DynamicPattern[] = [];
  for (const root of sourceRoots()) {
    for (const file of sourceFiles(root)) {
      const extracted = extractPatterns(file, fs.readFileSync(file, 'utf8'));
      found.push(...extracted.found);
      dynamic.push(...extracted.dynamic);
    }
  }
  assert.ok(
    found.length > 50,
    `only ${found.length} patterns found: is the scan looking in the right places?`,
  );

  const unlisted = dynamic.filter((pattern) => !(pattern.key in DYNAMIC_ALLOWED));
  assert.deepEqual(
    unlisted.map((pattern) => `${pattern.file}:${pattern.line} ${pattern.key}`),
    [],
    'RegExp built from a non-literal: make it a literal, or add it to DYNAMIC_ALLOWED with why it is safe',
  );
  const staleDynamic = Object.keys(DYNAMIC_ALLOWED).filter((key) => !dynamic.some((p) => p.key === key));
  assert.deepEqual(staleDynamic, [], 'DYNAMIC_ALLOWED entries that match nothing any more: remove them');

  // One check per distinct pattern; the same source often appears in several files.
  const distinct = new Map<string, FoundPattern[]>();
  for (const pattern of found) {
    const key = `/${pattern.source}/${pattern.flags}`;
    distinct.set(key, [...(distinct.get(key) ?? []), pattern]);
  }
  const vulnerable: string[] = [];
  const undecided: string[] = [];
  const matchedAllowances = new Set<string>();
  // One at a time: the worker backend holds every pending check's automata at once, and with all
  // patterns in flight its heap ran out (ERR_WORKER_OUT_OF_MEMORY).
  const results = [];
  for (const [key, occurrences] of distinct) {
    const [first] = occurrences as [FoundPattern];
    const started = performance.now();
    const diagnostics = await check(first.source, first.flags, CHECK_PARAMETERS);
    results.push({ key, occurrences, diagnostics, milliseconds: performance.now() - started });
  }
  const slowest = [...results].sort((a, b) => b.milliseconds - a.milliseconds).slice(0, 5);
  t.diagnostic(
    `${found.length} patterns (${distinct.size} distinct) in ${sourceRoots().length} source roots; slowest: ${slowest
      .map((result) => `${result.key} ${Math.round(result.milliseconds)} ms (${result.diagnostics.checker})`)
      .join(', ')}`,
  );
  for (const { key, occurrences, diagnostics } of results) {
    for (const occurrence of occurrences) {
      const where = `${occurrence.file}:${occurrence.line} ${key}`;
      const allowance = `${occurrence.file}#${key}`;
      if (diagnostics.status === 'vulnerable') {
        if (allowance in VULNERABLE_ALLOWED) matchedAllowances.add(allowance);
        else
          vulnerable.push(
            `${where} — ${diagnostics.complexity.summary}, attack ${JSON.stringify(diagnostics.attack.pattern)}`,
          );
      } else if (diagnostics.status !== 'safe') {
        undecided.push(`${where} — ${diagnostics.status}: ${JSON.stringify(diagnostics.error)}`);
      }
    }
  }
  assert.deepEqual(vulnerable, [], 'ReDoS-vulnerable patterns');
  assert.deepEqual(undecided, [], 'patterns recheck could not decide');
  const staleVulnerable = Object.keys(VULNERABLE_ALLOWED).filter((key) => !matchedAllowances.has(key));
  assert.deepEqual(
    staleVulnerable,
    [],
    'VULNERABLE_ALLOWED entries that match nothing any more: remove them',
  );
});

/**
 * Step limits instead of wall-clock limits, so the verdict does not depend on the machine's
 * load; recheck's PRNG seed is fixed (0) by default, so the fuzzer is deterministic too.
 */
const CHECK_PARAMETERS = {
  timeout: null,
  attackTimeout: null,
  incubationTimeout: null,
  seedingTimeout: null,
  randomSeed: 0,
  // Bounded repeats like `{1,128}` stay with the exact automaton checker instead of the fuzzer.
  maxRepeatCount: 1000,
} as const;
