/**
 * Observability over HTTP on the real embedded engine: GET /metrics is valid Prometheus text
 * (checked by a small strict parser), a GraphQL detect and a REST detect move their counters by
 * exactly one, errors are counted by code, the engine gauges and stage timings exist, store calls
 * are timed; a log line written deep inside a request (in the provider, after body parsing and
 * DataLoader batching) carries that request's requestId. /metrics honours FACEGRAPH_API_KEYS and
 * FACEGRAPH_METRICS=off (on the Azure provider: no engine to load for those two checks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';
import { startApp, type App } from '../../src/wiring.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';
import { face, faceBase64 } from '../helpers/paths.js';

// ---- a strict parser of the Prometheus text exposition format (0.0.4) -------------------------

type Labels = Record<string, string>;
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Prometheus reads values (Go's strconv.ParseFloat): NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(raw: string, line: string): number {
  const lower = raw.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value in: ${line}`);
  return Number(raw);
}

function parseLabels(text: string, line: string): Labels {
  const labels: Labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name in labels) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`expected , in: ${line}`);
      i++;
    }
  }
  return labels;
}

/** Every sample; throws on anything the format does not allow, or on a sample of an undeclared family. */
function parsePrometheus(text: string): Sample[] {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (!NAME.test(m[2]!)) throw new Error(`bad metric name: ${line}`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3]!) || types.has(m[2]!)) throw new Error(`bad or repeated TYPE: ${line}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, ''), name.replace(/_total$/, '')].find((n) => types.has(n));
    if (!family) throw new Error(`sample of an undeclared metric: ${line}`);
    if (name !== family && types.get(family) !== 'histogram' && types.get(family) !== 'summary') {
      throw new Error(`suffixed sample of a ${types.get(family)}: ${line}`);
    }
    samples.push({ name, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3]!, line) });
  }
  return samples;
}

/** The value of the sample with exactly these labels; 0 when absent (a counter not yet incremented). */
function valueOf(samples: Sample[], name: string, labels: Labels): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  expect(found.length, `${name}${JSON.stringify(labels)} appears more than once`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

// ---- the app under test ----------------------------------------------------------------------

interface LogLine {
  msg?: string;
  requestId?: string;
  [key: string]: unknown;
}

const logLines: LogLine[] = [];
let app: App;
let base: string;
let dataDir: string;

/** A provider decorator that logs from inside detect: deep in the request, after body parsing and batching. */
function loggingProvider(inner: FaceProvider, logger: Logger): FaceProvider {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'detect') {
        return (...args: Parameters<FaceProvider['detect']>) => {
          logger.child({ component: 'test-probe' }).info('deep in detect');
          return target.detect(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-metrics-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_WORKERS: '1' });
  const logger = createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line) as LogLine) });
  app = await startApp(config, logger, { decorateProvider: (p) => loggingProvider(p, logger) });
  base = `http://127.0.0.1:${app.server.port}`;
});

