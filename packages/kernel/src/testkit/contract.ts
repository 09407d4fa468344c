import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { loadEndpointDocSeed } from './contract-endpoint-doc.js';
import {
  compareSpecificity,
  type LoadedSeed,
  matchPathPattern,
  requestPathSegments,
  type SeedMedia,
  type SeedOperation,
  type SeedResponse,
  type SeedSecurity,
} from './contract-model.js';
import type { ServiceSeed } from '../runtime/service-definition.js';
import { loadOpenApiSeed } from './contract-openapi.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;

/** A service, as far as its contract goes: its name and the seed it declares. */
export interface SeededService {
  name: string;
  seed?: ServiceSeed;
}

export type { SeedSecurity } from './contract-model.js';

/** `../shared/seeds` beside the repository root. */
export const DEFAULT_SEEDS_DIR = fileURLToPath(new URL('../../../../../shared/seeds/', import.meta.url));

function seedOf(service: SeededService): ServiceSeed {
  if (!service.seed) throw new Error(`${service.name}: the service definition declares no seed`);
  return service.seed;
}

/** The file of the seed a service declares (`definition.seed.file`), in `seedsDir`. */
export function seedPath(service: SeededService, seedsDir: string = DEFAULT_SEEDS_DIR): string {
  return path.join(seedsDir, seedOf(service).file);
}

export interface ContractResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  /** The raw payload (string or bytes), or an already parsed JSON value. */
  body: string | unknown;
}

export interface ContractOptions {
  /** For the 004 document: only these `sections[].id`s. Not allowed for OpenAPI seeds. */
  sections?: readonly string[];
  /** Names the contract in error messages; defaults to the file name. */
  name?: string;
}

export interface ContractValidation {
  ok: boolean;
  errors: string[];
  /** The operationId, else `METHOD template`; `METHOD path` when no operation matched. */
  operation: string;
}

export interface ContractOperation {
  method: string;
  template: string;
  operationId?: string;
  /** The seed's `summary` (OpenAPI) or endpoint `name` (the 004 document). */
  summary?: string;
  statuses: string[];
  /** What the seed says about the operation's credentials (see `SeedSecurity`). */
  security: SeedSecurity;
}

// Each contract has its own ajv instance, so one id for the shared schema is enough.
const SHARED_SCHEMA_ID = 'urn:trustplane:contract';

/**
 * A seed's API contract, for tests: checks that a response (status, Content-Type, body) is one the
 * seed documents for the operation a request hit.
 */
export class Contract {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor(
    private readonly seed: LoadedSeed,
    readonly name: string,
  ) {
    this.ajv = new Ajv2020({
      allErrors: true,
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      allowUnionTypes: true,
    });
    addFormats(this.ajv);
    // Formats ajv-formats does not know (OpenAPI's free-form ones) are annotations only.
    for (const format of seed.formats) {
      if (this.ajv.formats[format] === undefined) this.ajv.addFormat(format, true);
    }
    if (seed.sharedSchema) this.ajv.addSchema(seed.sharedSchema);
  }

  /** Reads an OpenAPI 3.0/3.1 document (JSON or YAML) or the 004 endpoint document. */
  static fromSeed(file: string, options: ContractOptions = {}): Contract {
    const text = readFileSync(file, 'utf8');
    const document: unknown = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
    return Contract.fromDocument(document, { name: path.basename(file), ...options });
  }

  /**
   * The contract of one service, from the seed its definition declares; a document shared by
   * several services is narrowed to the service's sections.
   */
  static forService(service: SeededService, options: { seedsDir?: string } = {}): Contract {
    const { sections } = seedOf(service);
    return Contract.fromSeed(seedPath(service, options.seedsDir), {
      name: service.name,
      ...(sections ? { sections } : {}),
    });
  }

