/**
 * Upstream faults as a GraphQL client sees them: facegraph on the Azure provider, pointed at a
 * fault-injecting HTTP server on loopback. Each fault yields its documented GraphQL error code
 * (with Azure's code and status in extensions), nothing is retried that must not be, no GraphQL
 * request hangs, and the server keeps serving.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { azureError, FaultServer } from '../helpers/fault-server.js';
import { faceBase64 } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let upstream: FaultServer;
let server: TestServer;

beforeAll(async () => {
  upstream = await FaultServer.start();
  server = await startTestServer(
    {
      FACE_PROVIDER: 'azure',
      AZURE_FACE_ENDPOINT: upstream.endpoint,
      AZURE_FACE_KEY: 'fault-test-key',
      AZURE_FACE_TIMEOUT_MS: '400',
      AZURE_FACE_CONNECT_TIMEOUT_MS: '400',
      AZURE_FACE_MAX_RETRIES: '2',
      AZURE_FACE_RETRY_BASE_MS: '10',
      AZURE_FACE_MAX_RETRY_AFTER_S: '2',
    },
    undefined,
    // This file plays the upstream itself: the gateway is configured above, not by the project.
    'embedded',
  );
});

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

const DETECT = `query($b: String) { detectFaces(image: { base64: $b }) { faceId faceRectangle { top left width height } } }`;
const detect = () =>
  server.gql<{ detectFaces: Array<{ faceId: string; faceRectangle: { width: number } }> }>(DETECT, { b: faceBase64('people/obama/1.jpg') });
const oneFace = () => ({
  kind: 'json' as const,
  body: [{ faceId: randomUUID(), faceRectangle: { top: 148, left: 361, width: 263, height: 263 } }],
});

async function stillServing(): Promise<void> {
  upstream.enqueue(oneFace());
  const res = await detect();
  expect(res.errors).toBeUndefined();
  expect(res.data!.detectFaces).toHaveLength(1);
}

describe('the Azure provider under upstream faults, through GraphQL', () => {
  it('429 with Retry-After, then success: the caller gets the faces; the upstream saw 2 requests', async () => {
    upstream.enqueue(azureError(429, '429', 'Rate limit is exceeded.', { 'retry-after': '1' }), oneFace());
    const res = await detect();
    expect(res.errors).toBeUndefined();
    expect(res.data!.detectFaces[0]!.faceRectangle.width).toBe(263);
    expect(upstream.to('/detect')).toHaveLength(2);
    expect(upstream.to('/detect')[0]!.headers['ocp-apim-subscription-key']).toBe('fault-test-key');
  });

  it('503 then success', async () => {
    upstream.enqueue(azureError(503, 'ServiceUnavailable', 'busy'), oneFace());
    const res = await detect();
    expect(res.errors).toBeUndefined();
    expect(upstream.to('/detect')).toHaveLength(2);
  });

  it('a hanging upstream is UPSTREAM_TIMEOUT, and the GraphQL request returns', async () => {
    upstream.fallback = { kind: 'hang' };
    try {
      const res = await detect();
      expect(res.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    } finally {
      upstream.fallback = azureError(500, 'NoFault', 'no fault queued');
    }
    await stillServing();
  });

  it('a persistent connection reset is UPSTREAM_UNAVAILABLE after the retries', async () => {
    upstream.enqueue({ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' });
    const res = await detect();
    expect(res.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.to('/detect')).toHaveLength(3);
    await stillServing();
  });

  it('malformed JSON is UPSTREAM_BAD_RESPONSE', async () => {
    upstream.enqueue({ kind: 'raw', body: '[{"faceId": ', headers: { 'content-type': 'application/json' } });
    const res = await detect();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', upstreamStatus: 200 });
  });

  it('401 bad key is UPSTREAM_UNAUTHORIZED with Azure code and status, sent once', async () => {
    upstream.enqueue(azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint.'));
    const res = await detect();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAUTHORIZED', upstreamCode: '401', upstreamStatus: 401 });
    expect(upstream.to('/detect')).toHaveLength(1);
  });

  it('an Azure input error reaches the caller as the matching facegraph code, not retried', async () => {
    upstream.enqueue(azureError(400, 'InvalidImage', 'Decoding error, image format unsupported.'));
    const res = await detect();
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      upstreamCode: 'InvalidImage',
      upstreamStatus: 400,
    });
    expect(upstream.to('/detect')).toHaveLength(1);
  });

  it('createLivenessSession is never retried: a 429 is UPSTREAM_RATE_LIMITED after exactly one request', async () => {
    upstream.enqueue(azureError(429, '429', 'Rate limit is exceeded.', { 'retry-after': '1' }));
    const res = await server.gql<{ createLivenessSession: unknown }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "d" }) { session { id } userErrors { code } } }`,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', upstreamStatus: 429 });
    expect(upstream.to('/detectLiveness-sessions')).toHaveLength(1);
    const list = await server.gql<{ livenessSessions: { totalCount: number } }>('{ livenessSessions { totalCount } }');
    expect(list.data!.livenessSessions.totalCount).toBe(0);
  });

  it('a bare 404 (wrong endpoint or version) is UPSTREAM_BAD_RESPONSE and does not drop the session from the index', async () => {
    const id = randomUUID();
    upstream.enqueue({
      kind: 'json',
      body: { sessionId: id, authToken: 'tok', status: 'NotStarted', modelVersion: '2024-11-15', results: { attempts: [] } },
    });
    const created = await server.gql<{ createLivenessSession: { session: { id: string } | null } }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "d" }) { session { id } userErrors { code } } }`,
    );
    expect(created.data!.createLivenessSession.session!.id).toBe(id);

    upstream.enqueue(azureError(404, '404', 'Resource not found'));
    const read = await server.gql(`query($id: ID!) { livenessSession(id: $id) { id status } }`, { id });
    expect(read.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', upstreamStatus: 404 });
    expect(await server.app.services.liveness.sessionRecord(id)).not.toBeNull();

    // Azure's explicit SessionNotFound is the one answer that means the session is gone.
    upstream.enqueue(azureError(404, 'SessionNotFound', 'Session ID is not found. The session ID is expired or does not exist.'));
    const gone = await server.gql<{ livenessSession: unknown }>(`query($id: ID!) { livenessSession(id: $id) { id } }`, { id });
    expect(gone.errors).toBeUndefined();
    expect(gone.data!.livenessSession).toBeNull();
    expect(upstream.to(`/detectLiveness-sessions/${id}`)).toHaveLength(2);
    expect(await server.app.services.liveness.sessionRecord(id)).toBeNull();
  });
});
