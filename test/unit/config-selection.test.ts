/** Configuration validation and selection-set reading. */
import { parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { operationFaceSelection } from '../../src/api/graphql/selection.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(4000);
    expect(c.workers).toBeGreaterThanOrEqual(1);
    expect(c.fetch.allowPrivateHosts).toEqual([]);
  });

  it('names the variable and range of a bad value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ FACEGRAPH_WORKERS: '0' })).toThrow(/FACEGRAPH_WORKERS must be an integer from 1 to 64/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('issues the liveness light challenge unless FACEGRAPH_LIVENESS_LIGHT=off', () => {
    expect(loadConfig({}).liveness.lightChallenge).toBe(true);
    expect(loadConfig({ FACEGRAPH_LIVENESS_LIGHT: 'on' }).liveness.lightChallenge).toBe(true);
    expect(loadConfig({ FACEGRAPH_LIVENESS_LIGHT: 'off' }).liveness.lightChallenge).toBe(false);
    expect(() => loadConfig({ FACEGRAPH_LIVENESS_LIGHT: 'no' })).toThrow(/FACEGRAPH_LIVENESS_LIGHT must be on or off, got "no"/);
  });

  it('selects PostgreSQL for collections only with a postgres:// URL', () => {
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(loadConfig({ FACEGRAPH_DATABASE_URL: ' ' }).databaseUrl).toBeNull();
    expect(loadConfig({ FACEGRAPH_DATABASE_URL: 'postgres://u:p@db:5432/facegraph' }).databaseUrl).toBe('postgres://u:p@db:5432/facegraph');
    expect(loadConfig({ FACEGRAPH_DATABASE_URL: 'postgresql://db/facegraph' }).databaseUrl).toBe('postgresql://db/facegraph');
    expect(() => loadConfig({ FACEGRAPH_DATABASE_URL: 'mysql://db/x' })).toThrow(
      /FACEGRAPH_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(() => loadConfig({ FACEGRAPH_DATABASE_URL: 'not a url' })).toThrow(ConfigError);
  });

  it('uses Redis only with a redis:// or rediss:// URL, with a prefix and a command timeout', () => {
    expect(loadConfig({}).redis).toBeNull();
    expect(loadConfig({ FACEGRAPH_REDIS_URL: ' ' }).redis).toBeNull();
    expect(loadConfig({ FACEGRAPH_REDIS_URL: 'redis://:pw@cache:6379/2' }).redis).toEqual({
      url: 'redis://:pw@cache:6379/2',
      prefix: 'facegraph:',
      commandTimeoutMs: 2000,
    });
    const tls = loadConfig({
      FACEGRAPH_REDIS_URL: 'rediss://cache',
      FACEGRAPH_REDIS_PREFIX: 'fg-test-1:',
      FACEGRAPH_REDIS_TIMEOUT_MS: '500',
    });
    expect(tls.redis).toEqual({ url: 'rediss://cache', prefix: 'fg-test-1:', commandTimeoutMs: 500 });
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'http://cache:6379' })).toThrow(
      /FACEGRAPH_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'cache:6379' })).toThrow(ConfigError);
    // A URL that cannot be parsed is not echoed: it may hold a password.
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'redis://:se cret@' })).toThrow(/^(?!.*se cret)/);
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'redis://cache', FACEGRAPH_REDIS_PREFIX: 'has space' })).toThrow(
      /FACEGRAPH_REDIS_PREFIX/,
    );
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'redis://cache', FACEGRAPH_REDIS_PREFIX: '' })).toThrow(/FACEGRAPH_REDIS_PREFIX/);
    expect(() => loadConfig({ FACEGRAPH_REDIS_URL: 'redis://cache', FACEGRAPH_REDIS_TIMEOUT_MS: '0' })).toThrow(
      /FACEGRAPH_REDIS_TIMEOUT_MS/,
    );
  });

  it('leaves tracing off unless OTEL_TRACES_EXPORTER=otlp, and refuses exporters it does not have', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_TRACES_EXPORTER: '' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
    // Off, the other OTEL_* variables are not looked at.
    expect(loadConfig({ OTEL_TRACES_SAMPLER: 'bogus', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing).toBeNull();
    // The spec's kill switch wins.
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toEqual({
      serviceName: 'facegraph',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: ' OTLP ', OTEL_SERVICE_NAME: 'faces-eu' }).tracing?.serviceName).toBe('faces-eu');
    for (const exporter of ['zipkin', 'jaeger', 'console', 'otlp,console']) {
      expect(() => loadConfig({ OTEL_TRACES_EXPORTER: exporter })).toThrow(ConfigError);
      expect(() => loadConfig({ OTEL_TRACES_EXPORTER: exporter })).toThrow(
        `OTEL_TRACES_EXPORTER must be otlp or none (unset: none, tracing off), got "${exporter}"`,
      );
    }
  });

  it('with tracing on, reads the sampler and refuses an OTLP protocol other than http/json', () => {
    const on = { OTEL_TRACES_EXPORTER: 'otlp' };
    expect(loadConfig({ ...on, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing).toMatchObject({
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    expect(loadConfig({ ...on, OTEL_TRACES_SAMPLER: 'TraceIdRatio' }).tracing).toMatchObject({ sampler: 'traceidratio', samplerRatio: 1 });
    expect(loadConfig({ ...on, OTEL_TRACES_SAMPLER: 'always_off' }).tracing?.sampler).toBe('always_off');
    expect(() => loadConfig({ ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/,
    );
    expect(() => loadConfig({ ...on, OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER must be one of always_on, /);
    expect(loadConfig({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing).not.toBeNull();
    expect(() => loadConfig({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL must be http\/json or unset/,
    );
    expect(() => loadConfig({ ...on, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http\/json or unset/,
    );
  });

  it('serves the demo page by default in development only; FACEGRAPH_DEMO decides either way', () => {
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).demo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', FACEGRAPH_DEMO: 'on' }).demo).toBe(true);
    expect(loadConfig({ FACEGRAPH_DEMO: 'off' }).demo).toBe(false);
    expect(() => loadConfig({ FACEGRAPH_DEMO: 'yes' })).toThrow(/FACEGRAPH_DEMO must be on or off, got "yes"/);
  });

  it('parses the private-URL allow-list', () => {
    expect(loadConfig({ FACEGRAPH_URL_ALLOW_PRIVATE: ' 127.0.0.1, localhost ,' }).fetch.allowPrivateHosts).toEqual([
      '127.0.0.1',
      'localhost',
    ]);
  });
});

describe('operationFaceSelection', () => {
  const select = (doc: string) => {
    const ast = parse(doc);
    const op = ast.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
    const fragments = Object.fromEntries(
      ast.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((f) => [f.name.value, f]),
    );
    return operationFaceSelection(op, fragments, new Set(['detectFaces']));
  };

  it('finds nothing when only ids and rectangles are selected', () => {
    const s = select('{ detectFaces(image: {}) { faceId faceRectangle { top } } }');
    expect(s.landmarks).toBe(false);
    expect([...s.attributes]).toEqual([]);
  });

  it('unions landmarks and attributes across aliases, fragments and inline fragments', () => {
    const s = select(`{
      a: detectFaces(image: {}) { ...F }
      b: detectFaces(image: {}) { ... on Face { attributes { blur { value } __typename } } }
      c: capabilities { provider }
    }
    fragment F on Face { landmarks { noseTip { x } } attributes { headPose { yaw } } }`);
    expect(s.landmarks).toBe(true);
    expect([...s.attributes].sort()).toEqual(['blur', 'headPose']);
  });
});
