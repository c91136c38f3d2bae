/**
 * The Azure provider against Azure-shaped answers that facegraph did not write: the request and
 * response examples of Microsoft's Face v1.2 REST specification (Azure/azure-rest-api-specs),
 * copied unchanged into test/fixtures/azure/ (SOURCE.md says from where and at which commit).
 *
 * A loopback server plays Azure. It knows the v1.2 routes from the reference documentation
 * (../shared/reference/azure-face-v1.2.md §1), not from facegraph's code: a request to the wrong
 * method or path, or without the subscription key, gets Azure's 404 / 401 instead of the
 * example. Each test then checks what facegraph sent against what the example's request says
 * (method, path, query, body fields), and what facegraph made of the example's response against
 * the response itself.
 *
 * The provider is driven through its public classes: AzureProvider for detection and
 * recognition, and for liveness AzureUpstreamLiveness (what GraphQL's liveness lifecycle runs
 * on) over AzureProvider.liveness.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAzureErrorBody } from '../../src/adapters/azure/errors.js';
import { toLivenessSessionView } from '../../src/adapters/azure/liveness.js';
import { AzureProvider } from '../../src/adapters/azure/provider.js';
import { AzureUpstreamLiveness } from '../../src/adapters/azure/upstream-liveness.js';
import type { AzureConfig } from '../../src/platform/config.js';
import type { RecognitionFace } from '../../src/ports/face-provider.js';
import type { DetectRequestOptions, FaceAttributeName } from '../../src/domain/types.js';
import type { CreateSessionOptions } from '../../src/domain/liveness/types.js';
import { expectCode } from '../helpers/errors.js';
import { type Fault, FaultServer, loadRecordedFault, type RecordedFaultName, type RecordedRequest } from '../helpers/fault-server.js';
import { parseMultipart } from '../helpers/multipart.js';

// ---------------------------------------------------------------------------------------------
// The examples

interface SpecExample {
  title: string;
  operationId: string;
  parameters: Record<string, unknown>;
  /** One status each; `body` absent for an empty answer (DELETE). */
  responses: Record<string, { body?: unknown }>;
}

function example(file: string): SpecExample {
  return JSON.parse(readFileSync(new URL(`../fixtures/azure/${file}`, import.meta.url), 'utf8')) as SpecExample;
}

/** The example's (only) response. */
function responseOf(ex: SpecExample): { status: number; body: unknown } {
  const statuses = Object.keys(ex.responses);
  expect(statuses, `${ex.operationId}: one response`).toHaveLength(1);
  return { status: Number(statuses[0]), body: ex.responses[statuses[0]!]!.body };
}

/** A body of the example as plain data, `any`-free: tests index into it. */
type Json = Record<string, unknown>;
const body = (ex: SpecExample): Json => responseOf(ex).body as Json;

const KEY = 'spec-example-key';

/**
 * v1.2 routes per operationId (reference §1a, §1f), `{name}` standing for a path parameter of the
 * example. The overloaded `POST /detect`, `/verify`, `/findsimilars` carry no `_overload` on the
 * wire (reference §0), so neither do these.
 */
const ROUTES: Record<string, { method: string; path: string }> = {
  FaceDetectionOperations_Detect: { method: 'POST', path: '/detect' },
  FaceRecognitionOperations_VerifyFaceToFace: { method: 'POST', path: '/verify' },
  FaceRecognitionOperations_FindSimilar: { method: 'POST', path: '/findsimilars' },
  FaceRecognitionOperations_Group: { method: 'POST', path: '/group' },
  LivenessSessionOperations_CreateLivenessSession: { method: 'POST', path: '/detectLiveness-sessions' },
  LivenessSessionOperations_CreateLivenessWithVerifySession: { method: 'POST', path: '/detectLivenessWithVerify-sessions' },
  LivenessSessionOperations_CreateLivenessWithVerifySessionWithVerifyImage: { method: 'POST', path: '/detectLivenessWithVerify-sessions' },
  LivenessSessionOperations_GetLivenessSessionResult: { method: 'GET', path: '/detectLiveness-sessions/{sessionId}' },
  LivenessSessionOperations_GetLivenessWithVerifySessionResult: { method: 'GET', path: '/detectLivenessWithVerify-sessions/{sessionId}' },
  LivenessSessionOperations_DeleteLivenessSession: { method: 'DELETE', path: '/detectLiveness-sessions/{sessionId}' },
  LivenessSessionOperations_DeleteLivenessWithVerifySession: { method: 'DELETE', path: '/detectLivenessWithVerify-sessions/{sessionId}' },
  LivenessSessionOperations_GetSessionImage: { method: 'GET', path: '/sessionImages/{sessionImageId}' },
};

