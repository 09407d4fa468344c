import type { FastifyRequest } from 'fastify';
import {
  type ErrorRenderer,
  type NormalizedErrorKind,
  type NormalizedHttpError,
  type RenderedError,
  ServiceError,
} from './errors.js';

/** What one error says: its message, and the details and headers it carries. */
export interface ErrorDescription {
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** The failures the kernel normalizes (`NormalizedHttpError`), which every catalogue has to answer. */
export type KernelErrorKind = Exclude<NormalizedErrorKind, 'service'>;

const KERNEL_ERROR_KINDS: readonly KernelErrorKind[] = [
  'validation',
  'malformed_json',
  'body_too_large',
  'unsupported_media_type',
  'not_found',
  'bad_url',
  'uri_too_long',
  'request_timeout',
  'headers_too_large',
  'client',
  'database_unavailable',
  'internal',
];

/**
 * One entry of a service's error catalogue. Its name (the catalogue key) is the code on the wire
 * unless `code` says otherwise (account's numeric codes). `status` is the only status it is sent
 * with. Either a fixed `message` (a caller may replace it), or `describe`, whose parameters become
 * the factory's parameters. `answers` names the kernel's failures this entry is the answer to.
 */
export type ErrorDefinition =
  | {
      status: number;
      code?: string | number;
      message: string;
      describe?: undefined;
      answers?: KernelErrorKind | readonly KernelErrorKind[];
    }
  | {
      status: number;
      code?: string | number;
      describe: (...args: never[]) => ErrorDescription;
      message?: undefined;
      answers?: KernelErrorKind | readonly KernelErrorKind[];
    };

/** The status and message of each failure the kernel normalizes with a fixed status. */
const KERNEL_ERRORS = {
  malformed_json: { status: 400, message: 'Request body is not valid JSON' },
  body_too_large: { status: 413, message: 'Request body is too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type' },
  not_found: { status: 404, message: 'Route not found' },
  bad_url: { status: 400, message: 'The URL is not valid' },
  uri_too_long: { status: 414, message: 'A path parameter is too long' },
  request_timeout: { status: 408, message: 'The request took too long to arrive' },
  headers_too_large: { status: 431, message: 'Request headers are too large' },
  database_unavailable: { status: 503, message: 'The database is unavailable' },
  internal: { status: 500, message: 'Internal server error' },
} as const satisfies Partial<Record<KernelErrorKind, { status: number; message: string }>>;

/**
 * The catalogue entry that answers one of the kernel's failures, with the kernel's status and
 * message for it: a service names only its code (`URI_TOO_LONG: kernelError('uri_too_long')`,
 * `uriTooLong: kernelError('uri_too_long', { code: 'uri_too_long' })`), or sets the status or
 * message its seed gives instead.
 */
export function kernelError<Kind extends keyof typeof KERNEL_ERRORS>(
  kind: Kind,
  entry: { code?: string | number; status?: number; message?: string } = {},
): { status: number; code?: string | number; message: string; answers: Kind } {
  return { ...KERNEL_ERRORS[kind], ...entry, answers: kind };
}

export type ErrorFactory<D extends ErrorDefinition> = D extends {
  describe: (...args: infer A) => ErrorDescription;
}
  ? (...args: A) => ServiceError
  : (override?: string | Partial<ErrorDescription>) => ServiceError;

export type ErrorCatalogue<S extends Record<string, ErrorDefinition> = Record<string, ErrorDefinition>> = {
  readonly [Name in keyof S & string]: ErrorFactory<S[Name]>;
};

export type ErrorName<Catalogue> = keyof Catalogue & string;

export interface CatalogueEntry {
  name: string;
  status: number;
  /** The code the envelope shows. */
  code: string | number;
  /** The kernel's failures the entry answers (absent: none). */
  answers?: readonly KernelErrorKind[];
}

const ENTRIES = new WeakMap<object, ReadonlyMap<string, CatalogueEntry>>();

/**
 * Declares a service's errors once: name → status → message, as typed factories
 * (`errors.SESSION_NOT_FOUND()`). A factory cannot choose its status; the renderer reads it
 * from here too, so status and body always agree.
 */
export function defineErrorCatalogue<const S extends Record<string, ErrorDefinition>>(
  definitions: S,
): ErrorCatalogue<S> {
  const entries = new Map<string, CatalogueEntry>();
  const factories: Record<string, (...args: unknown[]) => ServiceError> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    if (!Number.isInteger(definition.status) || definition.status < 400 || definition.status > 599) {
      throw new Error(`error ${name}: status ${definition.status} is not an error status`);
    }
    const code = definition.code ?? name;
    const answers = definition.answers === undefined ? [] : [definition.answers].flat();
    entries.set(name, { name, status: definition.status, code, ...(answers.length > 0 ? { answers } : {}) });
    const describe = definition.describe as ((...args: unknown[]) => ErrorDescription) | undefined;
    factories[name] = describe
      ? (...args) => {
          const { message, details, headers } = describe(...args);
          return new ServiceError(definition.status, String(code), message, details, headers, name);
        }
      : (override?: unknown) => {
          const given: Partial<ErrorDescription> =
            typeof override === 'string'
              ? { message: override }
              : ((override as Partial<ErrorDescription>) ?? {});
          return new ServiceError(
            definition.status,
            String(code),
            given.message ?? (definition.message as string),
            given.details,
            given.headers,
            name,
          );
        };
  }
  const catalogue = Object.freeze(factories);
  ENTRIES.set(catalogue, entries);
  return catalogue as unknown as ErrorCatalogue<S>;
}

