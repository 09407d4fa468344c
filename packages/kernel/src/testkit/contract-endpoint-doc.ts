// Loads the non-OpenAPI seed (004: a YAML "docs generator" document with `sections[].endpoints[]`) into
// the contract model. It documents neither status codes nor schemas, so it is read like this:
//
// - Each endpoint is one operation: `method` (upper-cased; `gRPC` kept as `GRPC`) + `path`, where
//   `{param}` and `:param` segments are both parameters.
// - Statuses: any 2xx is the endpoint's success; any 4xx/5xx is an error. Nothing else is documented.
// - 2xx body: when `example_response` parses as JSON (after removing `/* */` and `//` comments and
//   `...`/`…` placeholders), a schema is derived from it: every key in the example is required with the
//   example's JSON type; numbers are not split into integer and float; arrays check their items against
//   the first example element; `[]` and `null` accept anything; `"...": "..."` members ("and more")
//   are dropped; extra keys are allowed.
//   Scalars also accept `null`: the examples show one filled-in record, while the prose documents
//   nullable fields (a root folder's `parent_id`, a link without expiry). A JSON example means an
//   `application/json` response; an example that is not JSON (Prometheus text, binary) is not checked.
// - Envelope: in a section whose examples use the `{ success, data }` envelope (the account service),
//   a 2xx must carry `success: true` and every 4xx/5xx must be the documented failure envelope
//   `{ success: false, code, message, trace_id? }` with a 4xxx/5xxx code of the same family (see the
//   "Standard response envelope" and "Error code table" overview cards). Sections without the envelope
//   (media, notification) leave error bodies undescribed, so they are not checked.

import {
  compilePathTemplate,
  type JsonSchema,
  type LoadedSeed,
  type SeedBody,
  type SeedOperation,
} from './contract-model.js';

type JsonObject = Record<string, unknown>;

const HTTP_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);
const PLACEHOLDER_KEYS = new Set(['...', '…']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a documentation example that is JSON "in spirit": comments, `...`/`…` placeholders (as array
 * elements, object members or values) and the trailing commas they leave are tolerated.
 * Returns undefined when the text is not JSON at all.
 */
export function parseLooseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    try {
      return JSON.parse(stripJsonNoise(trimmed));
    } catch {
      return undefined;
    }
  }
}

function stripJsonNoise(text: string): string {
  let output = '';
  let lastSignificant = '';
  let pendingComma = false;
  const emit = (token: string) => {
    if (
      pendingComma &&
      token !== '}' &&
      token !== ']' &&
      lastSignificant !== '{' &&
      lastSignificant !== '['
    ) {
      output += ',';
    }
    pendingComma = false;
    output += token;
    lastSignificant = token.at(-1) ?? lastSignificant;
  };

  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      emit(text.slice(index, end + 1));
      index = end + 1;
    } else if (text.startsWith('/*', index)) {
      const end = text.indexOf('*/', index + 2);
      index = end === -1 ? text.length : end + 2;
    } else if (text.startsWith('//', index)) {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end;
    } else if (text.startsWith('...', index) || char === '…') {
      index += char === '…' ? 1 : 3;
      // A placeholder in value position stands for "some value".
      if (lastSignificant === ':') emit('null');
    } else if (char === ',') {
      pendingComma = true;
      index++;
    } else if (/\s/.test(char)) {
      output += char;
      index++;
    } else {
      emit(char);
      index++;
    }
  }
  return output;
}

/** The schema an example stands for; see the file comment for the rules. */
export function schemaFromExample(example: unknown): JsonSchema {
  if (example === null) return true;
  if (Array.isArray(example)) {
    return example.length === 0 ? { type: 'array' } : { type: 'array', items: schemaFromExample(example[0]) };
  }
  if (isObject(example)) {
    const keys = Object.keys(example).filter((key) => !PLACEHOLDER_KEYS.has(key));
    return {
      type: 'object',
      required: keys,
      properties: Object.fromEntries(keys.map((key) => [key, schemaFromExample(example[key])])),
    };
  }
  if (typeof example === 'number') return { type: ['number', 'null'] };
  return { type: [typeof example, 'null'] };
}