  static fromDocument(document: unknown, options: ContractOptions = {}): Contract {
    const name = options.name ?? 'contract';
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new Error(`${name}: a contract document must be an object`);
    }
    const record = document as Record<string, unknown>;
    let seed: LoadedSeed;
    try {
      if (typeof record.openapi === 'string') {
        if (options.sections) throw new Error('sections only apply to the endpoint document, not OpenAPI');
        seed = loadOpenApiSeed(record, SHARED_SCHEMA_ID);
      } else if (Array.isArray(record.sections)) {
        seed = loadEndpointDocSeed(record, options.sections ? { sections: options.sections } : {});
      } else {
        throw new Error('neither an OpenAPI 3 document nor an endpoint document with sections');
      }
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
    }
    return new Contract(seed, name);
  }

  operations(): ContractOperation[] {
    return this.seed.operations.map((operation) => ({
      method: operation.method,
      template: operation.template,
      ...(operation.operationId ? { operationId: operation.operationId } : {}),
      ...(operation.summary ? { summary: operation.summary } : {}),
      statuses: operation.responses.map((response) => response.status),
      security: { kind: operation.security.kind, schemes: [...operation.security.schemes] },
    }));
  }

  /** Compiles every response schema now, so that a seed ajv cannot handle fails loudly. */
  compileAll(): void {
    for (const operation of this.seed.operations) {
      for (const response of operation.responses) {
        if (response.body.kind !== 'content') continue;
        for (const media of response.body.media) if (media.schema !== undefined) this.validatorFor(media);
      }
    }
  }

  validateResponse(method: string, requestPath: string, response: ContractResponse): ContractValidation {
    const upperMethod = method.toUpperCase();
    const segments = requestPathSegments(requestPath);
    const bare = requestPath.split(/[?#]/, 1)[0] ?? requestPath;
    const candidates = this.matchOperations(upperMethod, segments);
    if (candidates.length === 0) {
      const otherMethods = this.seed.operations
        .filter((operation) => operation.patterns.some((pattern) => matchPathPattern(pattern, segments)))
        .map((operation) => `${operation.method} ${operation.template}`);
      const reason =
        otherMethods.length > 0
          ? `no ${upperMethod} operation for ${bare} (documented: ${[...new Set(otherMethods)].join(', ')})`
          : `no operation matches ${upperMethod} ${bare}`;
      return { ok: false, errors: [`${this.name}: ${reason}`], operation: `${upperMethod} ${bare}` };
    }
    // Several equally specific operations happen only when one document serves several services
    // (004 has three `GET /health`); the response then has to fit one of them.
    let first: ContractValidation | undefined;
    for (const operation of candidates) {
      const errors = this.checkOperation(operation, response);
      const result = { ok: errors.length === 0, errors, operation: operationName(operation) };
      if (result.ok) return result;
      first ??= result;
    }
    return first as ContractValidation;
  }

  /** Throws an AssertionError listing every violation (operation, status, JSON pointer, expected, got). */
  assertResponse(method: string, requestPath: string, response: ContractResponse): void {
    const result = this.validateResponse(method, requestPath, response);
    if (result.ok) return;
    throw new AssertionError({
      message: `response to ${method.toUpperCase()} ${requestPath} breaks the ${this.name} contract:\n  - ${result.errors.join('\n  - ')}`,
    });
  }

  /**
   * Checks a value against one schema of an OpenAPI seed, named by its JSON pointer
   * (`#/components/schemas/ApiError`): for bodies no operation documents, such as the error a
   * service answers to a URL its router cannot decode.
   */
  validateSchema(pointer: string, value: unknown): ContractValidation {
    if (!this.seed.schemaAt) throw new Error(`${this.name}: validateSchema needs an OpenAPI seed`);
    let validate = this.validators.get(`schema:${pointer}`);
    if (!validate) {
      const schema = this.seed.schemaAt(pointer);
      this.registerFormats(schema);
      validate = this.ajv.compile(schema);
      this.validators.set(`schema:${pointer}`, validate);
    }
    return this.validation(validate, value, pointer);
  }

  /** The endpoint document's failure envelope (`{ success: false, code, message, trace_id? }`) for `statusCode`. */
  validateFailureEnvelope(statusCode: number, value: unknown): ContractValidation {
    if (!this.seed.failureEnvelope) throw new Error(`${this.name}: the seed documents no failure envelope`);
    const family = Math.floor(statusCode / 100);
    if (family !== 4 && family !== 5) {
      return {
        ok: false,
        errors: [`${this.name}: ${statusCode} is not an error status`],
        operation: 'failure',
      };
    }
    const key = `failure:${family}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.seed.failureEnvelope(family) as object);
      this.validators.set(key, validate);
    }
    return this.validation(validate, value, `failure envelope ${statusCode}`);
  }

  /** Throws an AssertionError unless `value` fits the named schema (see `validateSchema`). */
  assertSchema(pointer: string, value: unknown): void {
    const result = this.validateSchema(pointer, value);
    if (!result.ok) {
      throw new AssertionError({
        message: `value breaks ${pointer} of the ${this.name} contract:\n  - ${result.errors.join('\n  - ')}`,
      });
    }
  }

  private validation(validate: ValidateFunction, value: unknown, operation: string): ContractValidation {
    if (validate(value)) return { ok: true, errors: [], operation };
    return {
      ok: false,
      errors: describeSchemaErrors(validate.errors ?? [], value).map((line) => `${operation} ${line}`),
      operation,
    };
  }

  private registerFormats(schema: unknown): void {
    if (Array.isArray(schema)) {
      for (const item of schema) this.registerFormats(item);
    } else if (typeof schema === 'object' && schema !== null) {
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'format' && typeof value === 'string' && this.ajv.formats[value] === undefined) {
          this.ajv.addFormat(value, true);
        } else {
          this.registerFormats(value);
        }
      }
    }
  }

  /**
   * The seed operations a request would hit (the most specific path match; more than one only when
   * the seed itself is ambiguous), in the shape `operations()` gives.
   */
  operationsFor(method: string, requestPath: string): ContractOperation[] {
    const matched = new Set(this.matchOperations(method.toUpperCase(), requestPathSegments(requestPath)));
    return this.operations().filter((_, index) => matched.has(this.seed.operations[index] as SeedOperation));
  }

  private matchOperations(method: string, segments: string[]): SeedOperation[] {
    let best: number[] | undefined;
    let matches: SeedOperation[] = [];
    for (const operation of this.seed.operations) {
      if (operation.method !== method) continue;
      for (const pattern of operation.patterns) {
        const specificity = matchPathPattern(pattern, segments);
        if (!specificity) continue;
        const order = best ? compareSpecificity(specificity, best) : -1;
        if (order < 0) {
          best = specificity;
          matches = [operation];
        } else if (order === 0 && !matches.includes(operation)) {
          matches.push(operation);
        }
      }
    }
    return matches;
  }

  private checkOperation(operation: SeedOperation, response: ContractResponse): string[] {
    const status = response.statusCode;
    const where = `${operationName(operation)} ${status}`;
    const documented = findResponse(operation.responses, status);
    if (!documented) {
      const statuses = operation.responses.map((entry) => entry.status).join(', ');
      return [`${where}: status ${status} is not documented (documented: ${statuses || 'none'})`];
    }
    const body = documented.body;
    if (body.kind === 'unchecked') return [];
    if (body.kind === 'empty') {
      return isEmptyBody(response.body)
        ? []
        : [`${where}: expected no body, got ${describeBody(response.body)}`];
    }

    const documentedTypes = body.media.map((media) => media.mediaType).join(', ');
    const contentType = headerValue(response.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    const media = contentType
      ? matchMedia(body.media, contentType)
      : body.media.find((m) => m.mediaType === '*/*');
    if (!media) {
      return [
        contentType
          ? `${where}: Content-Type ${contentType} is not documented (documented: ${documentedTypes})`
          : `${where}: missing Content-Type (documented: ${documentedTypes})`,
      ];
    }
    if (!media.json) return [];

    const parsed = parseJsonBody(response.body);
    if (!parsed.ok) return [`${where}: ${parsed.problem}`];
    if (media.schema === undefined) return [];
    const validate = this.validatorFor(media);
    if (validate(parsed.value)) return [];
    return describeSchemaErrors(validate.errors ?? [], parsed.value).map((line) => `${where} ${line}`);
  }

  private validatorFor(media: SeedMedia): ValidateFunction {
    const key = JSON.stringify(media.schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(media.schema as object | boolean);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** How tests name an operation: its operationId, else `METHOD template`. */
export function operationName(operation: { method: string; template: string; operationId?: string }): string {
  return operation.operationId ?? `${operation.method} ${operation.template}`;
}

/** The exact status, else its `4XX`-style range, else `default`. */
function findResponse(responses: SeedResponse[], status: number): SeedResponse | undefined {
  const exact = String(status);
  const range = `${Math.floor(status / 100)}XX`;
  return (
    responses.find((response) => response.status === exact) ??
    responses.find((response) => response.status.toUpperCase() === range) ??
    responses.find((response) => response.status.toLowerCase() === 'default')
  );
}

function matchMedia(media: SeedMedia[], contentType: string): SeedMedia | undefined {
  const [type] = contentType.split('/');
  return (
    media.find((entry) => entry.mediaType === contentType) ??
    media.find((entry) => entry.mediaType === `${type}/*`) ??
    media.find((entry) => entry.mediaType === '*/*')
  );
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === null ? undefined : String(first);
  }
  return undefined;
}

