import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { onRouteHookHandler } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { globalRegistry, type ZodType, z } from 'zod';

declare module 'fastify' {
  interface FastifySchema {
    /** Marks an operation the service adds beyond its seed (copied into the OpenAPI operation). */
    'x-extension'?: boolean;
  }
}

/**
 * Names a zod schema as an OpenAPI component: every route schema that uses it becomes a `$ref` to
 * `#/components/schemas/<id>`. Component ids live in zod's process-wide registry, which every
 * service in the process shares, so a name already given to another schema is refused rather than
 * silently taken over (each service's document keeps only the components it references).
 */
export function openapiComponent<T extends ZodType>(id: string, schema: T): T {
  const existing = globalRegistry._idmap.get(id);
  if (existing !== undefined && existing !== schema) {
    throw new Error(`OpenAPI component "${id}" is already registered by another schema`);
  }
  globalRegistry.add(schema, { ...globalRegistry.get(schema), id });
  return schema;
}

/**
 * A response body of raw bytes, for routes that stream a file: documented as a binary string,
 * never serialized (Fastify sends streams and buffers as they are).
 */
export const binaryBody = z.custom<Readable | Buffer>().meta({ type: 'string', format: 'binary' });

/** An operation's `security`: alternatives, each naming schemes of `components.securitySchemes`. */
export type SecurityRequirements = ReadonlyArray<Record<string, readonly string[]>>;

/**
 * An `onRoute` hook that documents the `security` of every route of the scope it is added to
 * (unless a route declares its own). Add it beside the hook that enforces the credential, so the
 * document cannot drift from what is checked.
 */
export function documentSecurity(security: SecurityRequirements): onRouteHookHandler {
  return (route) => {
    if (route.schema?.security === undefined) route.schema = { ...route.schema, security };
  };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const COMPONENT_REF = /^#\/components\/schemas\/(.+)$/;

function collectSchemaRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectSchemaRefs(item, into);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') {
      const match = COMPONENT_REF.exec(child);
      if (match?.[1]) into.add(decodeURIComponent(match[1]));
    } else collectSchemaRefs(child, into);
  }
}

/** Keeps only the component schemas the document reaches from its operations (other services' stay out). */
function pruneComponentSchemas(document: JsonObject): void {
  const components = isObject(document.components) ? document.components : undefined;
  const schemas = components && isObject(components.schemas) ? components.schemas : undefined;
  if (!components || !schemas) return;
  const reached = new Set<string>();
  collectSchemaRefs({ ...document, components: { ...components, schemas: {} } }, reached);
  const pending = [...reached];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const found = new Set<string>();
    collectSchemaRefs(schemas[name], found);
    for (const next of found) {
      if (!reached.has(next)) {
        reached.add(next);
        pending.push(next);
      }
    }
  }
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => reached.has(name)));
}

/**
 * A response documented by a bare schema gets fastify-swagger's "Default Response", or the
 * description of the component it references; the HTTP reason phrase says more.
 */
function describeResponses(document: JsonObject): void {
  const schemas = (
    isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {}
  ) as JsonObject;
  for (const item of Object.values(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!isObject(response)) continue;
        const reason = STATUS_CODES[Number(status)];
        if (!reason) continue;
        const content = isObject(response.content) ? Object.values(response.content)[0] : undefined;
        const ref = isObject(content) && isObject(content.schema) ? content.schema.$ref : undefined;
        const component = typeof ref === 'string' ? schemas[COMPONENT_REF.exec(ref)?.[1] ?? ''] : undefined;
        const inherited = isObject(component) ? component.description : undefined;
        if (response.description === 'Default Response' || response.description === inherited) {
          response.description = reason;
        }
      }
    }
  }
}

/**
 * A header a security scheme names is documented by the scheme, not again as a parameter.
 * fastify-swagger drops it only when the names match exactly, while route schemas spell
 * headers in lower case (as Node delivers them) and schemes as a client writes them.
 */
function dropCredentialHeaderParameters(document: JsonObject): void {
  const schemes = (
    isObject(document.components) && isObject(document.components.securitySchemes)
      ? document.components.securitySchemes
      : {}
  ) as JsonObject;
  const headerOf = (name: string): string | undefined => {
    const scheme = schemes[name];
    if (!isObject(scheme)) return undefined;
    if (scheme.type === 'apiKey' && scheme.in === 'header' && typeof scheme.name === 'string') {
      return scheme.name.toLowerCase();
    }
    return scheme.type === 'http' ? 'authorization' : undefined;
  };
  for (const item of Object.values(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !Array.isArray(operation.parameters)) continue;
      const requirements = Array.isArray(operation.security) ? operation.security : document.security;
      const headers = new Set<string>();
      for (const requirement of Array.isArray(requirements) ? requirements : []) {
        for (const name of Object.keys(isObject(requirement) ? requirement : {})) {
          const header = headerOf(name);
          if (header) headers.add(header);
        }
      }
      const parameters = operation.parameters.filter(
        (parameter) =>
          !(
            isObject(parameter) &&
            parameter.in === 'header' &&
            typeof parameter.name === 'string' &&
            headers.has(parameter.name.toLowerCase())
          ),
      );
      if (parameters.length > 0) operation.parameters = parameters;
      else delete operation.parameters;
    }
  }
}

/** `transformObject` for @fastify/swagger: zod components, pruned to this document, and response descriptions. */
export const finishOpenApiDocument: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input);
  pruneComponentSchemas(document as JsonObject);
  describeResponses(document as JsonObject);
  dropCredentialHeaderParameters(document as JsonObject);
  return document;
};