/** The full request path the example describes: `/face/{apiVersion}{route}`, parameters filled in. */
function expectedPath(ex: SpecExample): string {
  const route = ROUTES[ex.operationId];
  if (!route) throw new Error(`no route for ${ex.operationId}`);
  const filled = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(ex.parameters[name])));
  return `/face/${String(ex.parameters.apiVersion)}${filled}`;
}

/** Azure's answer to a request: the example's response if it is the example's operation. */
function azureAnswer(ex: SpecExample, req: RecordedRequest): Fault {
  if (req.headers['ocp-apim-subscription-key'] !== KEY) return fromFixture('unauthorized-401');
  if (req.method !== ROUTES[ex.operationId]!.method || req.path !== expectedPath(ex)) {
    return { kind: 'json', status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
  }
  const { status, body: payload } = responseOf(ex);
  if (payload === undefined) return { kind: 'empty', status };
  // GetSessionImage: the example's body stands for the JPEG bytes.
  if (typeof payload === 'string')
    return { kind: 'raw', status, body: Buffer.from(payload, 'utf8'), headers: { 'content-type': 'application/octet-stream' } };
  return { kind: 'json', status, body: payload };
}

function fromFixture(name: RecordedFaultName): Fault {
  const f = loadRecordedFault(name);
  return { kind: 'json', status: f.status, body: f.body, headers: f.headers };
}

// ---------------------------------------------------------------------------------------------
// Harness

let server: FaultServer;
const providers: AzureProvider[] = [];

beforeAll(async () => {
  server = await FaultServer.start();
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  server.reset();
});

afterAll(async () => {
  await server.close();
});

/** A provider on the example's API version, whose upstream answers with the example. */
async function providerFor(ex: SpecExample): Promise<AzureProvider> {
  server.fallback = (req) => azureAnswer(ex, req);
  const config: AzureConfig = {
    endpoint: server.endpoint,
    apiVersion: String(ex.parameters.apiVersion),
    key: KEY,
    tokenCommand: null,
    connections: 2,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    maxRetries: 0,
    retryBaseMs: 5,
    maxRetryAfterMs: 1000,
  };
  const p = new AzureProvider(config, pino({ level: 'silent' }));
  providers.push(p);
  await p.start();
  return p;
}

/** The one request facegraph sent, checked against the example's method and path. */
function sentRequest(ex: SpecExample): RecordedRequest {
  expect(server.requests, 'one request, no retry').toHaveLength(1);
  const req = server.requests[0]!;
  expect([req.method, req.path]).toEqual([ROUTES[ex.operationId]!.method, expectedPath(ex)]);
  expect(req.headers['ocp-apim-subscription-key']).toBe(KEY);
  return req;
}

const jsonBodyOf = (req: RecordedRequest): Json => {
  expect(req.headers['content-type']).toBe('application/json');
  return JSON.parse(req.body.toString('utf8')) as Json;
};

/** A face as the registry hands it to the provider: known to Azure by `upstreamFaceId`. */
function recognitionFace(upstreamFaceId: string): RecognitionFace {
  return {
    faceId: `fg-${upstreamFaceId}`,
    recognitionModel: 'recognition_03',
    face: { upstreamFaceId, faceRectangle: { top: 0, left: 0, width: 50, height: 50 }, detectionScore: 1, attributes: {} },
  };
}

/** Some bytes standing for the image (the examples say "<your-image-bytes-here>"). */
const IMAGE = Buffer.alloc(4096, 0x5a);

// ---------------------------------------------------------------------------------------------
// Detection and recognition

describe('Detect.json (FaceDetectionOperations_Detect, image bytes)', () => {
  const ex = example('Detect.json');
  const q = ex.parameters;
  const options: DetectRequestOptions = {
    detectionModel: q.detectionModel as DetectRequestOptions['detectionModel'],
    recognitionModel: q.recognitionModel as DetectRequestOptions['recognitionModel'],
    returnFaceId: q.returnFaceId as boolean,
    faceIdTimeToLive: q.faceIdTimeToLive as number,
    returnLandmarks: q.returnFaceLandmarks as boolean,
    attributes: String(q.returnFaceAttributes).split(',') as FaceAttributeName[],
  };

  it("sends the example's query parameters, octet-stream bytes, on POST /face/v1.2/detect", async () => {
    const p = await providerFor(ex);
    await p.detect(IMAGE, options);
    const req = sentRequest(ex);
    expect(req.headers['content-type']).toBe('application/octet-stream');
    expect(req.body.equals(IMAGE)).toBe(true);
    const sent = Object.fromEntries(req.query);
    for (const name of [
      'detectionModel',
      'recognitionModel',
      'returnFaceId',
      'returnFaceLandmarks',
      'returnFaceAttributes',
      'faceIdTimeToLive',
    ]) {
      expect(sent[name], name).toBe(String(q[name]));
    }
    // The one deliberate difference: facegraph knows the model it asked for and does not have it
    // echoed (src/azure/wire.ts detectQuery). Nothing else is sent.
    expect(q.returnRecognitionModel).toBe(true);
    expect(sent.returnRecognitionModel).toBe('false');
    expect(Object.keys(sent).sort()).toEqual(
      Object.keys(q)
        .filter((k) => k !== 'apiVersion' && k !== 'imageContent')
        .sort(),
    );
  });

  it('maps faceId, faceRectangle, all 27 landmarks and every attribute as the example answers them', async () => {
    const p = await providerFor(ex);
    const faces = await p.detect(IMAGE, options);
    const wire = (responseOf(ex).body as Json[])[0]!;
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face!.upstreamFaceId).toBe(wire.faceId);
    expect(face!.faceRectangle).toEqual(wire.faceRectangle);
    expect(face!.landmarks).toEqual(wire.faceLandmarks);
    expect(Object.keys(face!.landmarks!)).toHaveLength(27);
    expect(face!.attributes).toEqual(wire.faceAttributes);
    // Azure reports no detector score: every face it returns passed its detector.
    expect(face!.detectionScore).toBe(1);
    expect(face!.embedding).toBeUndefined();
  });
});