function isEmptyBody(body: unknown): boolean {
  if (body === undefined || body === null || body === '') return true;
  return body instanceof Uint8Array && body.byteLength === 0;
}

function describeBody(body: unknown): string {
  if (typeof body === 'string') return `${Buffer.byteLength(body)} bytes`;
  if (body instanceof Uint8Array) return `${body.byteLength} bytes`;
  return `a ${jsonType(body)}`;
}

function parseJsonBody(body: unknown): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (isEmptyBody(body)) return { ok: false, problem: 'expected a JSON body, got an empty body' };
  const text =
    typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : null;
  if (text === null) return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, problem: `body is not valid JSON (${Buffer.byteLength(text)} bytes)` };
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function isComposite(error: ErrorObject): boolean {
  return error.keyword === 'anyOf' || error.keyword === 'oneOf';
}

/**
 * One line per violation. Alternatives (`anyOf`/`oneOf`, which is how `nullable` ends up) make ajv
 * report every failed branch; those are folded: deeper violations explain themselves, and branch type
 * mismatches at the same place become one `expected null or object` line.
 */
function describeSchemaErrors(errors: ErrorObject[], body: unknown): string[] {
  const compositePaths = new Set(errors.filter(isComposite).map((error) => error.instancePath));
  const hasDeeper = (pointer: string) => errors.some((error) => error.instancePath.startsWith(`${pointer}/`));
  const lines: string[] = [];
  for (const error of errors) {
    const pointer = error.instancePath;
    if (!compositePaths.has(pointer)) {
      lines.push(describeSchemaError(error, body));
    } else if (isComposite(error)) {
      const explained =
        hasDeeper(pointer) || errors.some((other) => other.instancePath === pointer && !isComposite(other));
      if (!explained) lines.push(describeSchemaError(error, body));
    } else if (error.keyword === 'type') {
      if (hasDeeper(pointer)) continue;
      const expected = errors
        .filter((other) => other.instancePath === pointer && other.keyword === 'type')
        .flatMap((other) => [(other.params as { type: string | string[] }).type].flat());
      const value = valueAt(body, pointer);
      lines.push(
        `at ${pointer || '/'}: expected ${[...new Set(expected)].join(' or ')}, got ${jsonType(value)} ${preview(value)}`,
      );
    } else {
      lines.push(describeSchemaError(error, body));
    }
  }
  return [...new Set(lines)];
}

