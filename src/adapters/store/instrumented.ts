/**
 * A decorator for a store port (CollectionStore, LivenessStore): every method call is timed into
 * facegraph_store_operation_duration_seconds{store, operation, outcome} and wrapped in a span
 * `store.<store>.<operation>`. Sync and async methods alike; `close` passes through untouched.
 */
import type { Metrics } from '../../platform/metrics.js';
import { secondsSince } from '../../platform/metrics.js';
import { withSpan } from '../../platform/tracing.js';

type Method = (...args: unknown[]) => unknown;

export function instrumentStore<T extends object>(target: T, store: string, metrics: Metrics): T {
  const wrapped = new Map<string, Method>();
  const wrap = (operation: string, method: Method): Method =>
    function instrumented(...args: unknown[]): unknown {
      const started = performance.now();
      const observe = (outcome: 'ok' | 'error'): void =>
        metrics.storeDuration.observe({ store, operation, outcome }, secondsSince(started));
      return withSpan(`store.${store}.${operation}`, { 'facegraph.store': store }, () => {
        let result: unknown;
        try {
          // The real object as `this`: its private members are not reachable through a Proxy.
          result = method.apply(target, args);
        } catch (err) {
          observe('error');
          throw err;
        }
        if (result instanceof Promise) {
          return result.then(
            (value: unknown) => (observe('ok'), value),
            (err: unknown) => {
              observe('error');
              throw err;
            },
          );
        }
        observe('ok');
        return result;
      });
    };
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close' || prop === 'constructor') return value;
      let method = wrapped.get(prop);
      if (!method) {
        method = wrap(prop, value as Method);
        wrapped.set(prop, method);
      }
      return method;
    },
  });
}
