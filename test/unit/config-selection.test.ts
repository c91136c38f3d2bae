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
