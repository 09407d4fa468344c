// The platform's layering rule (root README, "Layering"), checked on every service's sources:
// routes (src/http) → domain modules → repositories (src/db). Parsed with the TypeScript
// compiler, so comments and strings never count and nothing is missed by formatting.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const servicesDir = path.join(root, 'services');

/** Kysely's query builders: calling one is writing SQL. */
const QUERY_BUILDERS = new Set([
  'selectFrom',
  'selectNoFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
]);
/** Raw statement runners (pg's `query`, the kernel's `runSql`). */
const RAW_RUNNERS = new Set(['query', 'runSql']);

type Layer = 'db' | 'http' | 'composition' | 'domain';

export interface Violation {
  file: string;
  line: number;
  rule: string;
}

/**
 * `src/db/**`: repositories; `src/http/**`: routes and their hooks; `src/*.ts` (files directly in
 * src): the composition root that wires them (service definition, runtime); everything else is
 * domain (including jobs, queues, the gRPC transport).
 */
export function layerOf(relativeToSrc: string): Layer {
  const [first, ...rest] = relativeToSrc.split(path.sep);
  if (first === 'db') return 'db';
  if (first === 'http') return 'http';
  return rest.length === 0 ? 'composition' : 'domain';
}

function isFastify(specifier: string): boolean {
  return specifier === 'fastify' || specifier.startsWith('fastify/') || specifier.startsWith('@fastify/');
}

/** Whether an import of `specifier` from `file` lands in the service's `src/http/`. */
function reachesHttp(file: string, specifier: string, srcDir: string): boolean {
  if (!specifier.startsWith('.')) return false;
  const target = path.resolve(path.dirname(file), specifier);
  const relative = path.relative(srcDir, target);
  return relative === 'http' || relative.startsWith(`http${path.sep}`);
}

/** A value (not `import type`) import of kysely: `sql`, `CompiledQuery`, `Kysely` itself. */
function importsKyselyValue(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause || clause.isTypeOnly) return !clause; // `import 'kysely'` runs it; `import type` does not
  if (clause.name) return true;
  const bindings = clause.namedBindings;
  if (!bindings) return false;
  if (ts.isNamespaceImport(bindings)) return true;
  return bindings.elements.some((element) => !element.isTypeOnly);
}

function isSqlTag(tag: ts.Expression): boolean {
  // sql`…`, sql<T>`…` (the type arguments sit on the tagged template), sql.raw`…`
  if (ts.isIdentifier(tag)) return tag.text === 'sql';
  return (
    ts.isPropertyAccessExpression(tag) && ts.isIdentifier(tag.expression) && tag.expression.text === 'sql'
  );
}

