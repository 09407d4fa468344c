// The seed-independent model a `Contract` validates against: both the OpenAPI loader and the
// endpoint-document (YAML) loader produce it.

export type JsonSchema = Record<string, unknown> | boolean;

export interface SeedMedia {
  /** Lower-case media type as documented: `application/json`, `image/*`, `*\/*`. */
  mediaType: string;
  /** Whether the body is JSON, parsed and checked against `schema`. */
  json: boolean;
  schema?: JsonSchema;
}

export type SeedBody =
  /** Nothing documented for a success or redirect: the body must be empty (204, 304). */
  | { kind: 'empty' }
  /** The seed leaves the body undescribed: it is not checked. */
  | { kind: 'unchecked' }
  | { kind: 'content'; media: SeedMedia[] };

export interface SeedResponse {
  /** As written in the seed: `200`, `4XX`, `default`. */
  status: string;
  body: SeedBody;
}

/**
 * What a seed says about an operation's credentials: `public` (it requires none), `authenticated`
 * (a security requirement, or a documented 401, with the scheme names the seed gives), or
 * `unstated` (the seed says neither: the service decides, and its security suite must say which).
 */
export interface SeedSecurity {
  kind: 'public' | 'authenticated' | 'unstated';
  schemes: string[];
}

export interface SeedOperation {
  method: string;
  template: string;
  operationId?: string;
  /** The seed's `summary` (OpenAPI) or endpoint `name` (the 004 document). */
  summary?: string;
  /** One pattern per documented base path; a request path may match any of them. */
  patterns: PathPattern[];
  responses: SeedResponse[];
  security: SeedSecurity;
}

export interface LoadedSeed {
  operations: SeedOperation[];
  /** Schema registered once with ajv so that `$ref`s in response schemas resolve into it. */
  sharedSchema?: Record<string, unknown>;
  /** Every `format` the response schemas use. */
  formats: Set<string>;
  /** OpenAPI seeds: one schema of the document by JSON pointer, self-contained (its own `$id` and `$defs`). */
  schemaAt?: (pointer: string) => JsonSchema & object;
  /** Endpoint documents whose sections use the `{ success, … }` envelope: the failure envelope of a status family. */
  failureEnvelope?: (family: 4 | 5) => JsonSchema;
}

type SegmentMatcher =
  | { kind: 'literal'; text: string }
  | { kind: 'param' }
  | { kind: 'partial'; regex: RegExp };

export interface PathPattern {
  segments: SegmentMatcher[];
}

// Higher is more specific: a literal segment beats a partly templated one, which beats a bare parameter.
const LITERAL = 2;
const PARTIAL = 1;
const PARAM = 0;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles `/jobs/{job_id}` (and, with `colonParams`, `/share/:token`) into a matcher.
 * Parameters never span a `/`, as in OpenAPI.
 */
export function compilePathTemplate(template: string, options: { colonParams?: boolean } = {}): PathPattern {
  const segments = splitPath(template).map((segment): SegmentMatcher => {
    if (/^\{[^{}]+\}$/.test(segment)) return { kind: 'param' };
    if (options.colonParams && /^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) return { kind: 'param' };
    if (segment.includes('{')) {
      const source = segment
        .split(/(\{[^{}]+\})/)
        .map((part) => (/^\{[^{}]+\}$/.test(part) ? '([^/]+)' : escapeRegExp(part)))
        .join('');
      return { kind: 'partial', regex: new RegExp(`^${source}$`) };
    }
    return { kind: 'literal', text: segment };
  });
  return { segments };
}

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The decoded segments of a concrete request path; the query string and fragment are dropped. */
export function requestPathSegments(path: string): string[] {
  let bare = path;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(bare)) bare = new URL(bare).pathname;
  bare = bare.split(/[?#]/, 1)[0] ?? '';
  if (!bare.startsWith('/')) bare = `/${bare}`;
  return splitPath(bare).map(decodeSegment);
}

/** The specificity of each segment when the pattern matches, else undefined. */
export function matchPathPattern(pattern: PathPattern, segments: string[]): number[] | undefined {
  if (pattern.segments.length !== segments.length) return undefined;
  const specificity: number[] = [];
  for (const [index, matcher] of pattern.segments.entries()) {
    const segment = segments[index] ?? '';
    if (matcher.kind === 'literal') {
      if (matcher.text !== segment) return undefined;
      specificity.push(LITERAL);
    } else if (matcher.kind === 'param') {
      if (segment === '') return undefined;
      specificity.push(PARAM);
    } else {
      if (!matcher.regex.test(segment)) return undefined;
      specificity.push(PARTIAL);
    }
  }
  return specificity;
}

/** Orders specificities so that the earliest more literal segment wins: `/jobs/results` before `/jobs/{id}`. */
export function compareSpecificity(a: number[], b: number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (b[index] ?? 0) - (a[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return b.length - a.length;
}

export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}