/** `at /items/0/id: expected …, got …` — the JSON pointer is inside the body (`/` alone is the root). */
function describeSchemaError(error: ErrorObject, body: unknown): string {
  const params = error.params as Record<string, unknown>;
  const at = (pointer: string) => `at ${pointer || '/'}`;
  switch (error.keyword) {
    case 'required':
      return `${at(`${error.instancePath}/${escapePointer(String(params.missingProperty))}`)}: required property is missing`;
    case 'additionalProperties':
      return `${at(`${error.instancePath}/${escapePointer(String(params.additionalProperty))}`)}: property is not allowed`;
    case 'type': {
      const value = valueAt(body, error.instancePath);
      const expected = Array.isArray(params.type) ? params.type.join(' or ') : String(params.type);
      return `${at(error.instancePath)}: expected ${expected}, got ${jsonType(value)} ${preview(value)}`;
    }
    case 'enum':
      return `${at(error.instancePath)}: expected one of ${preview(params.allowedValues)}, got ${preview(valueAt(body, error.instancePath))}`;
    case 'const':
      return `${at(error.instancePath)}: expected ${preview(params.allowedValue)}, got ${preview(valueAt(body, error.instancePath))}`;
    default:
      return `${at(error.instancePath)}: ${error.message ?? error.keyword}, got ${preview(valueAt(body, error.instancePath))}`;
  }
}