/** The violations of one source file of a service whose sources are under `srcDir`. */
export function checkSource(file: string, text: string, srcDir: string): Violation[] {
  const layer = layerOf(path.relative(srcDir, file));
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: Violation[] = [];
  const report = (node: ts.Node, rule: string) =>
    violations.push({
      file: path.relative(root, file),
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      rule,
    });
  const checkSpecifier = (node: ts.Node, specifier: string) => {
    if (layer !== 'http' && isFastify(specifier)) report(node, `imports ${specifier} outside src/http`);
    if ((layer === 'domain' || layer === 'db') && reachesHttp(file, specifier, srcDir))
      report(node, `imports ${specifier}: only src/http and the composition root (src/*.ts) may`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const specifier = node.moduleSpecifier.text;
      checkSpecifier(node, specifier);
      if (layer !== 'db' && specifier === 'kysely' && importsKyselyValue(node))
        report(node, 'imports a value from kysely (sql, CompiledQuery…) outside src/db; `import type` only');
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      checkSpecifier(node, node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const [first] = node.arguments;
      if (callee.kind === ts.SyntaxKind.ImportKeyword && first && ts.isStringLiteralLike(first))
        checkSpecifier(node, first.text);
      if (layer !== 'db') {
        const name = ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : ts.isIdentifier(callee)
            ? callee.text
            : undefined;
        if (name && QUERY_BUILDERS.has(name) && ts.isPropertyAccessExpression(callee))
          report(node, `builds SQL (${name}) outside src/db`);
        if (name && RAW_RUNNERS.has(name) && first && ts.isStringLiteralLike(first))
          report(node, `runs raw SQL (${name}) outside src/db`);
        if (ts.isPropertyAccessExpression(callee) && isSqlTag(callee))
          report(node, 'uses sql.* outside src/db');
      }
    } else if (ts.isTaggedTemplateExpression(node) && layer !== 'db' && isSqlTag(node.tag)) {
      report(node, 'writes a sql`…` template outside src/db');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // Generated code (gRPC types) is not written by hand.
    if (entry.isDirectory()) {
      if (entry.name !== 'generated' && entry.name !== 'node_modules') out.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

describe('layering: routes → domain → repositories', () => {
  const services = fs
    .readdirSync(servicesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(servicesDir, entry.name, 'src')))
    .map((entry) => entry.name);

  test('every service is checked', () => {
    assert.ok(services.length >= 7, `found ${services.join(', ')}`);
  });

  for (const service of services) {
    test(`${service}: SQL only in src/db, Fastify only in src/http, src/http wired only by the composition root`, () => {
      const srcDir = path.join(servicesDir, service, 'src');
      const violations = sourceFiles(srcDir).flatMap((file) =>
        checkSource(file, fs.readFileSync(file, 'utf8'), srcDir),
      );
      assert.deepEqual(
        violations.map((violation) => `${violation.file}:${violation.line} ${violation.rule}`),
        [],
      );
    });
  }
});

describe('the layering check itself', () => {
  const srcDir = path.join(root, 'services', 'example', 'src');
  const check = (relative: string, text: string) =>
    checkSource(path.join(srcDir, relative), text, srcDir).map((violation) => violation.rule);

  test('finds SQL written outside src/db, however it is written', () => {
    assert.equal(check('domain/a.ts', "await db.selectFrom('t').selectAll().execute();").length, 1);
    assert.equal(check('jobs/a.ts', "await trx\n  .deleteFrom('t')\n  .execute();").length, 1);
    assert.equal(
      check('domain/a.ts', "import { sql } from 'kysely';\nawait sql`SELECT 1`.execute(db);").length,
      2,
    );
    assert.equal(check('domain/a.ts', 'await sql<{ n: number }>`SELECT 1`.execute(db);').length, 1);
    assert.equal(check('domain/a.ts', "await pool.query('DELETE FROM t');").length, 1);
    assert.equal(check('http/routes/a.ts', "await db.updateTable('t').set({}).execute();").length, 1);
    assert.equal(check('index.ts', "await db.insertInto('t').values({}).execute();").length, 1);
  });

  test('finds Fastify and src/http imported where they do not belong', () => {
    assert.deepEqual(check('domain/a.ts', "import type { FastifyRequest } from 'fastify';"), [
      'imports fastify outside src/http',
    ]);
    assert.equal(check('domain/a.ts', "import { principalOf } from '../http/principal.js';").length, 1);
    assert.equal(check('db/a.ts', "export { x } from '../http/x.js';").length, 1);
    assert.equal(check('jobs/a.ts', "const { x } = await import('../http/x.js');").length, 1);
  });

  test('allows what each layer is for', () => {
    assert.deepEqual(
      check('db/a.ts', "import { sql } from 'kysely';\nawait db.selectFrom('t').execute();"),
      [],
    );
    assert.deepEqual(check('http/routes/a.ts', "import type { FastifyInstance } from 'fastify';"), []);
    assert.deepEqual(check('index.ts', "import { buildApp } from './http/app.js';"), []);
    assert.deepEqual(check('domain/a.ts', "import type { Transaction } from 'kysely';"), []);
    assert.deepEqual(check('domain/a.ts', "import { type Kysely, type Transaction } from 'kysely';"), []);
    // Comments and strings are not code.
    assert.deepEqual(check('domain/a.ts', "// db.selectFrom('t')\nconst s = \"sql`x` from 'fastify'\";"), []);
    // `query` on something else, and query builders named alike on plain objects passed a function.
    assert.deepEqual(check('domain/a.ts', 'const q = request.query;\nparams.query(filter);'), []);
  });
});
