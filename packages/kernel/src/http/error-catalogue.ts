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

/**
 * One entry of a service's error catalogue. Its name (the catalogue key) is the code on the wire
 * unless `code` says otherwise (account's numeric codes). `status` is the only status it is sent
 * with. Either a fixed `message` (a caller may replace it), or `describe`, whose parameters become
 * the factory's parameters.
 */
export type ErrorDefinition =
  | { status: number; code?: string | number; message: string; describe?: undefined }
  | {
      status: number;
      code?: string | number;
      describe: (...args: never[]) => ErrorDescription;
      message?: undefined;
    };

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
    entries.set(name, { name, status: definition.status, code });
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

type KernelKind = Exclude<NormalizedErrorKind, 'service'>;

/** A catalogue name, or a choice among several by the error itself (listed, so tests can see them). */
export type KindMapping<Name extends string, K extends KernelKind> =
  | Name
  | {
      names: readonly Name[];
      pick: (error: Extract<NormalizedHttpError, { kind: K }>) => Name;
    };

/** The catalogue name each failure the kernel normalizes is answered with. */
export type KindNames<Name extends string> = { [K in KernelKind]: KindMapping<Name, K> };

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
 * The service's one error handler: every error, thrown by the service or normalized by the kernel,
 * becomes a catalogue entry, whose status is sent and whose code `body` puts in the seed's envelope.
 * A `ServiceError` whose code is not in the catalogue is a bug: logged, and answered as `internal`.
 */
export function defineErrorRenderer<Catalogue extends object>(options: {
  catalogue: Catalogue;
  kinds: KindNames<ErrorName<Catalogue>>;
  body: (context: ErrorRenderContext<ErrorName<Catalogue>>) => unknown;
}): CatalogueRenderer<ErrorName<Catalogue>> {
  type Name = ErrorName<Catalogue>;
  const entries = catalogueEntries(options.catalogue);
  for (const [kind, mapping] of Object.entries(options.kinds) as [
    KernelKind,
    KindMapping<Name, KernelKind>,
  ][]) {
    for (const name of kindNames(mapping)) {
      if (!entries.has(name)) throw new Error(`kind ${kind} maps to ${name}, which is not in the catalogue`);
    }
  }
  const nameFor = (error: NormalizedHttpError): Name => {
    if (error.kind === 'service') return error.error.entry as Name;
    const mapping = options.kinds[error.kind] as KindMapping<Name, typeof error.kind>;
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
  return Object.assign(render, { catalogue: options.catalogue, kinds: options.kinds });
}