afterAll(async () => {
  await app?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function scrape(url = `${base}/metrics`, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

async function gql(query: string, variables: Record<string, unknown>, requestId?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Record<string, unknown>;
}

const DETECT = `query MetricsDetect($b: String) { detectFaces(image: { base64: $b }) { faceId } }`;
const VERIFY = `mutation MetricsVerify($input: VerifyFacesInput!) {
  verifyFaces(input: $input) { verification { isIdentical } userErrors { code } }
}`;

describe('GET /metrics', () => {
  it('is Prometheus text with every facegraph metric family declared once', async () => {
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    parsePrometheus(text);
    for (const family of [
      'facegraph_http_requests_total',
      'facegraph_http_request_duration_seconds',
      'facegraph_graphql_operations_total',
      'facegraph_graphql_operation_duration_seconds',
      'facegraph_errors_total',
      'facegraph_overloaded_total',
      'facegraph_engine_queue_depth',
      'facegraph_engine_busy_workers',
      'facegraph_engine_stage_duration_seconds',
      'facegraph_face_registry_lookups_total',
      'facegraph_store_operation_duration_seconds',
    ]) {
      expect(text.split('\n').filter((l) => l.startsWith(`# TYPE ${family} `))).toHaveLength(1);
    }
    // The queue gauge has a value before any detection.
    expect(text).toMatch(/^facegraph_engine_queue_depth \d+$/m);
  });

  it('a GraphQL detect counts one operation, one HTTP request and one engine job', async () => {
    const before = await scrape();
    const body = await gql(DETECT, { b: faceBase64('people/obama/1.jpg') });
    expect(body.errors).toBeUndefined();
    const after = await scrape();
    const delta = (name: string, labels: Labels): number => valueOf(after, name, labels) - valueOf(before, name, labels);
    const op = { operation_name: 'MetricsDetect', operation_type: 'query', root_fields: 'detectFaces' };
    expect(delta('facegraph_graphql_operations_total', op)).toBe(1);
    expect(delta('facegraph_graphql_operation_duration_seconds_count', op)).toBe(1);
    expect(delta('facegraph_http_requests_total', { surface: 'graphql', method: 'POST', route: '/graphql', status: '200' })).toBe(1);
    expect(delta('facegraph_engine_stage_duration_seconds_count', { stage: 'total' })).toBe(1);
    expect(delta('facegraph_engine_stage_duration_seconds_count', { stage: 'queue' })).toBe(1);
    expect(delta('facegraph_engine_stage_duration_seconds_count', { stage: 'detector' })).toBe(1);
    expect(delta('facegraph_engine_stage_duration_seconds_count', { stage: 'embedding' })).toBe(1);
    expect(valueOf(after, 'facegraph_engine_queue_depth', {})).toBe(0);
  });

  it('a REST detect counts one request on its route template', async () => {
    const before = await scrape();
    const res = await fetch(`${base}/face/v1.2/detect?returnFaceId=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(face('people/obama/2.jpg')),
    });
    expect(res.status).toBe(200);
    const after = await scrape();
    const labels = { surface: 'rest', method: 'POST', route: '/face/:apiVersion/detect', status: '200' };
    expect(valueOf(after, 'facegraph_http_requests_total', labels) - valueOf(before, 'facegraph_http_requests_total', labels)).toBe(1);
    expect(after.some((s) => s.labels.route?.includes('v1.2'))).toBe(false);
  });

  it('errors are counted by code: REST (Azure code + inner code), GraphQL errors and userErrors', async () => {
    const before = await scrape();
    const bad = await fetch(`${base}/face/v1.2/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(face('people/obama/1.jpg').subarray(0, 4000)),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-ms-error-code')).toBe('InvalidImage');
    const graphqlError = await gql(DETECT, { b: 'this is not base64!!' + 'A'.repeat(2000) });
    expect((graphqlError.errors as Array<{ extensions: { code: string } }>)[0]!.extensions.code).toBe('INVALID_BASE64');
    // One known faceId (a registry hit) and one unknown (a miss, and a FACE_NOT_FOUND userError).
    const detected = (await gql(DETECT, { b: faceBase64('people/obama/1.jpg') })) as { data: { detectFaces: Array<{ faceId: string }> } };
    const known = detected.data.detectFaces[0]!.faceId;
    const verify = await gql(VERIFY, { input: { face1: { faceId: known }, face2: { faceId: '00000000-0000-4000-8000-000000000000' } } });
    expect(JSON.stringify(verify)).toContain('FACE_NOT_FOUND');
    const after = await scrape();
    const delta = (name: string, labels: Labels): number => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('facegraph_errors_total', { surface: 'rest', kind: 'error', code: 'InvalidImage', inner_code: 'CORRUPT_IMAGE' })).toBe(1);
    expect(delta('facegraph_errors_total', { surface: 'graphql', kind: 'error', code: 'INVALID_BASE64', inner_code: '' })).toBe(1);
    expect(delta('facegraph_errors_total', { surface: 'graphql', kind: 'user_error', code: 'FACE_NOT_FOUND', inner_code: '' })).toBe(1);
    expect(delta('facegraph_face_registry_lookups_total', { result: 'miss' })).toBe(1);
    expect(delta('facegraph_face_registry_lookups_total', { result: 'hit' })).toBeGreaterThanOrEqual(1);
  });

  it('times store calls by store and operation', async () => {
    const before = await scrape();
    const res = await fetch(`${base}/face/v1.2/facelists/metrics-list`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'metrics' }),
    });
    expect(res.status).toBe(200);
    const after = await scrape();
    const labels = { store: 'collections', operation: 'createCollection', outcome: 'ok' };
    const name = 'facegraph_store_operation_duration_seconds_count';
    expect(valueOf(after, name, labels) - valueOf(before, name, labels)).toBe(1);
    const route = { surface: 'rest', method: 'PUT', route: '/face/:apiVersion/facelists/:collectionId', status: '200' };
    expect(valueOf(after, 'facegraph_http_requests_total', route)).toBeGreaterThanOrEqual(1);
  });
});

