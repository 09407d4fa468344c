// Loads an OpenAPI 3.0 / 3.1 document into the contract model. Response schemas become JSON Schema
// 2020-12 (validated by ajv's 2020 dialect): OpenAPI-only keywords are dropped or converted, and every
// `$ref` is rewritten to point into one shared schema (`$defs`) that ajv resolves, cycles included.

import {
  compilePathTemplate,
  isJsonMediaType,
  type JsonSchema,
  type LoadedSeed,
  type SeedBody,
  type SeedMedia,
  type SeedOperation,
  type SeedResponse,
  type SeedSecurity,
} from './contract-model.js';
import { trimChar } from '../text/trim-char.js';

type JsonObject = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Annotations JSON Schema does not know; ajv's strict mode would reject them.
const OPENAPI_ONLY_KEYWORDS = new Set(['nullable', 'example', 'xml', 'discriminator', 'externalDocs']);
const SCHEMA_MAP_KEYWORDS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]);
const SCHEMA_KEYWORDS = new Set([
  'additionalProperties',
  'items',
  'additionalItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contentSchema',
]);
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const COMPOSITION_KEYWORDS = ['$ref', 'allOf', 'anyOf', 'oneOf'];

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolvePointer(document: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`external $ref is not supported: ${ref}`);
  const path = ref.slice(1);
  if (path === '') return document;
  let current: unknown = document;
  for (const raw of path.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(current) && !Array.isArray(current)) throw new Error(`unresolvable $ref ${ref}`);
    current = (current as JsonObject)[key];
    if (current === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return current;
}

class SchemaConverter {
  readonly defs: Record<string, JsonSchema> = {};
  readonly formats = new Set<string>();
  private readonly defNames = new Map<string, string>();

  constructor(
    private readonly document: JsonObject,
    private readonly openApi30: boolean,
    readonly rootId: string,
  ) {}

  convert(schema: unknown): JsonSchema {
    if (typeof schema === 'boolean') return schema;
    if (!isObject(schema)) throw new Error(`not a schema: ${JSON.stringify(schema)}`);

    // OpenAPI 3.0: siblings of `$ref` are ignored; `nullable` beside it is still honoured, being common intent.
    if (this.openApi30 && typeof schema.$ref === 'string') {
      const reference = { $ref: this.refTo(schema.$ref) };
      return schema.nullable === true ? { anyOf: [{ type: 'null' }, reference] } : reference;
    }

    const converted: JsonObject = {};
    for (const [key, value] of Object.entries(schema)) {
      if (OPENAPI_ONLY_KEYWORDS.has(key) || key.startsWith('x-')) continue;
      if (key === '$ref' && typeof value === 'string') converted.$ref = this.refTo(value);
      else if (SCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) {
        converted[key] = Object.fromEntries(
          Object.entries(value).map(([name, sub]) => [name, this.convert(sub)]),
        );
      } else if (key === 'items' && Array.isArray(value))
        converted.prefixItems = value.map((sub) => this.convert(sub));
      else if (SCHEMA_KEYWORDS.has(key)) converted[key] = this.convert(value);
      else if (SCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(value))
        converted[key] = value.map((sub) => this.convert(sub));
      else converted[key] = value;
    }
    if (typeof converted.format === 'string') this.formats.add(converted.format);
    convertBooleanExclusiveBound(converted, 'exclusiveMinimum', 'minimum');
    convertBooleanExclusiveBound(converted, 'exclusiveMaximum', 'maximum');
    dropWriteOnlyFromRequired(converted);
    return schema.nullable === true ? allowNull(converted) : converted;
  }

  private refTo(ref: string): string {
    let name = this.defNames.get(ref);
    if (name === undefined) {
      name = this.uniqueDefName(ref);
      this.defNames.set(ref, name);
      // Reserve the name before converting so that a cycle back to it ends here.
      this.defs[name] = true;
      this.defs[name] = this.convert(resolvePointer(this.document, ref));
    }
    return `${this.rootId}#/$defs/${encodeURIComponent(name)}`;
  }

