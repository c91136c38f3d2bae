/**
 * OpenTelemetry spans through @opentelemetry/api only: without an SDK registered by the operator
 * (docs/operations.md#tracing) every call here is a no-op. Spans: the HTTP request (named after the
 * GraphQL operation or REST route), GraphQL root fields, DataLoader batches, engine detections,
 * Azure upstream calls and store calls.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('facegraph');

export { SpanKind, type Span };

/**
 * Runs `fn` in a new active span; a throw or rejection is recorded on it (status ERROR) and
 * rethrown. Works for sync and async `fn` alike.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T, kind: SpanKind = SpanKind.INTERNAL): T {
  return tracer.startActiveSpan(name, { attributes, kind }, (span) => {
    const fail = (err: unknown): never => {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      span.end();
      throw err;
    };
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      return fail(err);
    }
    if (result instanceof Promise) {
      return result.then((value: unknown) => (span.end(), value), fail) as T;
    }
    span.end();
    return result;
  });
}
