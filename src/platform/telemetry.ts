/**
 * The OpenTelemetry SDK, only when OTEL_TRACES_EXPORTER=otlp (config.tracing): a NodeTracerProvider
 * with a batching OTLP/HTTP (JSON) exporter, registered globally so the spans platform/tracing.ts
 * creates through @opentelemetry/api are recorded and exported. wiring.ts imports this module
 * dynamically and only then: with tracing off none of the SDK is loaded and the API stays a no-op.
 * No span is created here.
 */
import { context, diag, DiagLogLevel, propagation, ProxyTracerProvider, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config.js';
import type { Logger } from './logger.js';

export interface Telemetry {
  /** Exports the spans still buffered, then unregisters the provider. Never throws. */
  shutdown(): Promise<void>;
}

function sampler(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
  }
}

/** The SDK's own complaints (an unreachable collector, a rejected export) as warnings in facegraph's log. */
function diagLogger(logger: Logger): DiagLogger {
  const log = logger.child({ component: 'opentelemetry' });
  const warn = (message: string, ...args: unknown[]): void =>
    log.warn({ details: args.map((a) => (a instanceof Error ? a.message : a)) }, message);
  const ignore = (): void => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}

/**
 * Registers the provider (with an AsyncLocalStorage context manager, which nests the spans, and
 * the W3C trace-context propagator). Null, with a warning, if another tracer provider was
 * registered first (an SDK loaded with `node --import`): that one keeps the spans.
 */
export function startTelemetry(config: TracingConfig, logger: Logger): Telemetry | null {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] })) // OTEL_RESOURCE_ATTRIBUTES
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }));
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT… from process.env here.
  const provider = new NodeTracerProvider({
    resource,
    sampler: sampler(config),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const global = trace.getTracerProvider();
  if (!(global instanceof ProxyTracerProvider) || global.getDelegate() !== provider) {
    logger.warn('another OpenTelemetry tracer provider is registered already; OTEL_TRACES_EXPORTER=otlp is not applied');
    void provider.shutdown();
    return null;
  }
  diag.setLogger(diagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  logger.info({ serviceName: config.serviceName, sampler: config.sampler }, 'exporting OpenTelemetry traces over OTLP/HTTP');
  return {
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        logger
          .child({ component: 'opentelemetry' })
          .warn({ err: err instanceof Error ? err.message : String(err) }, 'the last spans were not exported');
      }
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}
