import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, type Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/** Upper bounds (seconds) of the latency histogram's buckets. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type RequestLabels = { method: string; route: string; status_code: string };

/** One (method, route template, status) series: a count, a sum and per-bucket counts. */
interface RequestSeries {
  labels: RequestLabels;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  buckets: number[];
}

/**
 * The request counter and latency histogram, kept as plain numbers per series and turned into
 * prom-client's metric shape only when scraped. prom-client's own `Counter.inc` and
 * `Histogram.observe` hash a label object into a string key on every call (even through a
 * `.labels()` child) and allocate on the way; on a route answering in tens of microseconds that
 * was a visible share of the request. Here a request costs three `Map` lookups and a few
 * additions. The output of `/metrics` is what prom-client's `Counter` and `Histogram` write for
 * the same observations: same names, help, labels (in the same order), buckets and values.
 */
class RequestSeriesTable {
  /** method → route template → status code → series. */
  readonly #byMethod = new Map<string, Map<string, Map<number, RequestSeries>>>();
  /** Series in the order they first appeared (prom-client lists them in that order too). */
  #series: RequestSeries[] = [];

  record(method: string, route: string, statusCode: number, seconds: number): void {
    let byRoute = this.#byMethod.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#byMethod.set(method, byRoute);
    }
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      byRoute.set(route, byStatus);
    }
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = {
        labels: { method, route, status_code: String(statusCode) },
        count: 0,
        sum: 0,
        buckets: new Array<number>(REQUEST_DURATION_BUCKETS.length + 1).fill(0),
      };
      byStatus.set(statusCode, series);
      this.#series.push(series);
    }
    series.count += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < REQUEST_DURATION_BUCKETS.length && seconds > REQUEST_DURATION_BUCKETS[bucket]!)
      bucket += 1;
    series.buckets[bucket]! += 1;
  }

  get series(): readonly RequestSeries[] {
    return this.#series;
  }

  reset(): void {
    this.#byMethod.clear();
    this.#series = [];
  }
}

const REQUESTS_HELP = 'HTTP requests handled, by method, route template and status code';
const DURATION_HELP = 'HTTP request latency in seconds, by method, route template and status code';

/** `http_requests_total`, as prom-client's `Counter` reports it. */
function requestCounter(table: RequestSeriesTable) {
  return {
    name: 'http_requests_total',
    help: REQUESTS_HELP,
    type: 'counter',
    aggregator: 'sum',
    labelNames: ['method', 'route', 'status_code'],
    async get() {
      return {
        name: 'http_requests_total',
        help: REQUESTS_HELP,
        type: 'counter',
        aggregator: 'sum',
        values: table.series.map((series) => ({ value: series.count, labels: series.labels })),
      };
    },
    reset: () => table.reset(),
  };
}

type HistogramValue = {
  labels: Record<string, string | number>;
  sharedLabels: RequestLabels;
  value: number;
  metricName: string;
  exemplar: null | undefined;
};

/** `http_request_duration_seconds`, as prom-client's `Histogram` reports it. */
function requestDurationHistogram(table: RequestSeriesTable) {
  const name = 'http_request_duration_seconds';
  // Same value list as prom-client's `Histogram.getForPromString`: per series its cumulative
  // buckets (the `le` label first, the series' labels shared), +Inf, then _sum and _count.
  const values = (): HistogramValue[] => {
    const out: HistogramValue[] = [];
    for (const series of table.series) {
      let cumulative = 0;
      for (let index = 0; index < REQUEST_DURATION_BUCKETS.length; index += 1) {
        cumulative += series.buckets[index]!;
        out.push({
          labels: { le: REQUEST_DURATION_BUCKETS[index]! },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: `${name}_bucket`,
          exemplar: null,
        });
      }
      out.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${name}_bucket`,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.sum,
          metricName: `${name}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${name}_count`,
          exemplar: undefined,
        },
      );
    }
    return out;
  };
  const metric = (list: unknown[]) => ({
    name,
    help: DURATION_HELP,
    type: 'histogram',
    values: list,
    aggregator: 'sum',
  });
  return {
    name,
    help: DURATION_HELP,
    type: 'histogram',
    aggregator: 'sum',
    labelNames: ['method', 'route', 'status_code'],
    /** The text exposition reads this (labels and shared labels apart, as prom-client keeps them). */
    async getForPromString() {
      return metric(values());
    },
    /** JSON (`getMetricsAsJSON`) reads this: the series' labels merged in, as prom-client's `get`. */
    async get() {
      return metric(
        values().map(({ labels, sharedLabels, ...rest }) => ({
          ...rest,
          labels: { ...labels, ...sharedLabels },
        })),
      );
    },
    reset: () => table.reset(),
  };
}

/**
 * Request counter and latency histogram labelled by route template (never by raw path,
 * which would make label cardinality unbounded), plus process metrics.
 */
export function createRequestMetrics(service: string, registry: Registry = new Registry()) {
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const table = new RequestSeriesTable();
  // prom-client's registry takes any object with its metric interface (`get`, `reset`, name, type);
  // its types name only its own classes.
  registry.registerMetric(requestCounter(table) as unknown as Histogram);
  registry.registerMetric(requestDurationHistogram(table) as unknown as Histogram);
  /** Records a finished request; Fastify has timed it (`elapsedTime`, routing to the last byte). */
  const observe = (request: FastifyRequest, reply: FastifyReply, route: string | undefined) => {
    table.record(request.method, route ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  };
  return { registry, observe };
}

/** `app.metrics` (a service adds its own metrics to it) and `GET /metrics`. */
export const metricsPlugin = fp<{ registry: Registry }>(
  async (app: FastifyInstance, { registry }) => {
    app.decorate('metrics', registry);
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'trustplane-metrics' },
);