describe('FaceRecognitionOperations_VerifyFaceToFace.json', () => {
  const ex = example('FaceRecognitionOperations_VerifyFaceToFace.json');
  const request = ex.parameters.body as { faceId1: string; faceId2: string };

  it("sends the example's body and maps isIdentical and confidence", async () => {
    const p = await providerFor(ex);
    const result = await p.verify(recognitionFace(request.faceId1), recognitionFace(request.faceId2));
    expect(jsonBodyOf(sentRequest(ex))).toEqual(request);
    expect(result).toEqual(body(ex));
  });
});

describe('FaceRecognitionOperations_FindSimilar.json (faceIds mode)', () => {
  const ex = example('FaceRecognitionOperations_FindSimilar.json');
  const request = ex.parameters.body as {
    faceId: string;
    faceIds: string[];
    maxNumOfCandidatesReturned: number;
    mode: 'matchPerson' | 'matchFace';
  };
  const candidates = request.faceIds.map(recognitionFace);

  it("sends the example's body: faceId, faceIds, maxNumOfCandidatesReturned, mode", async () => {
    const p = await providerFor(ex);
    await p
      .findSimilar(recognitionFace(request.faceId), candidates, request.mode, request.maxNumOfCandidatesReturned)
      .catch(() => undefined);
    expect(jsonBodyOf(sentRequest(ex))).toEqual(request);
  });

  // The example answers `persistedFaceId` to a faceIds-mode request. The specification's own
  // FaceFindSimilarResult says faceId is the field "when find by faceIds" and persistedFaceId
  // the one "when find by faceListId or largeFaceListId" (reference §3 notes the example is wrong).
  // A persistedFaceId is not one of the faceIds sent, so facegraph cannot tell which candidate it
  // means and refuses the answer rather than guess: that is the intended behaviour, not a bug.
  it('refuses the example answer as printed (persistedFaceId in faceIds mode): UPSTREAM_BAD_RESPONSE naming $[0].faceId', async () => {
    const p = await providerFor(ex);
    const err = await expectCode(
      p.findSimilar(recognitionFace(request.faceId), candidates, request.mode, request.maxNumOfCandidatesReturned),
      'UPSTREAM_BAD_RESPONSE',
    );
    expect(err.message).toContain('$[0].faceId');
    expect(err.details).toMatchObject({ upstreamStatus: 200 });
  });

  it('maps the same answer with its field named as FaceFindSimilarResult documents for faceIds mode (faceId)', async () => {
    const printed = body(ex) as unknown as Array<{ confidence: number; persistedFaceId: string }>;
    const documented: SpecExample = {
      ...ex,
      responses: { '200': { body: printed.map((m) => ({ confidence: m.confidence, faceId: m.persistedFaceId })) } },
    };
    const p = await providerFor(documented);
    const similar = await p.findSimilar(recognitionFace(request.faceId), candidates, request.mode, request.maxNumOfCandidatesReturned);
    expect(similar.map((s) => [s.face, s.confidence])).toEqual([[candidates[0], printed[0]!.confidence]]);
  });
});

