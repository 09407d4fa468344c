import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CatalogueRenderer, catalogueEntries, kindNames } from '../http/error-catalogue.js';
import { type SeededService, seedPath } from './contract.js';

/** Error codes a document lists, each with the statuses it lists them under (empty: not said). */
export interface DocumentedErrors {
  /** Names the document in failure messages. */
  source: string;
  codes: Map<string, Set<number>>;
  /** Error statuses the document lists, with or without a code. */
  statuses: Set<number>;
  /** The document lists every code the service sends (a README table), not only some (a seed). */
  complete: boolean;
}

export interface ErrorCatalogueCheck {
  /** The service's renderer from `defineErrorRenderer`: its catalogue and kind mapping. */
  renderer: CatalogueRenderer;
  /** The service's `src` directory: every catalogue entry must be raised there or mapped from a kind. */
  sourceDir: string | URL;
  documented: DocumentedErrors[];
  /** Documented codes the service never sends, each with why. */
  unused?: Record<string, string>;
  /** Documented error statuses no catalogue entry has, each with why. */
  unusedStatuses?: Record<number, string>;
  /** Entries sent with a status the documents do not list for their code, each with why. */
  otherStatus?: Record<string, string>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function add(codes: Map<string, Set<number>>, code: string, status?: number): void {
  const statuses = codes.get(code) ?? new Set<number>();
  if (status !== undefined) statuses.add(status);
  codes.set(code, statuses);
}

function resolve(document: Json, value: unknown): unknown {
  let current = value;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string' && hops < 20; hops++) {
    const ref: string = current.$ref;
    current = ref
      .replace(/^#\//, '')
      .split('/')
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, segment) => (isObject(node) ? node[segment] : undefined), document);
  }
  return current;
}

/** The schemas `field` can take inside `schema`, through `$ref`, `allOf`, `anyOf` and `oneOf`. */
function fieldSchemas(document: Json, schema: unknown, field: readonly string[], depth = 0): Json[] {
  const resolved = resolve(document, schema);
  if (!isObject(resolved) || depth > 20) return [];
  const found: Json[] = [];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const members = resolved[key];
    if (Array.isArray(members)) {
      for (const member of members) found.push(...fieldSchemas(document, member, field, depth + 1));
    }
  }
  if (field.length === 0) return [resolved, ...found];
  const [head, ...rest] = field as [string, ...string[]];
  const properties = resolved.properties;
  if (isObject(properties) && head in properties) {
    found.push(...fieldSchemas(document, properties[head], rest, depth + 1));
  }
  return found;
}

// `CODE` in backticks, or "code CODE", in a response description.
const DESCRIBED_CODE = /`([A-Z][A-Z0-9_]{2,})`|\bcode ([A-Z][A-Z0-9_]{2,})\b/g;

/**
 * The error codes an OpenAPI seed documents at `field` of its error bodies (`['error']` when the
 * code is the body's `error` string, `['error', 'code']` when `error` is an object with a `code`): enum values and codes named in a
 * response's description count under that response's status; schema examples count, under no status.
 */
export function openApiErrorCodes(
  document: unknown,
  field: readonly string[],
  source = 'seed',
): DocumentedErrors {
  if (!isObject(document) || !isObject(document.paths)) throw new Error(`${source}: not an OpenAPI document`);
  const documented: DocumentedErrors = { source, codes: new Map(), statuses: new Set(), complete: false };
  for (const operations of Object.values(document.paths)) {
    if (!isObject(operations)) continue;
    for (const operation of Object.values(operations)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      for (const [statusText, given] of Object.entries(operation.responses)) {
        const status = Number(statusText);
        if (!(status >= 400 && status <= 599)) continue;
        documented.statuses.add(status);
        const response = resolve(document, given);
        if (!isObject(response)) continue;
        for (const match of String(response.description ?? '').matchAll(DESCRIBED_CODE)) {
          add(documented.codes, (match[1] ?? match[2]) as string, status);
        }
        const content = isObject(response.content) ? Object.values(response.content) : [];
        for (const media of content) {
          if (!isObject(media)) continue;
          for (const schema of fieldSchemas(document, media.schema, field)) {
            if (Array.isArray(schema.enum)) {
              for (const code of schema.enum) add(documented.codes, String(code), status);
            }
            if (typeof schema.example === 'string') add(documented.codes, schema.example);
          }
        }
      }
    }
  }
  return documented;
}