function isEnvelope(example: unknown): example is JsonObject {
  return isObject(example) && typeof example.success === 'boolean';
}

function errorEnvelopeSchema(family: 4 | 5): JsonSchema {
  return {
    type: 'object',
    required: ['success', 'code', 'message'],
    properties: {
      success: { const: false },
      code: { type: 'integer', minimum: family * 1000, maximum: family * 1000 + 999 },
      message: { type: 'string' },
      trace_id: { type: ['string', 'null'] },
    },
  };
}

function successSchema(example: unknown, enveloped: boolean): JsonSchema {
  const schema = schemaFromExample(example);
  if (!enveloped || !isObject(schema) || !isObject(schema.properties)) return schema;
  return { ...schema, properties: { ...schema.properties, success: { const: true } } };
}

/** `auth: none` is public; any other `auth` (`JWT Bearer`, `API Key`) names the scheme; no `auth` is unstated. */
function endpointSecurity(auth: unknown): SeedOperation['security'] {
  if (typeof auth !== 'string' || auth.trim() === '') return { kind: 'unstated', schemes: [] };
  if (auth.trim().toLowerCase() === 'none') return { kind: 'public', schemes: [] };
  return { kind: 'authenticated', schemes: [auth.trim()] };
}

export interface EndpointDocOptions {
  /** Only these `sections[].id`s (one service of a multi-service document); all when omitted. */
  sections?: readonly string[];
}

export function loadEndpointDocSeed(document: JsonObject, options: EndpointDocOptions = {}): LoadedSeed {
  const allSections = (Array.isArray(document.sections) ? document.sections : []).filter(isObject);
  const wanted = options.sections;
  if (wanted) {
    const known = new Set(allSections.map((section) => String(section.id)));
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(`unknown section(s) ${unknown.join(', ')}; the document has ${[...known].join(', ')}`);
    }
  }
  const sections = wanted
    ? allSections.filter((section) => wanted.includes(String(section.id)))
    : allSections;
  const operations: SeedOperation[] = [];
  let anyEnveloped = false;

  for (const section of sections) {
    const endpoints = (Array.isArray(section.endpoints) ? section.endpoints : []).filter(isObject);
    const examples = endpoints.map((endpoint) =>
      typeof endpoint.example_response === 'string'
        ? parseLooseJson(endpoint.example_response)
        : endpoint.example_response,
    );
    const enveloped = examples.some(isEnvelope);
    anyEnveloped ||= enveloped;

    for (const [index, endpoint] of endpoints.entries()) {
      if (typeof endpoint.method !== 'string' || typeof endpoint.path !== 'string') continue;
      const method = endpoint.method.toUpperCase();
      const example = examples[index];
      const success: SeedBody =
        example === undefined
          ? { kind: 'unchecked' }
          : {
              kind: 'content',
              // Outside HTTP (gRPC) there is no Content-Type to check, only the message shape.
              media: [
                {
                  mediaType: HTTP_METHODS.has(method) ? 'application/json' : '*/*',
                  json: true,
                  schema: successSchema(example, enveloped),
                },
              ],
            };
      const failure = (family: 4 | 5): SeedBody =>
        enveloped
          ? {
              kind: 'content',
              media: [{ mediaType: 'application/json', json: true, schema: errorEnvelopeSchema(family) }],
            }
          : { kind: 'unchecked' };
      operations.push({
        method,
        template: endpoint.path,
        ...(typeof endpoint.name === 'string' ? { summary: endpoint.name } : {}),
        patterns: [compilePathTemplate(endpoint.path, { colonParams: true })],
        responses: [
          { status: '2XX', body: success },
          { status: '4XX', body: failure(4) },
          { status: '5XX', body: failure(5) },
        ],
        security: endpointSecurity(endpoint.auth),
      });
    }
  }
  return {
    operations,
    formats: new Set(),
    ...(anyEnveloped ? { failureEnvelope: errorEnvelopeSchema } : {}),
  };
}