describe('FaceRecognitionOperations_Group.json', () => {
  const ex = example('FaceRecognitionOperations_Group.json');
  const request = ex.parameters.body as { faceIds: string[] };

  it("sends the example's faceIds and maps groups and messyGroup back to the faces", async () => {
    const faces = request.faceIds.map(recognitionFace);
    const byId = new Map(faces.map((f) => [f.face.upstreamFaceId!, f]));
    const p = await providerFor(ex);
    const grouping = await p.group(faces);
    expect(jsonBodyOf(sentRequest(ex))).toEqual(request);
    const wire = body(ex) as { groups: string[][]; messyGroup: string[] };
    expect(grouping.groups).toEqual(wire.groups.map((g) => g.map((id) => byId.get(id))));
    expect(grouping.messyGroup).toEqual(wire.messyGroup.map((id) => byId.get(id)));
    expect(grouping.groups.flat().map((f) => f.face.upstreamFaceId)).toEqual(wire.groups.flat());
  });
});

// ---------------------------------------------------------------------------------------------
// Liveness sessions

/** Create-body fields of v1.2 GA (reference §4b), for "nothing else is sent". */
const CREATE_FIELDS = [
  'livenessOperationMode',
  'deviceCorrelationId',
  'deviceCorrelationIdSetInClient',
  'enableSessionImage',
  'livenessModelVersion',
  'authTokenTimeToLiveInSeconds',
];
const VERIFY_CREATE_FIELDS = [...CREATE_FIELDS, 'returnVerifyImageHash', 'verifyConfidenceThreshold'];

/** facegraph's create options equivalent to an example's create body. */
function optionsOf(b: Json): CreateSessionOptions {
  return {
    mode: b.livenessOperationMode as CreateSessionOptions['mode'],
    deviceCorrelationId: (b.deviceCorrelationId as string | undefined) ?? null,
    deviceCorrelationIdSetInClient: (b.deviceCorrelationIdSetInClient as boolean | undefined) ?? false,
    enableSessionImage: false,
    authTokenTtlSeconds: b.authTokenTimeToLiveInSeconds as number,
    sendResultsToClient: false,
  };
}

const upstream = (p: AzureProvider): AzureUpstreamLiveness => new AzureUpstreamLiveness(p.liveness);

const rect = (r: unknown) => r as { top: number; left: number; width: number; height: number };

describe('LivenessSessionOperations_CreateLivenessSession.json', () => {
  const ex = example('LivenessSessionOperations_CreateLivenessSession.json');
  const request = ex.parameters.body as Json;

  it("POSTs the example's JSON body and maps the created session", async () => {
    const p = await providerFor(ex);
    const session = await upstream(p).create('detectLiveness', optionsOf(request), null);
    const sent = jsonBodyOf(sentRequest(ex));
    expect(sent.livenessOperationMode).toBe(request.livenessOperationMode);
    expect(sent.deviceCorrelationId).toBe(request.deviceCorrelationId);
    expect(sent.authTokenTimeToLiveInSeconds).toBe(request.authTokenTimeToLiveInSeconds);
    // false is the default: facegraph leaves it out rather than sending false.
    expect(sent.deviceCorrelationIdSetInClient ?? false).toBe(request.deviceCorrelationIdSetInClient);
    expect(CREATE_FIELDS).toEqual(expect.arrayContaining(Object.keys(sent)));

    const wire = body(ex);
    expect(session).toEqual({
      id: wire.sessionId,
      authToken: wire.authToken,
      status: wire.status,
      modelVersion: wire.modelVersion,
      attempts: [],
      verifyReference: null,
    });
  });
});