/**
 * The rows of the first Markdown table in `markdown` that has a `code` column and a `status` (or
 * `HTTP`) column: `` | `quota_exceeded` | 413 | … | ``. Rows with a success status are skipped.
 */
export function markdownErrorTable(markdown: string, source: string, complete: boolean): DocumentedErrors {
  const documented: DocumentedErrors = { source, codes: new Map(), statuses: new Set(), complete };
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const header = cells(lines[index] ?? '').map((cell) => cell.toLowerCase());
    const codeColumn = header.indexOf('code');
    const statusColumn = header.findIndex((cell) => cell === 'status' || cell === 'http');
    if (!lines[index]?.trim().startsWith('|') || codeColumn < 0 || statusColumn < 0) continue;
    for (const line of lines.slice(index + 2)) {
      if (!line.trim().startsWith('|')) break;
      const row = cells(line);
      const code = /^`([^`]+)`$/.exec(row[codeColumn] ?? '')?.[1];
      const status = Number(row[statusColumn]);
      if (!code || !Number.isInteger(status)) throw new Error(`${source}: unreadable error row ${line}`);
      if (status < 400) continue;
      add(documented.codes, code, status);
      documented.statuses.add(status);
    }
    return documented;
  }
  throw new Error(`${source}: no table with code and status columns`);
}

/** The table under a service README's `## Errors` heading (or `heading`): the complete list of its codes. */
export function readmeErrorTable(readme: string | URL, heading = 'Errors'): DocumentedErrors {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`${String(readme)}: no "## ${heading}" section`);
  const rest = lines.slice(start + 1);
  const next = rest.findIndex((line) => line.startsWith('## '));
  return markdownErrorTable(
    (next < 0 ? rest : rest.slice(0, next)).join('\n'),
    `README "## ${heading}"`,
    true,
  );
}

function sourceText(dir: string | URL): string {
  const root = dir instanceof URL ? fileURLToPath(dir) : dir;
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(path.join(root, file), 'utf8'))
    .join('\n');
}

/**
 * The catalogue, its documents and the code that raises it, in agreement both ways. Returns the
 * disagreements (empty when there is none):
 * - every entry is raised in the sources (`.NAME(`) or answers a kernel kind;
 * - every code sent is in each complete document (the README table), with its status, and no stale row;
 * - every code a document lists is in the catalogue, or in `unused` with why;
 * - an entry's status is one its documents list for its code (or `otherStatus` says why not);
 * - every error status a document lists is some entry's status, or in `unusedStatuses`;
 * - no `new ServiceError(` outside the catalogue.
 */
