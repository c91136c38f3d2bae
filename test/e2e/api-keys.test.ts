/**
 * FACEGRAPH_API_KEYS on the real server: GraphQL, the Azure-compatible REST surface and the
 * session-image route refuse requests without a valid key; the liveness client routes keep
 * their session token; the Sandbox landing page stays reachable; a GET persisted query is an
 * operation like any other.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceBase64 } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KEYS = ['first-key-0123456789', 'second-key-abcdef'];
let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ FACEGRAPH_API_KEYS: KEYS.join(',') }, undefined, 'embedded');
  base = server.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await server?.stop();
});

const QUERY = '{ capabilities { provider } }';

describe('API keys on GraphQL', () => {
  it('no key or a wrong key is 401 UNAUTHENTICATED, and nothing runs', async () => {
    for (const headers of <Array<Record<string, string>>>[
      {},
      { 'ocp-apim-subscription-key': 'wrong' },
      { authorization: 'Bearer wrong' },
      { authorization: KEYS[0]! },
    ]) {
      const res = await server.gql(QUERY, undefined, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data).toBeUndefined();
    }
  });

  it('either configured key works, as Ocp-Apim-Subscription-Key or as a Bearer token', async () => {
    for (const headers of <Array<Record<string, string>>>[
      { 'ocp-apim-subscription-key': KEYS[0]! },
      { authorization: `Bearer ${KEYS[1]}` },
    ]) {
      const res = await server.gql<{ capabilities: { provider: string } }>(QUERY, undefined, headers);
      expect(res.status).toBe(200);
      expect(res.data!.capabilities.provider).toBe('embedded');
    }
  });

  it('a detection with a key works; the same without a key registers nothing', async () => {
    const before = server.app.services.registry.size;
    const q = 'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }';
    const denied = await server.gql(q, { b: faceBase64('people/obama/1.jpg') });
    expect(denied.status).toBe(401);
    expect(server.app.services.registry.size).toBe(before);
    const ok = await server.gql<{ detectFaces: Array<{ faceId: string }> }>(
      q,
      { b: faceBase64('people/obama/1.jpg') },
      { 'ocp-apim-subscription-key': KEYS[1]! },
    );
    expect(ok.data!.detectFaces).toHaveLength(1);
  });

  it('a GET operation, including an automatic persisted query, needs a key', async () => {
    const hash = createHash('sha256').update(QUERY).digest('hex');
    const extensions = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
    // Register the persisted query with a key, then try to run it without one.
    const registered = await fetch(`${server.url}?query=${encodeURIComponent(QUERY)}&extensions=${extensions}`, {
      headers: { 'apollo-require-preflight': '1', 'ocp-apim-subscription-key': KEYS[0]! },
    });
    expect(registered.status).toBe(200);
    for (const url of [`${server.url}?extensions=${extensions}`, `${server.url}?query=${encodeURIComponent(QUERY)}`]) {
      const res = await fetch(url, { headers: { 'apollo-require-preflight': '1', accept: 'text/html,application/json' } });
      expect(res.status, url).toBe(401);
      expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe(
        'UNAUTHENTICATED',
      );
    }
  });

  it('the Sandbox landing page stays reachable in a browser', async () => {
    const res = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('API keys on the other routes', () => {
  it("the REST surface answers Azure's 401 body without a key", async () => {
    const res = await fetch(`${base}/face/v1.2/group`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"faceIds":[]}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('401');
  });

  it('session images need a key; the liveness client API keeps its session token', async () => {
    const image = await fetch(`${base}/liveness/session-images/${'A'.repeat(32)}`);
    expect(image.status).toBe(401);
    const withKey = await fetch(`${base}/liveness/session-images/${'A'.repeat(32)}`, {
      headers: { 'ocp-apim-subscription-key': KEYS[0]! },
    });
    expect(withKey.status).toBe(404);

    const created = await server.gql<{ createLivenessSession: { session: { authToken: string } } }>(
      'mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "d" }) { session { authToken } } }',
      undefined,
      { authorization: `Bearer ${KEYS[0]}` },
    );
    const token = created.data!.createLivenessSession.session.authToken;
    const client = await fetch(`${base}/liveness/api/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(client.status).toBe(200);
    // An API key is not a session token.
    const wrong = await fetch(`${base}/liveness/api/session`, { headers: { authorization: `Bearer ${KEYS[0]}` } });
    expect(wrong.status).toBe(401);
  });
});