describe('request ids in logs', () => {
  it('every line of a GraphQL request, the provider deep inside it included, carries its requestId', async () => {
    const requestId = `metrics-test-${Date.now()}`;
    logLines.length = 0;
    await gql(DETECT, { b: faceBase64('people/obama/3.jpg') }, requestId);
    const probe = logLines.filter((l) => l.msg === 'deep in detect');
    expect(probe).toHaveLength(1);
    expect(probe[0]!.requestId).toBe(requestId);
    expect(logLines.find((l) => l.msg === 'request')?.requestId).toBe(requestId);
    expect(logLines.every((l) => l.requestId === requestId)).toBe(true);
  });

  it('and of a REST request', async () => {
    const requestId = `metrics-rest-${Date.now()}`;
    logLines.length = 0;
    const res = await fetch(`${base}/face/v1.2/detect?returnFaceId=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-request-id': requestId },
      body: new Uint8Array(face('people/obama/3.jpg')),
    });
    expect(res.status).toBe(200);
    expect(logLines.find((l) => l.msg === 'deep in detect')?.requestId).toBe(requestId);
    expect(logLines.find((l) => l.msg === 'request')?.requestId).toBe(requestId);
  });
});

describe('/metrics access', () => {
  /** An app on the Azure provider (nothing to load) pointed at a closed port: enough for /metrics. */
  async function lightApp(env: Record<string, string>): Promise<{ app: App; url: string; dir: string }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-metrics-light-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      FACEGRAPH_DATA_DIR: dir,
      FACE_PROVIDER: 'azure',
      AZURE_FACE_ENDPOINT: 'http://127.0.0.1:9',
      AZURE_FACE_KEY: 'unused',
      ...env,
    });
    const light = await startApp(config, createLogger('silent'));
    return { app: light, url: `http://127.0.0.1:${light.server.port}/metrics`, dir };
  }

  it('with FACEGRAPH_API_KEYS, needs a key (Bearer or Ocp-Apim-Subscription-Key)', async () => {
    const { app: light, url, dir } = await lightApp({ FACEGRAPH_API_KEYS: 'k1' });
    try {
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      await scrape(url, { authorization: 'Bearer k1' });
      await scrape(url, { 'ocp-apim-subscription-key': 'k1' });
      const after = await scrape(url, { authorization: 'Bearer k1' });
      expect(valueOf(after, 'facegraph_errors_total', { surface: 'metrics', kind: 'error', code: 'UNAUTHENTICATED', inner_code: '' })).toBe(
        1,
      );
    } finally {
      await light.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('FACEGRAPH_METRICS=off does not serve it', async () => {
    const { app: light, url, dir } = await lightApp({ FACEGRAPH_METRICS: 'off' });
    try {
      expect((await fetch(url)).status).toBe(404);
    } finally {
      await light.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