describe('LivenessSessionOperations_CreateLivenessWithVerifySession.json', () => {
  const ex = example('LivenessSessionOperations_CreateLivenessWithVerifySession.json');
  const request = ex.parameters.body as Json;

  it("sends the example's fields as multipart parts plus the verifyImage file, and maps the session", async () => {
    const p = await providerFor(ex);
    const session = await upstream(p).create('detectLivenessWithVerify', optionsOf(request), IMAGE);
    const req = sentRequest(ex);
    expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const { fields, files } = await parseMultipart(req);
    expect(fields.livenessOperationMode).toBe(request.livenessOperationMode);
    expect(fields.deviceCorrelationIdSetInClient).toBe(String(request.deviceCorrelationIdSetInClient));
    expect(fields.authTokenTimeToLiveInSeconds).toBe(String(request.authTokenTimeToLiveInSeconds));
    // The example also sets deviceCorrelationId although deviceCorrelationIdSetInClient is true;
    // the specification says it "must be null" then (reference §4b), and facegraph leaves it out.
    expect(request.deviceCorrelationIdSetInClient).toBe(true);
    expect(fields.deviceCorrelationId).toBeUndefined();
    expect(VERIFY_CREATE_FIELDS).toEqual(expect.arrayContaining(Object.keys(fields)));
    expect(files.map((f) => [f.name, f.data.equals(IMAGE)])).toEqual([['verifyImage', true]]);

    const wire = body(ex);
    expect(session).toEqual({
      id: wire.sessionId,
      authToken: wire.authToken,
      status: wire.status,
      modelVersion: wire.modelVersion,
      attempts: [],
      verifyReference: null,
    });
  });
});

describe('LivenessSessionOperations_CreateLivenessWithVerifySessionWithVerifyImage.json', () => {
  const ex = example('LivenessSessionOperations_CreateLivenessWithVerifySessionWithVerifyImage.json');
  const params = JSON.parse(String(ex.parameters.Parameters)) as Json;

  it("sends the example's Parameters values as v1.2 parts (one per field) and the image as verifyImage", async () => {
    const p = await providerFor(ex);
    await upstream(p).create('detectLivenessWithVerify', optionsOf(params), IMAGE);
    const { fields, files } = await parseMultipart(sentRequest(ex));
    // The example's request still has the preview form (one JSON part "Parameters" and a file part
    // "VerifyImage"); v1.2 GA takes one part per field and "verifyImage" (reference §4b, §4d, and
    // the recorded JS SDK traffic). The values are compared; sendResultsToClient was dropped in
    // v1.2 and deviceCorrelationId must be null with deviceCorrelationIdSetInClient (as above).
    expect(params.sendResultsToClient).toBe(true);
    for (const [name, value] of Object.entries(params)) {
      if (name === 'sendResultsToClient' || name === 'deviceCorrelationId') expect(fields[name], name).toBeUndefined();
      else expect(fields[name], name).toBe(String(value));
    }
    expect(files.map((f) => f.name)).toEqual(['verifyImage']);
  });

  it('maps the verify reference (faceRectangle, qualityForRecognition; referenceType "image")', async () => {
    const p = await providerFor(ex);
    const wire = body(ex);
    const ref = ((wire.results as Json).verifyReferences as Json[])[0]!;
    const session = await upstream(p).create('detectLivenessWithVerify', optionsOf(params), IMAGE);
    expect(session).toEqual({
      id: wire.sessionId,
      authToken: wire.authToken,
      status: 'NotStarted',
      modelVersion: '2024-11-15',
      attempts: [],
      verifyReference: { faceRectangle: ref.faceRectangle, qualityForRecognition: ref.qualityForRecognition },
    });
    server.reset();
    const raw = await p.liveness.createLivenessWithVerifySession(
      { livenessOperationMode: 'Passive', deviceCorrelationIdSetInClient: true, authTokenTimeToLiveInSeconds: 60 },
      IMAGE,
    );
    // Every field of the example passes the guard; none is dropped.
    expect(raw).toEqual(wire);
    expect(toLivenessSessionView('livenessWithVerify', raw).verifyReferences).toEqual([
      { referenceType: 'image', faceRectangle: rect(ref.faceRectangle), qualityForRecognition: 'high' },
    ]);
  });
});