  private uniqueDefName(ref: string): string {
    const base = (ref.replace(/^#\/components\/schemas\//, '').replace(/^#\/?/, '') || 'root').replace(
      /[^A-Za-z0-9._-]/g,
      '_',
    );
    let name = base;
    for (let suffix = 2; name in this.defs; suffix++) name = `${base}_${suffix}`;
    return name;
  }
}

/** OpenAPI 3.0 writes `exclusiveMinimum: true` beside `minimum`; JSON Schema wants the bound itself. */
function convertBooleanExclusiveBound(schema: JsonObject, exclusiveKey: string, boundKey: string): void {
  const exclusive = schema[exclusiveKey];
  if (typeof exclusive !== 'boolean') return;
  delete schema[exclusiveKey];
  if (exclusive && typeof schema[boundKey] === 'number') {
    schema[exclusiveKey] = schema[boundKey];
    delete schema[boundKey];
  }
}

/** A `writeOnly` property is never sent in a response, so a response need not carry it even if required. */
function dropWriteOnlyFromRequired(schema: JsonObject): void {
  const properties = schema.properties;
  if (!Array.isArray(schema.required) || !isObject(properties)) return;
  schema.required = schema.required.filter((name) => {
    const property = properties[name as string];
    return !(isObject(property) && property.writeOnly === true);
  });
}

/** `nullable: true` as JSON Schema: a `null` type (and enum member), or `anyOf` null around a composition. */
function allowNull(schema: JsonObject): JsonSchema {
  if (COMPOSITION_KEYWORDS.some((key) => key in schema) || 'const' in schema) {
    return { anyOf: [{ type: 'null' }, schema] };
  }
  const nullable = { ...schema };
  if (typeof nullable.type === 'string') nullable.type = [nullable.type, 'null'];
  else if (Array.isArray(nullable.type) && !nullable.type.includes('null'))
    nullable.type = [...nullable.type, 'null'];
  if (Array.isArray(nullable.enum) && !nullable.enum.includes(null)) nullable.enum = [...nullable.enum, null];
  return nullable;
}

function serverBasePaths(document: JsonObject): string[] {
  const servers = Array.isArray(document.servers) ? document.servers : [];
  const basePaths = new Set<string>();
  for (const server of servers) {
    if (!isObject(server) || typeof server.url !== 'string') continue;
    const variables = isObject(server.variables) ? server.variables : {};
    const url = server.url.replace(/\{([^{}]+)\}/g, (_, name: string) => {
      const variable = variables[name];
      return isObject(variable) && typeof variable.default === 'string' ? variable.default : 'x';
    });
    try {
      basePaths.add(trimChar(new URL(url, 'http://base.invalid').pathname, '/', 'end'));
    } catch {
      basePaths.add('');
    }
  }
  return basePaths.size > 0 ? [...basePaths] : [''];
}

function joinPath(basePath: string, path: string): string {
  if (basePath === '') return path;
  return path === '/' ? basePath : `${basePath}${path}`;
}

function resolveObject(document: JsonObject, value: unknown): JsonObject {
  let current = value;
  // Response objects may chain `$ref`s; a bound keeps a self-reference from looping.
  for (let depth = 0; isObject(current) && typeof current.$ref === 'string' && depth < 20; depth++) {
    current = resolvePointer(document, current.$ref);
  }
  if (!isObject(current)) throw new Error(`expected an object, got ${JSON.stringify(current)}`);
  return current;
}

function isErrorStatus(status: string): boolean {
  return /^[45]/.test(status) || status.toLowerCase() === 'default';
}

export function loadOpenApiSeed(document: JsonObject, rootId: string): LoadedSeed {
  const version = String(document.openapi ?? '');
  if (!/^3\.[01]\./.test(version)) throw new Error(`unsupported OpenAPI version ${JSON.stringify(version)}`);
  const converter = new SchemaConverter(document, version.startsWith('3.0'), rootId);
  const basePaths = serverBasePaths(document);
  const paths = isObject(document.paths) ? document.paths : {};
  const operations: SeedOperation[] = [];

  for (const [path, rawPathItem] of Object.entries(paths)) {
    const pathItem = resolveObject(document, rawPathItem);
    const patterns = basePaths.map((basePath) => compilePathTemplate(joinPath(basePath, path)));
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation)) continue;
      const responses = isObject(operation.responses) ? operation.responses : {};
      const security = operationSecurity(operation.security ?? document.security, Object.keys(responses));
      operations.push({
        method: method.toUpperCase(),
        template: joinPath(basePaths[0] ?? '', path),
        ...(typeof operation.operationId === 'string' ? { operationId: operation.operationId } : {}),
        ...(typeof operation.summary === 'string' ? { summary: operation.summary } : {}),
        patterns,
        responses: Object.entries(responses).map(
          ([status, rawResponse]): SeedResponse => ({
            status,
            body: loadBody(document, converter, status, resolveObject(document, rawResponse)),
          }),
        ),
        security,
      });
    }
  }

  return {
    operations,
    sharedSchema: { $id: rootId, $defs: converter.defs },
    formats: converter.formats,
    schemaAt(pointer) {
      resolvePointer(document, pointer);
      // Its own converter and id, so that the shared schema already given to ajv stays untouched.
      const id = `${rootId}:schema:${encodeURIComponent(pointer)}`;
      const own = new SchemaConverter(document, version.startsWith('3.0'), id);
      const root = own.convert({ $ref: pointer });
      return { $id: id, $defs: own.defs, ...(root as object) };
    },
  };
}

/**
 * An operation is authenticated when its effective security requirement names a scheme and offers
 * no empty (anonymous) alternative, or when it documents a 401 (credentials the seed carries outside
 * `security`: a cookie, a token in the body); public when the requirement is explicitly empty;
 * unstated otherwise.
 */
function operationSecurity(requirement: unknown, statuses: string[]): SeedSecurity {
  const requirements = Array.isArray(requirement) ? requirement.filter(isObject) : undefined;
  const schemes = [...new Set((requirements ?? []).flatMap((entry) => Object.keys(entry)))];
  const anonymous =
    requirements !== undefined &&
    (requirements.length === 0 || requirements.some((entry) => Object.keys(entry).length === 0));
  if (requirements !== undefined && !anonymous) return { kind: 'authenticated', schemes };
  if (statuses.includes('401')) return { kind: 'authenticated', schemes };
  return { kind: requirements === undefined ? 'unstated' : 'public', schemes: [] };
}

function loadBody(
  document: JsonObject,
  converter: SchemaConverter,
  status: string,
  response: JsonObject,
): SeedBody {
  const content = isObject(response.content) ? response.content : undefined;
  if (content === undefined || Object.keys(content).length === 0) {
    // Error statuses documented without content (e.g. a bare `409 Email already in use`) still carry
    // a body in practice; the seed just does not describe it.
    return isErrorStatus(status) ? { kind: 'unchecked' } : { kind: 'empty' };
  }
  const media = Object.entries(content).map(([rawType, rawMedia]): SeedMedia => {
    const mediaType = rawType.split(';')[0]?.trim().toLowerCase() ?? rawType;
    const json = isJsonMediaType(mediaType);
    const mediaObject = resolveObject(document, rawMedia);
    return json && mediaObject.schema !== undefined
      ? { mediaType, json, schema: converter.convert(mediaObject.schema) }
      : { mediaType, json };
  });
  return { kind: 'content', media };
}
