/**
 * The Azure provider against a fault-injecting upstream on 127.0.0.1: retries, timeouts, resets,
 * malformed answers, auth, and the liveness calls that must never be retried. Asserts codes,
 * request counts and upstream details, never wall-clock times.
 *
 * Azure's error responses come from test/fixtures/azure/faults/ (`recordedFault`): bodies and
 * headers as the reference documentation gives them (each fixture names its section), not as
 * facegraph's own REST surface writes them. The one facegraph-made error body left is the
 * innererror pass-through test, which is about a facegraph upstream on purpose.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AzureProvider, type AzureProviderOptions } from '../../src/adapters/azure/provider.js';
import type { AzureConfig } from '../../src/platform/config.js';
import type { RecognitionFace } from '../../src/ports/face-provider.js';
import type { DetectRequestOptions } from '../../src/domain/types.js';
import { expectCode } from '../helpers/errors.js';
import { azureError, FaultServer, recordedFault, type RecordedRequest } from '../helpers/fault-server.js';
import { parseMultipart } from '../helpers/multipart.js';

const KEY = 'test-key-0123456789abcdef-secret';
const IMAGE = Buffer.alloc(2048, 7);

const DETECT: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  faceIdTimeToLive: 600,
  returnLandmarks: false,
  attributes: ['headPose', 'mask', 'qualityForRecognition'],
};

const FACE = {
  faceId: 'f-1',
  faceRectangle: { top: 66, left: 440, width: 227, height: 304 },
  faceAttributes: {
    headPose: { pitch: -17.1, roll: -16.9, yaw: 12.3 },
    mask: { type: 'noMask', noseAndMouthCovered: false },
    qualityForRecognition: 'high',
  },
};
const ok = (body: unknown = [FACE]) => ({ kind: 'json' as const, body });

/** Every log line the providers write, to check no secret is ever logged. */
const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

let server: FaultServer;
const providers: AzureProvider[] = [];
let tmp: string;

function config(overrides: Partial<AzureConfig> = {}): AzureConfig {
  return {
    endpoint: server.endpoint,
    apiVersion: 'v1.2',
    key: KEY,
    tokenCommand: null,
    connections: 4,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 400,
    maxRetries: 3,
    retryBaseMs: 5,
    maxRetryAfterMs: 2000,
    ...overrides,
  };
}

async function provider(overrides: Partial<AzureConfig> = {}, options: AzureProviderOptions = {}): Promise<AzureProvider> {
  const p = new AzureProvider(config(overrides), logger, options);
  providers.push(p);
  await p.start();
  return p;
}

function recognitionFace(upstreamFaceId: string | undefined, faceId = upstreamFaceId ?? null): RecognitionFace {
  return {
    faceId,
    recognitionModel: 'recognition_04',
    face: { upstreamFaceId, faceRectangle: { top: 0, left: 0, width: 50, height: 50 }, detectionScore: 1, attributes: {} },
  };
}

beforeAll(async () => {
  server = await FaultServer.start();
  tmp = mkdtempSync(path.join(tmpdir(), 'azure-faults-'));
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  server.reset();
});

afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('requests on the wire', () => {
  it('sends detect with the key header, octet-stream bytes and Azure query parameters', async () => {
    const p = await provider();
    server.enqueue(ok());
    const faces = await p.detect(IMAGE, DETECT);
    expect(faces).toHaveLength(1);
    expect(faces[0]!.upstreamFaceId).toBe('f-1');
    expect(faces[0]!.attributes.mask).toEqual({ type: 'noMask', noseAndMouthCovered: false });
    const [req] = server.requests as [RecordedRequest];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/face/v1.2/detect');
    expect(req.headers['ocp-apim-subscription-key']).toBe(KEY);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['content-type']).toBe('application/octet-stream');
    expect(req.headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.body.equals(IMAGE)).toBe(true);
    expect(Object.fromEntries(req.query)).toEqual({
      detectionModel: 'detection_03',
      recognitionModel: 'recognition_04',
      returnFaceId: 'true',
      returnFaceLandmarks: 'false',
      returnFaceAttributes: 'headPose,mask,qualityForRecognition',
      faceIdTimeToLive: '600',
      returnRecognitionModel: 'false',
    });
  });

  it('keeps the endpoint path prefix and the API version as path segments', async () => {
    const p = await provider({ endpoint: `${server.endpoint}/gateway`, apiVersion: 'v1.2-preview.1' });
    server.enqueue(ok([]));
    expect(await p.detect(IMAGE, { ...DETECT, returnFaceId: false, attributes: [] })).toEqual([]);
    expect(server.requests[0]!.path).toBe('/gateway/face/v1.2-preview.1/detect');
    expect(server.requests[0]!.query.has('returnFaceAttributes')).toBe(false);
    expect(server.requests[0]!.query.has('faceIdTimeToLive')).toBe(false);
  });

  it('reuses keep-alive connections: bodies are consumed, successes and errors alike', async () => {
    const p = await provider({ connections: 1 });
    server.enqueue(ok(), recordedFault('invalid-image-size-too-small'), ok(), ok());
    await p.detect(IMAGE, DETECT);
    await expectCode(p.detect(IMAGE, DETECT), 'IMAGE_TOO_SMALL');
    await p.detect(IMAGE, DETECT);
    await p.detect(IMAGE, DETECT);
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it('verify, findsimilars and group send Azure faceIds and map the answers back to the faces', async () => {
    const p = await provider();
    const a = recognitionFace('az-a');
    const b = recognitionFace('az-b');
    const c = recognitionFace('az-c');
    server.enqueue(
      ok({ isIdentical: true, confidence: 0.9 }),
      ok([
        { confidence: 0.9, faceId: 'az-c' },
        { confidence: 0.6, faceId: 'az-b' },
      ]),
      ok({ groups: [['az-a', 'az-c']], messyGroup: ['az-b'] }),
    );
    expect(await p.verify(a, b)).toEqual({ isIdentical: true, confidence: 0.9 });
    const similar = await p.findSimilar(a, [b, c], 'matchFace', 5);
    expect(similar.map((s) => [s.face, s.confidence])).toEqual([
      [c, 0.9],
      [b, 0.6],
    ]);
    const grouping = await p.group([a, b, c]);
    expect(grouping.groups).toEqual([[a, c]]);
    expect(grouping.messyGroup).toEqual([b]);
    const bodies = server.requests.map((r) => [r.path, JSON.parse(r.body.toString()) as unknown]);
    expect(bodies).toEqual([
      ['/face/v1.2/verify', { faceId1: 'az-a', faceId2: 'az-b' }],
      ['/face/v1.2/findsimilars', { faceId: 'az-a', faceIds: ['az-b', 'az-c'], maxNumOfCandidatesReturned: 5, mode: 'matchFace' }],
      ['/face/v1.2/group', { faceIds: ['az-a', 'az-b', 'az-c'] }],
    ]);
  });

  it('a face without an Azure faceId is FACE_NOT_FOUND, and nothing is sent', async () => {
    const p = await provider();
    await expectCode(p.verify(recognitionFace(undefined, 'local-1'), recognitionFace('az-b')), 'FACE_NOT_FOUND');
    expect(server.requests).toHaveLength(0);
  });

  it('a findsimilars answer naming a faceId that was not sent is UPSTREAM_BAD_RESPONSE', async () => {
    const p = await provider();
    server.enqueue(ok([{ confidence: 0.9, faceId: 'someone-else' }]));
    await expectCode(p.findSimilar(recognitionFace('az-a'), [recognitionFace('az-b')], 'matchPerson', 20), 'UPSTREAM_BAD_RESPONSE');
  });
});

describe('retries of idempotent calls', () => {
  it('429 with Retry-After, then success: detect succeeds after 2 requests with one client request id', async () => {
    const p = await provider();
    server.enqueue(recordedFault('rate-limited-429', { 'retry-after': '0' }), ok());
    const faces = await p.detect(IMAGE, DETECT);
    expect(faces).toHaveLength(1);
    expect(server.to('/detect')).toHaveLength(2);
    expect(server.requests[0]!.headers['x-ms-client-request-id']).toBe(server.requests[1]!.headers['x-ms-client-request-id']);
    // A retried call is one detection.
    expect(p.requestsSent.get('detect')).toBe(2);
  });

  it('503 (retry-after-ms), then success', async () => {
    const p = await provider();
    server.enqueue(recordedFault('service-unavailable-503', { 'retry-after-ms': '10' }), ok());
    await p.detect(IMAGE, DETECT);
    expect(server.requests).toHaveLength(2);
  });

  it('persistent 429 without Retry-After: maxRetries + 1 requests, then UPSTREAM_RATE_LIMITED', async () => {
    const p = await provider({ maxRetries: 2 });
    server.fallback = recordedFault('rate-limited-429', {});
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_RATE_LIMITED');
    expect(server.requests).toHaveLength(3);
    expect(err.details).toMatchObject({ upstreamCode: '429', upstreamStatus: 429, upstreamRequestId: 'apim-test-id' });
    expect(err.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it("the older services' 429 (RateLimitExceeded, no Retry-After) is retried too, then UPSTREAM_RATE_LIMITED", async () => {
    const p = await provider({ maxRetries: 1 });
    server.fallback = recordedFault('rate-limited-429-legacy');
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_RATE_LIMITED');
    expect(server.requests).toHaveLength(2);
    expect(err.details).toMatchObject({ upstreamCode: 'RateLimitExceeded', upstreamStatus: 429 });
  });

  it('a Retry-After beyond maxRetryAfterMs is not waited for: UPSTREAM_RATE_LIMITED at once, with retryAfterSeconds', async () => {
    const p = await provider({ maxRetryAfterMs: 1000 });
    server.enqueue(recordedFault('rate-limited-429', { 'retry-after': '120' }), ok());
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_RATE_LIMITED');
    expect(server.requests).toHaveLength(1);
    expect(err.details).toMatchObject({ retryAfterSeconds: 120, upstreamCode: '429', upstreamStatus: 429 });
  });

  it('a connection reset is retried for detect', async () => {
    const p = await provider();
    server.enqueue({ kind: 'reset' }, ok());
    expect(await p.detect(IMAGE, DETECT)).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it('a persistent reset ends as UPSTREAM_UNAVAILABLE after maxRetries + 1 requests', async () => {
    const p = await provider({ maxRetries: 2 });
    server.fallback = { kind: 'reset' };
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAVAILABLE');
    expect(server.requests).toHaveLength(3);
    expect(err.details.upstreamStatus).toBeNull();
    expect(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']).toContain(err.details.upstreamCode);
  });

  it('a refused connection is UPSTREAM_UNAVAILABLE (ECONNREFUSED)', async () => {
    // A port that was free a moment ago and has nobody listening.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const p = await provider({ endpoint: `http://127.0.0.1:${port}`, maxRetries: 1 });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAVAILABLE');
    expect(err.details).toMatchObject({ upstreamCode: 'ECONNREFUSED', upstreamStatus: null });
  });

  it('verify, findsimilars, group and GET session are retried on 503', async () => {
    const p = await provider();
    const busy = recordedFault('service-unavailable-503');
    server.enqueue(
      busy,
      ok({ isIdentical: false, confidence: 0.1 }),
      busy,
      ok([]),
      busy,
      ok({ groups: [], messyGroup: ['az-a', 'az-b'] }),
      busy,
      ok({ sessionId: 's1', authToken: '', status: 'Running', results: { attempts: [] } }),
    );
    await p.verify(recognitionFace('az-a'), recognitionFace('az-b'));
    await p.findSimilar(recognitionFace('az-a'), [recognitionFace('az-b')], 'matchPerson', 20);
    await p.group([recognitionFace('az-a'), recognitionFace('az-b')]);
    await p.liveness.getLivenessSession('liveness', 's1');
    expect(server.requests.map((r) => r.path.replace('/face/v1.2', ''))).toEqual([
      '/verify',
      '/verify',
      '/findsimilars',
      '/findsimilars',
      '/group',
      '/group',
      '/detectLiveness-sessions/s1',
      '/detectLiveness-sessions/s1',
    ]);
  });
});

describe('timeouts', () => {
  it('a hanging upstream is UPSTREAM_TIMEOUT (headers timeout), not retried', async () => {
    const p = await provider({ requestTimeoutMs: 200 });
    server.enqueue({ kind: 'hang' });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_TIMEOUT');
    expect(err.details).toMatchObject({ upstreamCode: 'UND_ERR_HEADERS_TIMEOUT', upstreamStatus: null });
    expect(server.requests).toHaveLength(1);
  });

  it('a trickling body never trips the idle body timeout; the overall deadline stops it', async () => {
    const p = await provider({ requestTimeoutMs: 400 }, { deadlineMs: 600 });
    server.enqueue({ kind: 'trickle', intervalMs: 50 });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_TIMEOUT');
    expect(err.details).toMatchObject({ upstreamCode: 'DEADLINE_EXCEEDED', upstreamStatus: null });
    expect(server.requests).toHaveLength(1);
  });

  it('a hanging token command is bounded by the deadline too', async () => {
    const p = await provider({ key: null, tokenCommand: 'sleep 5; echo late' }, { deadlineMs: 300 });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_TIMEOUT');
    expect(err.details.upstreamCode).toBe('DEADLINE_EXCEEDED');
    expect(server.requests).toHaveLength(0);
  });
});

describe('bad answers and auth failures', () => {
  it('malformed JSON on 200 is UPSTREAM_BAD_RESPONSE', async () => {
    const p = await provider();
    server.enqueue({ kind: 'raw', body: '[{"faceRectangle":', headers: { 'content-type': 'application/json' } });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_BAD_RESPONSE');
    expect(err.details).toMatchObject({ upstreamCode: null, upstreamStatus: 200 });
    expect(server.requests).toHaveLength(1);
  });

  it('a wrong-shape 200 is UPSTREAM_BAD_RESPONSE naming the path', async () => {
    const p = await provider();
    server.enqueue(ok([{ faceId: 'x', faceRectangle: { top: '1', left: 0, width: 1, height: 1 } }]));
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_BAD_RESPONSE');
    expect(err.message).toContain('$[0].faceRectangle.top');
  });

  it('401 is UPSTREAM_UNAUTHORIZED with upstreamCode and upstreamStatus, sent once with a key', async () => {
    const p = await provider();
    server.enqueue(recordedFault('unauthorized-401'));
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAUTHORIZED');
    expect(err.details).toMatchObject({ upstreamCode: '401', upstreamStatus: 401 });
    expect(server.requests).toHaveLength(1);
  });

  it('403 missing approval keeps the inner code', async () => {
    const p = await provider();
    server.enqueue(recordedFault('forbidden-403-unsupported-feature'));
    const err = await expectCode(p.verify(recognitionFace('a'), recognitionFace('b')), 'UPSTREAM_UNAUTHORIZED');
    expect(err.details).toMatchObject({ upstreamCode: 'InvalidRequest', upstreamInnerCode: 'UnsupportedFeature', upstreamStatus: 403 });
  });

  it('an upstream input error maps onto the facegraph code and is not retried', async () => {
    const p = await provider();
    server.enqueue(recordedFault('bad-argument-recognition-model-incompatible'));
    const err = await expectCode(p.verify(recognitionFace('a'), recognitionFace('b')), 'RECOGNITION_MODEL_MISMATCH');
    expect(err.details).toMatchObject({ upstreamCode: 'BadArgument', upstreamStatus: 400 });
    expect(server.requests).toHaveLength(1);
  });

  it('innererror carrying a facegraph code passes through (facegraph upstream)', async () => {
    const p = await provider();
    // facegraph's own REST surface envelope (src/rest/errors.ts), not an Azure response: this
    // test is about a facegraph upstream.
    server.enqueue(
      azureError(400, 'InvalidImage', 'too many pixels', undefined, {
        code: 'IMAGE_DIMENSIONS_TOO_LARGE',
        message: 'The image declares 40000000 pixels.',
      }),
    );
    const err = await expectCode(p.detect(IMAGE, DETECT), 'IMAGE_DIMENSIONS_TOO_LARGE');
    expect(err.details).toMatchObject({
      upstreamCode: 'InvalidImage',
      upstreamInnerCode: 'IMAGE_DIMENSIONS_TOO_LARGE',
      upstreamStatus: 400,
    });
  });
});

describe('token command auth', () => {
  it('`echo tok123` -> Authorization: Bearer tok123, no key header', async () => {
    const p = await provider({ key: null, tokenCommand: 'echo tok123' });
    server.enqueue(ok());
    await p.detect(IMAGE, DETECT);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tok123');
    expect(server.requests[0]!.headers['ocp-apim-subscription-key']).toBeUndefined();
  });

  it('reads az JSON output, and caches the token across calls (the command runs once)', async () => {
    const counter = path.join(tmp, 'json-count');
    const script = path.join(tmp, 'token-json.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho x >> '${counter}'\necho '{"accessToken":"jwt-abc","expiresOn":"2099-01-01 00:00:00.000000","tokenType":"Bearer"}'\n`,
    );
    chmodSync(script, 0o755);
    const p = await provider({ key: null, tokenCommand: script });
    server.fallback = ok();
    await p.detect(IMAGE, DETECT);
    await p.detect(IMAGE, DETECT);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer jwt-abc', 'Bearer jwt-abc']);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('a 401 re-runs the command once and resends with the new token (even for a create)', async () => {
    const counter = path.join(tmp, 'count');
    const script = path.join(tmp, 'token.sh');
    writeFileSync(script, `#!/bin/sh\nn=$(cat '${counter}' 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > '${counter}'\necho tok$n\n`);
    chmodSync(script, 0o755);
    const p = await provider({ key: null, tokenCommand: script });
    server.enqueue(
      recordedFault('unauthorized-401'),
      ok({ sessionId: 's1', authToken: 'client-jwt', status: 'NotStarted', modelVersion: '2024-11-15', results: { attempts: [] } }),
    );
    const session = await p.liveness.createLivenessSession({ livenessOperationMode: 'Passive', deviceCorrelationId: 'dev-1' });
    expect(session.sessionId).toBe('s1');
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok1', 'Bearer tok2']);
  });

  it('a second 401 is UPSTREAM_UNAUTHORIZED (refreshed only once)', async () => {
    const p = await provider({ key: null, tokenCommand: 'echo tok123' });
    server.fallback = recordedFault('unauthorized-401');
    await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAUTHORIZED');
    expect(server.requests).toHaveLength(2);
  });

  it('a failing token command is UPSTREAM_UNAUTHORIZED and sends nothing', async () => {
    const p = await provider({ key: null, tokenCommand: 'echo "Please run az login" >&2; exit 1' });
    const err = await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAUTHORIZED');
    expect(err.details).toMatchObject({ upstreamCode: 'TOKEN_COMMAND_FAILED', upstreamStatus: null });
    expect(server.requests).toHaveLength(0);
  });
});

describe('liveness sessions', () => {
  const created = { sessionId: 's1', authToken: 'client-jwt', status: 'NotStarted', modelVersion: '2024-11-15', results: { attempts: [] } };

  it('createLivenessSession POSTs JSON', async () => {
    const p = await provider();
    server.enqueue(ok(created));
    const body = {
      livenessOperationMode: 'PassiveActive' as const,
      deviceCorrelationId: 'dev-1',
      enableSessionImage: true,
      authTokenTimeToLiveInSeconds: 600,
    };
    const session = await p.liveness.createLivenessSession(body);
    expect(session).toEqual(created);
    const [req] = server.requests as [RecordedRequest];
    expect([req.method, req.path, req.headers['content-type']]).toEqual(['POST', '/face/v1.2/detectLiveness-sessions', 'application/json']);
    expect(JSON.parse(req.body.toString())).toEqual(body);
  });

  it('429 on createLivenessSession is not retried: exactly 1 request', async () => {
    const p = await provider();
    server.enqueue(recordedFault('rate-limited-429', { 'retry-after': '0' }), ok(created));
    const err = await expectCode(
      p.liveness.createLivenessSession({ livenessOperationMode: 'Passive', deviceCorrelationId: 'd' }),
      'UPSTREAM_RATE_LIMITED',
    );
    expect(server.requests).toHaveLength(1);
    expect(err.details).toMatchObject({ upstreamCode: '429', upstreamStatus: 429, retryAfterSeconds: 1 });
  });

  it('a reset on create is not retried', async () => {
    const p = await provider();
    server.enqueue({ kind: 'reset' }, ok(created));
    await expectCode(
      p.liveness.createLivenessSession({ livenessOperationMode: 'Passive', deviceCorrelationId: 'd' }),
      'UPSTREAM_UNAVAILABLE',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('delete expects 204 and is not retried on 503', async () => {
    const p = await provider();
    server.enqueue({ kind: 'empty', status: 204 });
    await p.liveness.deleteLivenessSession('livenessWithVerify', 's/1');
    expect([server.requests[0]!.method, server.requests[0]!.path]).toEqual([
      'DELETE',
      '/face/v1.2/detectLivenessWithVerify-sessions/s%2F1',
    ]);
    server.reset();
    server.enqueue(recordedFault('service-unavailable-503'), { kind: 'empty', status: 204 });
    const err = await expectCode(p.liveness.deleteLivenessSession('liveness', 's1'), 'UPSTREAM_UNAVAILABLE');
    expect(err.details).toMatchObject({ upstreamStatus: 503 });
    expect(server.requests).toHaveLength(1);
  });

  it('an unknown session is SESSION_NOT_FOUND', async () => {
    const p = await provider();
    server.enqueue(recordedFault('session-not-found-404'));
    const err = await expectCode(p.liveness.getLivenessSession('liveness', 'nope'), 'SESSION_NOT_FOUND');
    expect(err.details).toMatchObject({ upstreamCode: 'SessionNotFound', upstreamStatus: 404 });
  });

  it('createLivenessWithVerifySession sends multipart/form-data: one part per field and the verifyImage file', async () => {
    const p = await provider();
    const image = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0xd9]);
    server.enqueue(
      ok({
        ...created,
        results: {
          attempts: [],
          verifyReferences: [
            { referenceType: 'image', faceRectangle: { top: 66, left: 440, width: 227, height: 304 }, qualityForRecognition: 'high' },
          ],
        },
      }),
    );
    const session = await p.liveness.createLivenessWithVerifySession(
      {
        livenessOperationMode: 'Passive',
        deviceCorrelationId: 'dev-1',
        enableSessionImage: true,
        returnVerifyImageHash: true,
        verifyConfidenceThreshold: 0.6,
        authTokenTimeToLiveInSeconds: 120,
      },
      image,
    );
    expect(session.results.verifyReferences).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.path).toBe('/face/v1.2/detectLivenessWithVerify-sessions');
    const parsed = await parseMultipart(req);
    expect(parsed.fields).toEqual({
      livenessOperationMode: 'Passive',
      deviceCorrelationId: 'dev-1',
      enableSessionImage: 'true',
      returnVerifyImageHash: 'true',
      verifyConfidenceThreshold: '0.6',
      authTokenTimeToLiveInSeconds: '120',
    });
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]!.name).toBe('verifyImage');
    expect(parsed.files[0]!.filename).toBe('verifyImage.jpg');
    expect(parsed.files[0]!.data.equals(image)).toBe(true);
  });

  it('getSessionImage returns the bytes, and is retried on 503', async () => {
    const p = await provider();
    const jpeg = Buffer.alloc(300_000, 0xab);
    server.enqueue(recordedFault('service-unavailable-503'), {
      kind: 'raw',
      body: jpeg,
      headers: { 'content-disposition': 'attachment; filename=img1.jpg' },
    });
    const bytes = await p.liveness.getSessionImage('img1');
    expect(bytes.equals(jpeg)).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual(['/face/v1.2/sessionImages/img1', '/face/v1.2/sessionImages/img1']);
  });
});

describe('lifecycle', () => {
  it('is ready after start, not after close; calls after close are UPSTREAM_UNAVAILABLE', async () => {
    const p = new AzureProvider(config(), logger);
    expect(p.isReady()).toBe(false);
    await p.start();
    expect(p.isReady()).toBe(true);
    expect(p.capabilities.provider).toBe('azure');
    await p.close();
    expect(p.isReady()).toBe(false);
    await expectCode(p.detect(IMAGE, DETECT), 'UPSTREAM_UNAVAILABLE');
    expect(server.requests).toHaveLength(0);
  });
});

// Last in the file: runs after every test above has logged (at debug level).
describe('logs', () => {
  it('never contain the key or a token', () => {
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    expect(all).toContain('retrying upstream call');
    for (const secret of [KEY, 'tok123', 'tok1"', 'tok2', 'jwt-abc', 'client-jwt']) expect(all).not.toContain(secret);
  });
});
