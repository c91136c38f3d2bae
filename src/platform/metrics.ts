/**
 * Every Prometheus metric facegraph exports, declared once, on a Registry of its own (never
 * prom-client's global one, so several apps can run in one process, as the tests do). The edges,
 * use cases and adapters are handed this object and only observe; GET /metrics renders it.
 *
 * Label values are bounded: REST and liveness routes are route templates, GraphQL root fields are
 * schema fields, and the client-chosen GraphQL operation names go through `bounded` (the first
 * MAX_DISTINCT_VALUES distinct names, then "other"). The list is in docs/operations.md#metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Distinct values kept per client-influenced label (GraphQL operation names, root-field sets); later ones read "other". */
export const MAX_DISTINCT_VALUES = 100;
const MAX_LABEL_LENGTH = 200;

/** Request latencies: 5 ms to 60 s (a detection is ~20–200 ms; an upstream call may be seconds). */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Engine stages and store calls: 0.1 ms to 10 s. */
const FAST_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export type Surface = 'graphql' | 'rest' | 'liveness' | 'probe' | 'metrics' | 'static' | 'other';

/** Engine stages timed by the pool (queue, total) and by the worker (the models). */
export type EngineStage = 'queue' | 'total' | 'detector' | 'landmarks' | 'quality' | 'embedding';

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag, GC) with the facegraph_ prefix. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly seen = new Map<string, Set<string>>();

  readonly httpRequests = new Counter({
    name: 'facegraph_http_requests_total',
    help: 'HTTP requests answered, by surface, method, route template and status code.',
    labelNames: ['surface', 'method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'facegraph_http_request_duration_seconds',
    help: 'HTTP request latency, from the first byte read to the last byte written.',
    labelNames: ['surface', 'method', 'route'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'facegraph_graphql_operations_total',
    help: 'GraphQL operations executed or refused, by operation name and root fields (sorted, comma-separated).',
    labelNames: ['operation_name', 'operation_type', 'root_fields'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'facegraph_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency, from the parsed request to the response being sent.',
    labelNames: ['operation_name', 'operation_type', 'root_fields'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'facegraph_errors_total',
    help:
      'Errors answered, by surface and code: GraphQL extensions.code and userErrors codes; REST the Azure code ' +
      '(inner_code: facegraph code in innererror); liveness client API its error code.',
    labelNames: ['surface', 'kind', 'code', 'inner_code'] as const,
    registers: [this.registry],
  });

  readonly overloaded = new Counter({
    name: 'facegraph_overloaded_total',
    help: 'Work refused with OVERLOADED, by where: the engine queue or the liveness attempt limit.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly engineQueueDepth = new Gauge({
    name: 'facegraph_engine_queue_depth',
    help: 'Images waiting for an engine worker (not counting the ones being processed).',
    registers: [this.registry],
  });

  readonly engineBusyWorkers = new Gauge({
    name: 'facegraph_engine_busy_workers',
    help: 'Engine workers processing an image.',
    registers: [this.registry],
  });

  readonly engineStage = new Histogram({
    name: 'facegraph_engine_stage_duration_seconds',
    help:
      'Engine time per detection request: queue (waiting for a worker), total (worker round trip), and, as the ' +
      'worker reports them, detector (YuNet, all passes), landmarks, quality and embedding.',
    labelNames: ['stage'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly engineJobs = new Counter({
    name: 'facegraph_engine_jobs_total',
    help: 'Detection jobs run by the engine workers, by outcome (ok, error, worker_died).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly registryLookups = new Counter({
    name: 'facegraph_face_registry_lookups_total',
    help: 'faceId registry reads: hit (valid face) or miss (expired, evicted or unknown).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly registrySize = new Gauge({
    name: 'facegraph_face_registry_faces',
    help: 'Faces held by the faceId registry.',
    registers: [this.registry],
  });

  readonly storeDuration = new Histogram({
    name: 'facegraph_store_operation_duration_seconds',
    help: 'Store port calls (collections, liveness) by store, operation and outcome (ok / error).',
    labelNames: ['store', 'operation', 'outcome'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'facegraph_upstream_request_duration_seconds',
    help: 'Calls to the Azure AI Face upstream (retries included) by operation and outcome (ok or the facegraph error code).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'facegraph_' });
  }

  /**
   * A client-influenced label value, bounded in length and in distinct values per `label`: the
   * first MAX_DISTINCT_VALUES values are kept, later ones read "other". Empty reads "anonymous".
   */
  bounded(label: string, raw: string | null | undefined): string {
    if (!raw) return 'anonymous';
    const value = raw.slice(0, MAX_LABEL_LENGTH);
    let values = this.seen.get(label);
    if (!values) this.seen.set(label, (values = new Set()));
    if (values.has(value)) return value;
    if (values.size >= MAX_DISTINCT_VALUES) return 'other';
    values.add(value);
    return value;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Seconds since a `performance.now()` reading. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
