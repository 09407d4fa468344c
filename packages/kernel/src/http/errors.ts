import type { FastifyError, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { type DatabaseFailure, databaseFailure } from '../db/database-failure.js';

export type RequestLocation = 'body' | 'querystring' | 'params' | 'headers';

export interface ValidationIssue {
  location: RequestLocation;
  /** Path inside the location, e.g. `['user', 'email']` or `['x-service-api-key']`. */
  path: (string | number)[];
  message: string;
  /** zod issue code (`invalid_type`, `too_small`, …) or `missing` for an absent required value. */
  code: string;
  /** The offending value, when the source has it. */
  input?: unknown;
}

/**
 * Every failure a route can end in, reduced to one neutral description. Each service
 * renders it in its own seed's envelope through `renderError`.
 */
export type NormalizedHttpError =
  | { kind: 'validation'; statusCode: 400; issues: ValidationIssue[]; message: string }
  | { kind: 'malformed_json'; statusCode: 400; message: string }
  | { kind: 'body_too_large'; statusCode: 413; message: string }
  | { kind: 'unsupported_media_type'; statusCode: 415; message: string }
  | { kind: 'not_found'; statusCode: 404; message: string }
  /** The router could not decode the path (bad percent-encoding). */
  | { kind: 'bad_url'; statusCode: 400; message: string }
  /** A path parameter is longer than the router accepts. */
  | { kind: 'uri_too_long'; statusCode: 414; message: string }
  /** Node's HTTP parser gave up waiting for the request (`requestTimeout`). */
  | { kind: 'request_timeout'; statusCode: 408; message: string }
  /** The request headers are over Node's `maxHeaderSize`. */
  | { kind: 'headers_too_large'; statusCode: 431; message: string }
  | { kind: 'service'; statusCode: number; error: ServiceError; message: string }
  /** Any other 4xx from the HTTP layer (a plugin, a malformed request line). */
  | { kind: 'client'; statusCode: number; message: string }
  /** PostgreSQL cannot be reached, or the service's tables are missing (not migrated). */
  | { kind: 'database_unavailable'; statusCode: 503; failure: DatabaseFailure; message: string }
  | { kind: 'internal'; statusCode: 500; message: string };

export type NormalizedErrorKind = NormalizedHttpError['kind'];

/**
 * A domain error a service throws on purpose, made by its catalogue's factories
 * (`defineErrorCatalogue`). `code` is the code its envelope shows; `entry` names the catalogue
 * entry (several entries may share a code); `details` are rendered by that service's envelope.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    readonly entry: string = code,
  ) {
    super(message);
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof ServiceError;
}

function issuePath(instancePath: string | undefined): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

const REQUEST_PART: Record<RequestLocation, 'body' | 'query' | 'params' | 'headers'> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/**
 * The value the client sent at `path`. zod issues do not carry their input, so the request
 * itself tells an absent value (`missing`) from a wrong one, and gives the offending input.
 */
function sentValue(
  request: FastifyRequest | undefined,
  location: RequestLocation,
  path: (string | number)[],
): unknown {
  let value: unknown = request?.[REQUEST_PART[location]];
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function toLocation(context: string | undefined): RequestLocation {
  if (context === 'querystring' || context === 'params' || context === 'headers') return context;
  return 'body';
}

/** Readable one-line summary of issues: `email: Invalid email address; age: Too small`. */
export function summarizeIssues(issues: ValidationIssue[]): string {
  return issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function normalizeError(error: unknown, request?: FastifyRequest): NormalizedHttpError {
  if (isServiceError(error)) {
    return { kind: 'service', statusCode: error.statusCode, error, message: error.message };
  }
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext;
    const location = toLocation(context);
    const issues: ValidationIssue[] = error.validation.map((entry) => {
      const path = issuePath(entry.instancePath);
      const input = sentValue(request, location, path);
      const missing = input === undefined && entry.keyword === 'invalid_type';
      return {
        location,
        path,
        message: missing ? 'Field required' : (entry.message ?? 'Invalid value'),
        code: missing ? 'missing' : String(entry.keyword ?? 'invalid'),
        input,
      };
    });
    return { kind: 'validation', statusCode: 400, issues, message: summarizeIssues(issues) };
  }
  if (isResponseSerializationError(error)) {
    request?.log.error({ err: error }, 'response did not match its schema');
    return { kind: 'internal', statusCode: 500, message: 'Internal server error' };
  }
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { kind: 'malformed_json', statusCode: 400, message: 'Request body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { kind: 'body_too_large', statusCode: 413, message: 'Request body is too large' };
    // Router failures (Fastify's `frameworkErrors`): the raw path is not echoed back.
    case 'FST_ERR_BAD_URL':
      return {
        kind: 'bad_url',
        statusCode: 400,
        message: 'The URL is not valid (malformed percent-encoding)',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { kind: 'uri_too_long', statusCode: 414, message: 'A path parameter is too long' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { kind: 'unsupported_media_type', statusCode: 415, message: 'Unsupported content type' };
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { kind: 'malformed_json', statusCode: 400, message: 'Request body is not valid JSON' };
  }
  const failure = databaseFailure(error);
  if (failure) {
    request?.log.error({ err: error, failure }, 'database unavailable');
    return {
      kind: 'database_unavailable',
      statusCode: 503,
      failure,
      message: failure === 'schema_missing' ? 'The database is not migrated' : 'The database is unavailable',
    };
  }
  const statusCode = fastifyError?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { kind: 'client', statusCode, message: fastifyError.message };
  }
  request?.log.error({ err: error }, 'unhandled error');
  return { kind: 'internal', statusCode: 500, message: 'Internal server error' };
}

export interface RenderedError {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A service's envelope: turns a normalized error into its seed's status + body. */
export type ErrorRenderer = (error: NormalizedHttpError, request: FastifyRequest) => RenderedError;
