import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type BootedService, bootService, Contract, seedPath } from '@trustplane/kernel/testkit';
import { loadServices } from '../src/services.js';

const allServices = await loadServices();

/**
 * `/docs` (Swagger UI) offers "Authorize" for the credentials each seed names: the served
 * `/openapi.json` declares them in `components.securitySchemes` (the seed's own scheme, same name
 * and kind, where the seed declares it; a scheme of that kind where the seed only names it, like
 * 004's `auth: JWT Bearer`), and every operation the seed authenticates states a `security`
 * requirement made of declared schemes, so "Try it out" sends the credential. Operations the seed
 * leaves public allow anonymous calls.
 */

type Scheme = { type?: string; scheme?: string; in?: string; name?: string };
type Operation = { security?: Record<string, unknown>[] };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * Seed operations whose documented 401 is not a missing credential (the contract reads a 401 as
 * "authenticated"): they take none.
 */
const TAKES_NO_CREDENTIAL: Record<string, Record<string, string>> = {
  kyc: { 'POST /api/auth/login': 'its 401 is a wrong email or password' },
};

/** `/a/{id}/b` and `/a/:x/b` alike: parameters are placeholders. */
const normalise = (template: string) => template.replace(/\{[^}]+\}|:[A-Za-z_]\w*/g, '{}').replace(/\/$/, '');

/** 004's `auth:` labels as scheme kinds. */
function kindOfLabel(label: string): (scheme: Scheme) => boolean {
  const lower = label.toLowerCase();
  if (lower.includes('jwt') || lower.includes('bearer'))
    return (scheme) => scheme.type === 'http' && scheme.scheme?.toLowerCase() === 'bearer';
  if (lower.includes('api key'))
    return (scheme) => scheme.type === 'apiKey' || (scheme.type === 'http' && scheme.scheme === 'bearer');
  return () => true;
}

async function seedSchemes(file: string): Promise<Record<string, Scheme> | undefined> {
  const text = await readFile(file, 'utf8');
  try {
    const document = JSON.parse(text) as { components?: { securitySchemes?: Record<string, Scheme> } };
    return document.components?.securitySchemes;
  } catch {
    return undefined; // 004 is an endpoint document (YAML): its schemes are `auth:` labels.
  }
}

for (const definition of allServices) {
  describe(`${definition.name}: /docs can authorize with the seed's credentials`, () => {
    let booted: BootedService;
    let document: {
      components?: { securitySchemes?: Record<string, Scheme> };
      paths: Record<string, Record<string, Operation>>;
    };

    before(async () => {
      booted = await bootService(definition);
      const response = await booted.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(response.statusCode, 200);
      document = response.json();
    });
    after(async () => {
      await booted?.close();
    });

    test('serves Swagger UI at /docs over the same document', async () => {
      const docs = await booted.app.inject({ method: 'GET', url: '/docs/' });
      assert.ok([200, 302].includes(docs.statusCode), `GET /docs/ → ${docs.statusCode}`);
      const json = await booted.app.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(json.statusCode, 200);
      assert.deepEqual(json.json().components?.securitySchemes, document.components?.securitySchemes);
    });

    test("declares the seed's security schemes (same name and kind)", async (t) => {
      const served = document.components?.securitySchemes ?? {};
      const seedAuthenticates = Contract.forService(definition)
        .operations()
        .some((operation) => operation.security.kind === 'authenticated');
      if (!seedAuthenticates && Object.keys(served).length === 0) {
        t.diagnostic(`${definition.name}: the seed names no credential for its HTTP operations`);
        return;
      }
      assert.ok(Object.keys(served).length > 0, 'components.securitySchemes is empty: no Authorize button');
      const seed = definition.seed ? await seedSchemes(seedPath(definition)) : undefined;
      const problems: string[] = [];
      for (const [name, scheme] of Object.entries(seed ?? {})) {
        const mine = served[name];
        if (!mine) {
          problems.push(`seed scheme ${name} is not declared`);
          continue;
        }
        for (const field of ['type', 'scheme', 'in', 'name'] as const) {
          if (
            scheme[field] !== undefined &&
            String(scheme[field]).toLowerCase() !== String(mine[field]).toLowerCase()
          )
            problems.push(`${name}.${field}: seed ${scheme[field]}, served ${mine[field]}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test('states security on every operation the seed authenticates, with declared schemes', (t) => {
      const served = document.components?.securitySchemes ?? {};
      const contract = Contract.forService(definition);
      const operations = new Map<string, Operation>();
      for (const [route, item] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          if (METHODS.has(method)) operations.set(`${method.toUpperCase()} ${normalise(route)}`, operation);
        }
      }
      const problems: string[] = [];
      let checked = 0;
      for (const seedOperation of contract.operations()) {
        const key = `${seedOperation.method.toUpperCase()} ${normalise(seedOperation.template)}`;
        // Documents may carry the server's base path (`/api`) in their paths or not: the longest
        // served path that one ends with the other is the operation.
        const wanted = normalise(seedOperation.template);
        const method = `${seedOperation.method.toUpperCase()} `;
        const operation =
          operations.get(key) ??
          [...operations.entries()]
            .filter(([other]) => {
              if (!other.startsWith(method)) return false;
              const route = other.slice(method.length);
              return route.length > 1 && (route.endsWith(wanted) || wanted.endsWith(route));
            })
            .sort(([a], [b]) => b.length - a.length)[0]?.[1];
        if (!operation) continue; // not served: the seed-coverage checks report it
        const requirements = operation.security;
        const exempt = TAKES_NO_CREDENTIAL[definition.name]?.[key];
        if (exempt) {
          t.diagnostic(`${key}: no credential (${exempt})`);
          continue;
        }
        if (seedOperation.security.kind === 'authenticated') {
          checked += 1;
          // A `{}` alternative may stand beside them (a token that may also ride in the body, a
          // resource that may be public); at least one requirement must name a scheme to authorize.
          const named = (requirements ?? []).filter((entry) => Object.keys(entry).length > 0);
          if (named.length === 0) {
            problems.push(
              `${key}: the seed authenticates it, the document says ${JSON.stringify(requirements)}`,
            );
            continue;
          }
          const used = named.flatMap((entry) => Object.keys(entry));
          const unknown = used.filter((name) => !(name in served));
          if (unknown.length) problems.push(`${key}: undeclared scheme(s) ${unknown.join(', ')}`);
          for (const label of seedOperation.security.schemes) {
            const ok =
              label in served
                ? used.includes(label)
                : used.some((name) => kindOfLabel(label)(served[name] ?? {}));
            if (!ok) problems.push(`${key}: the seed's ${label} is not among ${used.join(', ')}`);
          }
        } else if (seedOperation.security.kind === 'public') {
          if (
            !(requirements ?? [{}]).some((entry) => Object.keys(entry).length === 0) &&
            requirements?.length
          )
            problems.push(
              `${key}: public in the seed, the document requires ${JSON.stringify(requirements)}`,
            );
        }
      }
      assert.deepEqual(problems, []);
      const seedAuthenticates = contract
        .operations()
        .some((operation) => operation.security.kind === 'authenticated');
      if (seedAuthenticates)
        assert.ok(checked > 0, 'no authenticated seed operation was found in the document');
      else t.diagnostic(`${definition.name}: the seed states no credential for any operation`);
    });
  });
}
