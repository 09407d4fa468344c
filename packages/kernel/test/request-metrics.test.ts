import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { createRequestMetrics, REQUEST_DURATION_BUCKETS } from '../src/http/metrics.js';
import { testHttpApp } from './support/test-http-app.js';

// The request counter and histogram are kept as plain numbers and published at scrape time
// (src/http/metrics.ts). What `/metrics` shows must be what prom-client's own Counter and
// Histogram show for the same requests: these tests feed both the same observations.

type Observation = [method: string, route: string | undefined, status: number, elapsedMs: number];

const OBSERVATIONS: Observation[] = [
  ['GET', '/health', 200, 0.4],
  ['GET', '/health', 200, 7.5],
  ['GET', '/media/:id', 200, 30],
  ['GET', '/media/:id', 404, 5],
  ['POST', '/upload', 201, 1200],
  ['GET', undefined, 404, 0.2],
  ['GET', '/health', 200, 10],
  ['GET', '/media/:id', 200, 25_000],
  ['POST', '/upload', 413, 2.5],
  ['GET', '/health', 500, 0.05],
];

/** The same requests recorded by prom-client's own classes, as the kernel did before. */
function referenceRegistry(observations: Observation[]): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'test' });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [registry],
  });
  for (const [method, route, status, elapsedMs] of observations) {
    const labels = { method, route: route ?? 'unmatched', status_code: String(status) };
    requests.inc(labels);
    duration.observe(labels, elapsedMs / 1000);
  }
  return registry;
}

function kernelRegistry(observations: Observation[]) {
  const metrics = createRequestMetrics('test');
  for (const [method, route, statusCode, elapsedTime] of observations) {
    metrics.observe(
      { method } as unknown as FastifyRequest,
      { statusCode, elapsedTime } as unknown as FastifyReply,
      route,
    );
  }
  return metrics.registry;
}

const requestLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => /^(# (HELP|TYPE) )?http_request/.test(line))
    .join('\n');

describe('request metrics', () => {
  test('the text exposition is byte for byte what prom-client writes for the same requests', async () => {
    const expected = requestLines(await referenceRegistry(OBSERVATIONS).metrics());
    const actual = requestLines(await kernelRegistry(OBSERVATIONS).metrics());
    assert.ok(expected.includes('http_request_duration_seconds_bucket{le="0.005"'), expected);
    assert.equal(actual, expected);
  });

  test('the JSON form (getMetricsAsJSON) matches too, and a reset empties both', async () => {
    const pick = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).filter((metric) => metric.name.startsWith('http_request'));
    const reference = referenceRegistry(OBSERVATIONS);
    const kernel = kernelRegistry(OBSERVATIONS);
    assert.deepEqual(await pick(kernel), await pick(reference));
    reference.resetMetrics();
    kernel.resetMetrics();
    assert.deepEqual(await pick(kernel), await pick(reference));
    assert.equal(requestLines(await kernel.metrics()), requestLines(await reference.metrics()));
  });

  test('GET /metrics counts served requests by route template', async () => {
    const app = await testHttpApp();
    app.get('/items/:id', async () => ({ ok: true }));
    for (const id of ['a', 'b', 'c']) await app.inject({ method: 'GET', url: `/items/${id}` });
    await app.inject({ method: 'GET', url: '/nowhere' });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    await app.close();
    assert.match(
      text,
      /^http_requests_total\{method="GET",route="\/items\/:id",status_code="200",service="test"\} 3$/m,
    );
    assert.match(
      text,
      /^http_requests_total\{method="GET",route="unmatched",status_code="404",service="test"\} 1$/m,
    );
    assert.match(
      text,
      /^http_request_duration_seconds_count\{service="test",method="GET",route="\/items\/:id",status_code="200"\} 3$/m,
    );
    assert.doesNotMatch(text, /nowhere/);
  });
});