/** The mapped attempts of the GetLivenessSessionResult / GetLivenessWithVerifySessionResult examples. */
function expectedAttempts(wire: Json, withVerify: boolean) {
  const attempts = (wire.results as Json).attempts as Json[];
  const ok = attempts.find((a) => a.attemptId === 2)!;
  const failed = attempts.find((a) => a.attemptId === 1)!;
  const r = ok.result as Json;
  const e = failed.error as Json;
  return [
    // Oldest first, whatever order the answer lists them in (the examples list attempt 2 first).
    {
      attemptId: 1,
      status: 'Failed',
      decision: null,
      targetFace: rect(((e.targets as Json).color as Json).faceRectangle),
      digest: null,
      sessionImageId: null,
      verifyResult: null,
      error: { code: e.code, message: e.message },
    },
    {
      attemptId: 2,
      status: 'Succeeded',
      decision: 'realface',
      targetFace: rect(((r.targets as Json).color as Json).faceRectangle),
      digest: r.digest,
      sessionImageId: r.sessionImageId,
      verifyResult: withVerify ? r.verifyResult : null,
      error: null,
    },
  ];
}

describe('LivenessSessionOperations_GetLivenessSessionResult.json', () => {
  const ex = example('LivenessSessionOperations_GetLivenessSessionResult.json');

  it('GETs the session and maps status, token, model version and both attempts (decision, target face, digest, session image; the failed one with its error)', async () => {
    const p = await providerFor(ex);
    const session = await upstream(p).get('detectLiveness', String(ex.parameters.sessionId));
    const req = sentRequest(ex);
    expect(req.body).toHaveLength(0);
    const wire = body(ex);
    expect(session).toEqual({
      id: wire.sessionId,
      authToken: wire.authToken,
      status: wire.status,
      modelVersion: wire.modelVersion,
      attempts: expectedAttempts(wire, false),
      verifyReference: null,
    });
  });

  it('keeps every field of the example through the wire guard', async () => {
    const p = await providerFor(ex);
    expect(await p.liveness.getLivenessSession('liveness', String(ex.parameters.sessionId))).toEqual(body(ex));
  });
});

describe('LivenessSessionOperations_GetLivenessWithVerifySessionResult.json', () => {
  const ex = example('LivenessSessionOperations_GetLivenessWithVerifySessionResult.json');

  it('maps the verify result and the verify reference as well', async () => {
    const p = await providerFor(ex);
    const session = await upstream(p).get('detectLivenessWithVerify', String(ex.parameters.sessionId));
    sentRequest(ex);
    const wire = body(ex);
    const ref = ((wire.results as Json).verifyReferences as Json[])[0]!;
    expect(session).toEqual({
      id: wire.sessionId,
      authToken: wire.authToken,
      status: wire.status,
      modelVersion: wire.modelVersion,
      attempts: expectedAttempts(wire, true),
      verifyReference: { faceRectangle: ref.faceRectangle, qualityForRecognition: ref.qualityForRecognition },
    });
  });

  it('keeps every field through the wire guard, verifyImageHash included (the GraphQL schema has no field for it)', async () => {
    const p = await providerFor(ex);
    const raw = await p.liveness.getLivenessSession('livenessWithVerify', String(ex.parameters.sessionId));
    expect(raw).toEqual(body(ex));
    const view = toLivenessSessionView('livenessWithVerify', raw);
    expect(view.attempts.map((a) => a.result?.verifyImageHash ?? null)).toEqual([
      null,
      '43B7D8E8769533C3290DBD37A84D821B2C28CB4381DF9C6784DBC4AAF7E45018',
    ]);
  });
});

/**
 * The same two examples as published at commit 60419dbd (SOURCE.md), where the decision is
 * spelled "realFace". The specification's LivenessDecision lists "realface" (and the recorded
 * service traffic says "realface"), but it is an open enum (`union { string, ... }` in
 * models.session.tsp). facegraph's guard accepted only the three lower-case values and rejected
 * the whole session (UPSTREAM_BAD_RESPONSE): status, attempts and verify result are all lost
 * over the spelling of one value. It did so until these examples were tested; the guard now
 * compares the decision without regard to case (src/adapters/azure/liveness.ts).
 */