export function checkErrorCatalogue(check: ErrorCatalogueCheck): string[] {
  const problems: string[] = [];
  const entries = [...catalogueEntries(check.renderer.catalogue).values()];
  const sources = sourceText(check.sourceDir);
  const unused = check.unused ?? {};
  const otherStatus = check.otherStatus ?? {};
  const kindMapped = new Set(Object.values(check.renderer.kinds).flatMap((mapping) => kindNames(mapping)));
  const sentCodes = new Set(entries.map((entry) => String(entry.code)));

  for (const entry of entries) {
    const raised = sources.includes(`.${entry.name}(`);
    if (!raised && !kindMapped.has(entry.name)) {
      problems.push(`${entry.name} is never raised (no .${entry.name}( in the sources, no kind maps to it)`);
    }
    const code = String(entry.code);
    for (const documented of check.documented) {
      const statuses = documented.codes.get(code);
      if (!statuses) {
        if (documented.complete)
          problems.push(`${code} (${entry.status}) is missing from ${documented.source}`);
        continue;
      }
      if (statuses.size > 0 && !statuses.has(entry.status) && !otherStatus[entry.name]) {
        problems.push(
          `${entry.name} is sent with ${entry.status}; ${documented.source} lists ${code} under ${[...statuses].join(', ')}`,
        );
      }
    }
  }
  for (const documented of check.documented) {
    for (const [code, statuses] of documented.codes) {
      if (!sentCodes.has(code)) {
        if (!unused[code])
          problems.push(`${documented.source} lists ${code}, which is neither sent nor in unused`);
        continue;
      }
      if (!documented.complete) continue;
      for (const status of statuses) {
        if (!entries.some((entry) => String(entry.code) === code && entry.status === status)) {
          problems.push(`${documented.source} lists ${code} (${status}), which is not sent with that status`);
        }
      }
    }
    for (const status of documented.statuses) {
      if (!entries.some((entry) => entry.status === status) && !check.unusedStatuses?.[status]) {
        problems.push(
          `${documented.source} lists status ${status}, which no entry has and unusedStatuses does not explain`,
        );
      }
    }
  }
  for (const [code, reason] of Object.entries(unused)) {
    if (!reason.trim()) problems.push(`unused ${code} needs a reason`);
    if (sentCodes.has(code)) problems.push(`${code} is listed as unused but is in the catalogue`);
    if (!check.documented.some((documented) => documented.codes.has(code))) {
      problems.push(`${code} is listed as unused but no document lists it`);
    }
  }
  for (const status of Object.keys(check.unusedStatuses ?? {}).map(Number)) {
    if (!check.documented.some((documented) => documented.statuses.has(status))) {
      problems.push(`status ${status} is listed as unused but no document lists it`);
    }
  }
  for (const name of Object.keys(otherStatus)) {
    if (!entries.some((entry) => entry.name === name))
      problems.push(`otherStatus names ${name}, not in the catalogue`);
  }
  if (/new ServiceError\(/.test(sources))
    problems.push('the sources build a ServiceError outside the catalogue');
  return problems;
}

export interface ServiceErrorsCheck extends Omit<ErrorCatalogueCheck, 'sourceDir' | 'documented'> {
  /** The service's package directory (`new URL('..', import.meta.url)` from its test/): its `src/` and `README.md`. */
  packageDir: URL;
  /**
   * Where an error body of the service's OpenAPI seed carries its code (`['error']` for a string
   * `error`, `['error', 'code']` for an object): the seed's codes are checked too. Absent: the
   * seed documents no codes the check can read (only the README's table is).
   */
  seedCodeField?: readonly string[];
  /** The README section holding the error table (default `Errors`). */
  readmeHeading?: string;
  /** Other documents listing codes (a table inside the seed). */
  documented?: DocumentedErrors[];
}

/**
 * The catalogue check every service runs (`checkErrorCatalogue`): its renderer's catalogue against
 * its sources, its README's error table and, where given, its seed's codes. Returns the problems.
 */
export function checkServiceErrors(service: SeededService, check: ServiceErrorsCheck): string[] {
  const { packageDir, seedCodeField, readmeHeading, documented = [], ...rest } = check;
  const seed = seedCodeField
    ? [
        openApiErrorCodes(
          JSON.parse(readFileSync(seedPath(service), 'utf8')),
          seedCodeField,
          `seed ${service.seed?.file ?? service.name}`,
        ),
      ]
    : [];
  return checkErrorCatalogue({
    ...rest,
    sourceDir: new URL('src/', packageDir),
    documented: [...seed, ...documented, readmeErrorTable(new URL('README.md', packageDir), readmeHeading)],
  });
}
