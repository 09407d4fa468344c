import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contract, openApiSeedMismatches } from '../src/testkit/index.js';

const seed = Contract.fromDocument(
  {
    openapi: '3.1.0',
    info: { title: 'seed', version: '1' },
    servers: [{ url: '/api' }],
    paths: {
      '/items': {
        get: { operationId: 'listItems', summary: 'List items', responses: { 200: { description: 'ok' } } },
      },
      '/items/{id}': {
        get: { operationId: 'getItem', summary: 'Get item', responses: { 200: { description: 'ok' } } },
      },
      '/items/recent': {
        get: { summary: 'Recent items', responses: { 200: { description: 'ok' } } },
      },
    },
  },
  { name: 'seed' },
);

const endpointDoc = Contract.fromDocument(
  {
    sections: [
      {
        id: 'things',
        endpoints: [
          { name: 'Get a thing', method: 'GET', path: '/things/{thing_id}' },
          { name: 'Stream things', method: 'gRPC', path: 'things.v1.Things/Stream' },
        ],
      },
    ],
  },
  { name: 'endpoint-doc' },
);

const op = (operationId: string | undefined, summary: string | undefined, extra: object = {}) => ({
  ...(operationId ? { operationId } : {}),
  ...(summary ? { summary } : {}),
  responses: { 200: { description: 'ok' } },
  ...extra,
});

describe('openApiSeedMismatches', () => {
  test('a document that serves the seed as written, plus marked extensions, has none', () => {
    const served = {
      paths: {
        '/api/items': {
          get: op('listItems', 'List items'),
          post: op('createItem', 'Create', { 'x-extension': true }),
        },
        // Parameter names are the service's own; the seed's literal `recent` is not a parameter value.
        '/api/items/{item_id}': { get: op('getItem', 'Get item') },
        '/api/items/recent': { get: op('recentItems', 'Recent items') },
      },
    };
    assert.deepEqual(openApiSeedMismatches(served, seed), []);
  });

  test('names each departure: a missing operation, another operationId or summary, an unmarked extra', () => {
    const served = {
      paths: {
        '/api/items': { get: op('listAllItems', 'List items'), post: op('createItem', 'Create') },
        '/api/items/{id}': { get: op('getItem', 'Get an item') },
      },
    };
    assert.deepEqual(openApiSeedMismatches(served, seed), [
      'GET /api/items: operationId "listAllItems", the seed\'s is "listItems"',
      "POST /api/items: not in the seed and not marked 'x-extension': true",
      'GET /api/items/{id}: summary "Get an item", the seed\'s is "Get item"',
      'GET /api/items/recent: in the seed, not in /openapi.json',
    ]);
  });

  test('an extension mark on an operation the seed lists is refused', () => {
    const served = {
      paths: {
        '/api/items': { get: op('listItems', 'List items', { 'x-extension': true }) },
        '/api/items/{id}': { get: op('getItem', 'Get item') },
        '/api/items/recent': { get: op('recentItems', 'Recent items') },
      },
    };
    assert.deepEqual(openApiSeedMismatches(served, seed), [
      "GET /api/items: marked 'x-extension' but the seed lists it",
    ]);
  });

  test("paths are read under the document's server path; a seed operation left out on purpose is named", () => {
    const served = {
      servers: [{ url: 'http://127.0.0.1:3000/api/' }],
      paths: {
        '/items': { get: op('listItems', 'List items') },
        '/items/{id}': { get: op('getItem', 'Get item') },
      },
    };
    assert.deepEqual(openApiSeedMismatches(served, seed), [
      'GET /api/items/recent: in the seed, not in /openapi.json',
    ]);
    assert.deepEqual(
      openApiSeedMismatches(served, seed, { undocumented: { 'GET /api/items/recent': 'served elsewhere' } }),
      [],
    );
  });

  test('the endpoint document: the summary is the endpoint name; gRPC endpoints are not HTTP operations', () => {
    assert.deepEqual(
      openApiSeedMismatches(
        { paths: { '/things/{id}': { get: op('getAThing', 'Get a thing') } } },
        endpointDoc,
      ),
      [],
    );
    assert.deepEqual(
      openApiSeedMismatches({ paths: { '/things/{id}': { get: op('getAThing', 'Thing') } } }, endpointDoc),
      ['GET /things/{id}: summary "Thing", the seed\'s is "Get a thing"'],
    );
  });
});