describe('the GetLiveness*SessionResult examples at 60419dbd ("realFace")', () => {
  it('GetLivenessSessionResult: the session is read and the decision is realface', async () => {
    const ex = example('at-60419dbd/LivenessSessionOperations_GetLivenessSessionResult.json');
    const p = await providerFor(ex);
    const session = await upstream(p).get('detectLiveness', String(ex.parameters.sessionId));
    expect(session!.attempts.map((a) => a.decision)).toEqual([null, 'realface']);
  });

  it('GetLivenessWithVerifySessionResult: the session is read and the decision is realface', async () => {
    const ex = example('at-60419dbd/LivenessSessionOperations_GetLivenessWithVerifySessionResult.json');
    const p = await providerFor(ex);
    const session = await upstream(p).get('detectLivenessWithVerify', String(ex.parameters.sessionId));
    expect(session!.attempts.map((a) => a.decision)).toEqual([null, 'realface']);
  });
});

describe('LivenessSessionOperations_DeleteLivenessSession.json and _DeleteLivenessWithVerifySession.json', () => {
  // The stored DeleteLivenessSession example answers 200 (the previews' status); the
  // with-verify one answers 204 (v1.2 GA, reference §4c). Both are a successful delete.
  it.each([
    ['LivenessSessionOperations_DeleteLivenessSession.json', 'detectLiveness', 200],
    ['LivenessSessionOperations_DeleteLivenessWithVerifySession.json', 'detectLivenessWithVerify', 204],
  ] as const)('%s: DELETE on the %s session route, answered %i: deleted', async (file, kind, status) => {
    const ex = example(file);
    expect(responseOf(ex).status).toBe(status);
    const p = await providerFor(ex);
    expect(await upstream(p).delete(kind, String(ex.parameters.sessionId))).toBe(true);
    expect(sentRequest(ex).body).toHaveLength(0);
  });
});

describe('LivenessSessionOperations_GetSessionImage.json', () => {
  const ex = example('LivenessSessionOperations_GetSessionImage.json');

  it('GETs /sessionImages/{id} asking for octet-stream and returns the bytes unchanged', async () => {
    const p = await providerFor(ex);
    const bytes = await upstream(p).sessionImage(String(ex.parameters.sessionImageId));
    const req = sentRequest(ex);
    expect(req.headers.accept).toBe('application/octet-stream');
    expect(bytes?.equals(Buffer.from(String(responseOf(ex).body), 'utf8'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The harness itself, and the fault fixtures

describe('the example server', () => {
  it('answers a request to another route with a bare 404, which facegraph reports as a misconfigured endpoint', async () => {
    const ex = example('LivenessSessionOperations_GetLivenessSessionResult.json');
    const p = await providerFor(ex);
    const err = await expectCode(upstream(p).get('detectLiveness', 'some-other-session'), 'UPSTREAM_BAD_RESPONSE');
    expect(err.details).toMatchObject({ upstreamStatus: 404, upstreamCode: '404' });
  });

  it('answers a request without the subscription key with the documented 401', async () => {
    const ex = example('FaceRecognitionOperations_VerifyFaceToFace.json');
    await providerFor(ex);
    const res = await fetch(`${server.endpoint}/face/v1.2/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(loadRecordedFault('unauthorized-401').body);
  });
});

describe('test/fixtures/azure/faults', () => {
  it.each([
    'bad-argument-recognition-model-incompatible',
    'forbidden-403-unsupported-feature',
    'invalid-image-size-too-small',
    'rate-limited-429',
    'rate-limited-429-legacy',
    'service-unavailable-503',
    'session-not-found-404',
    'unauthorized-401',
  ] as const)('%s is an error status in Azure\'s envelope {"error":{"code","message"}} and names its doc section', (name) => {
    const f = loadRecordedFault(name);
    expect(f.doc).toMatch(/azure-face-v1\.2\.md §\d/);
    expect(f.status).toBeGreaterThanOrEqual(400);
    const e = (f.body as { error: Record<string, unknown> }).error;
    expect(typeof e.code).toBe('string');
    expect(typeof e.message).toBe('string');
    expect(
      Object.keys(e)
        .filter((k) => k !== 'innererror')
        .sort(),
    ).toEqual(['code', 'message']);
    expect(parseAzureErrorBody(JSON.stringify(f.body))?.code).toBe(e.code);
    if (name === 'rate-limited-429') expect(f.headers?.['retry-after']).toMatch(/^\d+$/);
  });
});