/** Every entry of a catalogue made by `defineErrorCatalogue`, by name. */
export function catalogueEntries(catalogue: object): ReadonlyMap<string, CatalogueEntry> {
  const entries = ENTRIES.get(catalogue);
  if (!entries) throw new Error('not an error catalogue (use defineErrorCatalogue)');
  return entries;
}

/** A catalogue name, or a choice among several by the error itself (listed, so tests can see them). */
export type KindMapping<Name extends string, K extends KernelErrorKind> =
  | Name
  | {
      names: readonly Name[];
      pick: (error: Extract<NormalizedHttpError, { kind: K }>) => Name;
    };

/** The catalogue name each failure the kernel normalizes is answered with. */
export type KindNames<Name extends string> = { [K in KernelErrorKind]: KindMapping<Name, K> };

export interface ErrorRenderContext<Name extends string> {
  /** The catalogue name. */
  name: Name;
  /** The code the envelope shows (the entry's `code`, or its name). */
  code: string | number;
  statusCode: number;
  message: string;
  /** The details the factory gave (empty for errors the kernel normalized). */
  details: Record<string, unknown>;
  error: NormalizedHttpError;
  request: FastifyRequest;
}

export interface CatalogueRenderer<Name extends string = string> extends ErrorRenderer {
  readonly catalogue: object;
  readonly kinds: KindNames<Name>;
}

/** The names a kind can be answered with. */
export function kindNames<Name extends string>(mapping: Name | { names: readonly Name[] }): readonly Name[] {
  return typeof mapping === 'string' ? [mapping] : mapping.names;
}

/**
 * Every kernel failure's catalogue name: the entries that answer a kind, then `kinds` for the
 * rest (a choice among several entries, or an entry that does not declare it). A kind answered
 * twice, or not at all, is refused at definition.
 */
function resolveKinds<Name extends string>(
  entries: ReadonlyMap<string, CatalogueEntry>,
  kinds: Partial<KindNames<Name>>,
): KindNames<Name> {
  const resolved: Partial<Record<KernelErrorKind, KindMapping<Name, KernelErrorKind>>> = {};
  for (const entry of entries.values()) {
    for (const kind of entry.answers ?? []) {
      if (resolved[kind] !== undefined)
        throw new Error(`kind ${kind} is answered by both ${String(resolved[kind])} and ${entry.name}`);
      resolved[kind] = entry.name as Name;
    }
  }
  for (const [kind, mapping] of Object.entries(kinds) as [
    KernelErrorKind,
    KindMapping<Name, KernelErrorKind>,
  ][]) {
    if (resolved[kind] !== undefined)
      throw new Error(`kind ${kind} is answered by ${String(resolved[kind])}; the renderer maps it again`);
    for (const name of kindNames(mapping)) {
      if (!entries.has(name)) throw new Error(`kind ${kind} maps to ${name}, which is not in the catalogue`);
    }
    resolved[kind] = mapping;
  }
  const missing = KERNEL_ERROR_KINDS.filter((kind) => resolved[kind] === undefined);
  if (missing.length > 0) throw new Error(`no catalogue entry answers ${missing.join(', ')}`);
  return resolved as KindNames<Name>;
}

/**
 * The service's one error handler: every error, thrown by the service or normalized by the kernel,
 * becomes a catalogue entry, whose status is sent and whose code `body` puts in the seed's envelope.
 * The kernel's failures go to the entries that answer them (`answers`, `kernelError`); `kinds` maps
 * the others, or picks among several entries by the error. A `ServiceError` whose code is not in
 * the catalogue is a bug: logged, and answered as `internal`.
 */
export function defineErrorRenderer<Catalogue extends object>(options: {
  catalogue: Catalogue;
  kinds?: Partial<KindNames<ErrorName<Catalogue>>>;
  body: (context: ErrorRenderContext<ErrorName<Catalogue>>) => unknown;
}): CatalogueRenderer<ErrorName<Catalogue>> {
  type Name = ErrorName<Catalogue>;
  const entries = catalogueEntries(options.catalogue);
  const kinds = resolveKinds<Name>(entries, options.kinds ?? {});
  const nameFor = (error: NormalizedHttpError): Name => {
    if (error.kind === 'service') return error.error.entry as Name;
    const mapping = kinds[error.kind] as KindMapping<Name, typeof error.kind>;
    return typeof mapping === 'string' ? mapping : mapping.pick(error as never);
  };
  const render = (given: NormalizedHttpError, request: FastifyRequest): RenderedError => {
    let error = given;
    if (error.kind === 'service' && !entries.has(error.error.entry)) {
      request.log.error({ err: error.error }, `error ${error.error.entry} is not in the service catalogue`);
      error = { kind: 'internal', statusCode: 500, message: 'Internal server error' };
    }
    const name = nameFor(error);
    const entry = entries.get(name) as CatalogueEntry;
    const body = options.body({
      name,
      code: entry.code,
      statusCode: entry.status,
      message: error.message,
      details: error.kind === 'service' ? error.error.details : {},
      error,
      request,
    });
    return { statusCode: entry.status, body };
  };
  return Object.assign(render, { catalogue: options.catalogue, kinds });
}
