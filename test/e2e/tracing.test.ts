/**
 * OpenTelemetry export on the real embedded engine, through the real SDK and OTLP/HTTP exporter:
 * a loopback HTTP server plays the collector (POST /v1/traces, OTLP JSON). With
 * OTEL_TRACES_EXPORTER=otlp one GraphQL detect yields the request span (named after the
 * operation), the root field's span and engine.detect in one trace, engine.detect under the
 * request; they arrive when the app stops (the batch delay is set far beyond the test, so only
 * the shutdown flush can deliver them). Without the switch nothing is registered or sent.
 *
 * The exporter reads OTEL_EXPORTER_OTLP_* from process.env when it is constructed (in startApp),
 * so those are set on process.env here and restored afterwards; the switch itself is read by
 * loadConfig from the env it is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { startApp } from '../../src/wiring.js';
import { faceBase64 } from '../helpers/paths.js';

// ---- the collector ---------------------------------------------------------------------------

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans: Array<{ spans?: OtlpSpan[] }> }>;
}

/** OTLP SpanKind in the wire format: SPAN_KIND_SERVER. */
const SPAN_KIND_SERVER = 2;

const received: Array<{ contentType: string | undefined; body: OtlpExport }> = [];
let collector: Server;
let collectorUrl: string;

function spans(): OtlpSpan[] {
  return received.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans ?? [])));
}

const OTEL_ENV = {
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  // Far beyond the test: spans reach the collector only through the flush on App.stop.
  OTEL_BSP_SCHEDULE_DELAY: '600000',
};
const savedEnv = new Map<string, string | undefined>();

function setProcessEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      received.push({ contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  setProcessEnv({ ...OTEL_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl });
});

afterAll(async () => {
  // The API's globals live on globalThis: leave none behind for the next file in this worker.
  trace.disable();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await new Promise<void>((resolve) => collector?.close(() => resolve()));
});

const DETECT = `query TracingDetect($b: String) { detectFaces(image: { base64: $b }) { faceId } }`;

describe('OTEL_TRACES_EXPORTER=otlp', () => {
  it('exports the request, root field and engine spans of one detect as one trace, flushed on stop', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-tracing-'));
    try {
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FACEGRAPH_DATA_DIR: dataDir,
        FACEGRAPH_WORKERS: '1',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_SERVICE_NAME: 'facegraph-tracing-test',
        ...OTEL_ENV,
      });
      expect(config.tracing).toEqual({ serviceName: 'facegraph-tracing-test', sampler: 'parentbased_always_on', samplerRatio: 1 });
      const app = await startApp(config, createLogger('silent'));
      let stopped = false;
      try {
        const res = await fetch(`http://127.0.0.1:${app.server.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: DETECT, variables: { b: faceBase64('people/obama/1.jpg') } }),
        });
        const body = (await res.json()) as { data?: { detectFaces: unknown[] }; errors?: unknown };
        expect(body.errors).toBeUndefined();
        expect(body.data?.detectFaces).toHaveLength(1);
        // Batched, not yet sent: the batch delay is 10 minutes.
        expect(received).toHaveLength(0);
        await app.stop();
        stopped = true;
      } finally {
        if (!stopped) await app.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    expect(received.length).toBeGreaterThan(0);
    expect(received.every((e) => e.contentType?.startsWith('application/json'))).toBe(true);
    const serviceNames = received.flatMap((e) =>
      e.body.resourceSpans.map((r) => r.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue),
    );
    expect(new Set(serviceNames)).toEqual(new Set(['facegraph-tracing-test']));

    const all = spans();
    const named = (name: string): OtlpSpan => {
      const found = all.filter((s) => s.name === name);
      expect(found, `spans named ${name} among ${all.map((s) => s.name).join(', ')}`).toHaveLength(1);
      return found[0]!;
    };
    const request = named('query TracingDetect');
    const field = named('graphql.resolve Query.detectFaces');
    const engine = named('engine.detect');
    expect(request.kind).toBe(SPAN_KIND_SERVER);
    expect(request.parentSpanId ?? '').toBe('');
    expect(request.attributes?.find((a) => a.key === 'http.route')?.value.stringValue).toBe('/graphql');
    expect(request.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([request.traceId, field.traceId, engine.traceId])).toEqual(new Set([request.traceId]));

    // engine.detect's parents, one by one, reach the request span (through the field and the DataLoader batch).
    const byId = new Map(all.map((s) => [s.spanId, s]));
    const chain: string[] = [];
    for (let s: OtlpSpan | undefined = engine; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s.name);
    expect(chain).toEqual(['engine.detect', 'loader.detections', 'graphql.resolve Query.detectFaces', 'query TracingDetect']);
    // The root field span is under the request too.
    expect(field.parentSpanId).toBe(request.spanId);
  });
});

describe('without OTEL_TRACES_EXPORTER', () => {
  it('registers nothing and sends nothing', async () => {
    received.length = 0;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-tracing-off-'));
    // The Azure provider (pointed at a closed port): nothing to load, enough to serve /healthz.
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      FACEGRAPH_DATA_DIR: dataDir,
      FACE_PROVIDER: 'azure',
      AZURE_FACE_ENDPOINT: 'http://127.0.0.1:9',
      AZURE_FACE_KEY: 'unused',
    });
    expect(config.tracing).toBeNull();
    const app = await startApp(config, createLogger('silent'));
    try {
      expect((await fetch(`http://127.0.0.1:${app.server.port}/healthz`)).status).toBe(200);
      // The API's no-op tracer: nothing recorded, an invalid (all-zero) trace id.
      const span = trace.getTracer('probe').startSpan('probe');
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext().traceId).toBe('0'.repeat(32));
      span.end();
    } finally {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(received).toHaveLength(0);
  });
});
