/**
 * The REST surface's pure parts: detect query parsing (Azure's defaults and rules), the
 * FaceError -> Azure error mapping, and the wire shapes (key order, masking, nothing internal).
 */
import { describe, expect, it } from 'vitest';
import { FaceError } from '../../src/domain/errors.js';
import type { DetectedFace } from '../../src/domain/types.js';
import type { SessionView } from '../../src/app/liveness/model.js';
import { parseDetectParameters } from '../../src/api/rest/detect.js';
import { AzureError, fromFaceError } from '../../src/api/rest/errors.js';
import { detectionResult, session, sessionKind } from '../../src/api/rest/wire.js';
import type { AttemptRecord, SessionRecord } from '../../src/ports/liveness-store.js';

const EMBEDDED = { provider: 'embedded', attributes: ['headPose', 'blur', 'exposure', 'noise', 'qualityForRecognition'] as const };

const codeOf = (fn: () => unknown): { status: number; code: string; inner: string | undefined; message: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AzureError) return { status: err.status, code: err.code, inner: err.inner?.code, message: err.message };
    throw err;
  }
  throw new Error('expected an AzureError');
};

describe('parseDetectParameters', () => {
  it("applies Azure's defaults (detection_01, recognition_01, faceId on, 24 h)", () => {
    expect(parseDetectParameters({}, EMBEDDED)).toEqual({
      detectionModel: 'detection_01',
      recognitionModel: 'recognition_01',
      returnFaceId: true,
      returnFaceLandmarks: false,
      returnRecognitionModel: false,
      faceIdTimeToLive: 86_400,
      attributes: [],
    });
  });

  it('reads CSV attributes case-insensitively, without duplicates, or a repeated parameter', () => {
    expect(
      parseDetectParameters({ returnFaceAttributes: 'HeadPose,blur,,headpose', recognitionModel: 'recognition_04' }, EMBEDDED).attributes,
    ).toEqual(['headPose', 'blur']);
    expect(parseDetectParameters({ returnFaceAttributes: ['noise', 'exposure'] }, EMBEDDED).attributes).toEqual(['noise', 'exposure']);
  });

  it('refuses what Azure refuses, with its messages', () => {
    expect(codeOf(() => parseDetectParameters({ detectionModel: 'detection_02', returnFaceLandmarks: 'true' }, EMBEDDED))).toMatchObject({
      status: 400,
      code: 'BadArgument',
      message: "'returnLandmarks' is not supported by detection_02.",
    });
    expect(
      codeOf(() => parseDetectParameters({ returnFaceAttributes: 'qualityForRecognition', recognitionModel: 'recognition_02' }, EMBEDDED))
        .code,
    ).toBe('BadArgument');
    expect(codeOf(() => parseDetectParameters({ faceIdTimeToLive: '59' }, EMBEDDED)).inner).toBe('INVALID_ARGUMENT');
    expect(parseDetectParameters({ faceIdTimeToLive: '60' }, EMBEDDED).faceIdTimeToLive).toBe(60);
    expect(codeOf(() => parseDetectParameters({ returnFaceAttributes: 'mask' }, EMBEDDED)).inner).toBe('UNSUPPORTED_ATTRIBUTE');
    expect(codeOf(() => parseDetectParameters({ returnFaceAttributes: 'gender' }, EMBEDDED)).message).toBe(
      'Invalid argument returnFaceAttributes.',
    );
    // A provider that computes mask accepts it.
    expect(parseDetectParameters({ returnFaceAttributes: 'mask' }, { provider: 'azure', attributes: ['mask'] }).attributes).toEqual([
      'mask',
    ]);
  });
});

describe('fromFaceError', () => {
  it("OVERLOADED is Azure's 429 with Retry-After in whole seconds and the precise code inside", () => {
    const e = fromFaceError(new FaceError('OVERLOADED', 'queue full', { retryAfterSeconds: 2.2 }));
    expect([e.status, e.code, e.message]).toEqual([429, '429', 'Rate limit is exceeded. Try again later.']);
    expect(e.headers).toEqual({ 'Retry-After': '3' });
    expect(e.inner).toEqual({ code: 'OVERLOADED', message: 'queue full' });
  });

  it('FaceNotFound is 404 by default (verify) and 400 where Azure says so', () => {
    const err = new FaceError('FACE_NOT_FOUND', 'Face x was not found');
    expect(fromFaceError(err).status).toBe(404);
    expect(fromFaceError(err, { faceNotFoundStatus: 400 }).status).toBe(400);
  });

  it("image failures take Azure's codes; facegraph's message stays where Azure has none", () => {
    expect(fromFaceError(new FaceError('IMAGE_DIMENSIONS_TOO_LARGE', 'too many pixels')).code).toBe('InvalidImageSize');
    expect(fromFaceError(new FaceError('URL_FORBIDDEN', 'private')).code).toBe('InvalidURL');
    expect(fromFaceError(new FaceError('UNSUPPORTED_ATTRIBUTE', 'no glasses')).message).toBe('no glasses');
  });
});

describe('wire shapes', () => {
  const face: DetectedFace = {
    faceRectangle: { top: 1, left: 2, width: 30, height: 40 },
    detectionScore: 0.9,
    attributes: { headPose: { pitch: 1, roll: 2, yaw: 3 }, blur: { blurLevel: 'low', value: 0.1 } },
    embedding: new Float32Array(128),
  };

  it("a detection result has Azure's keys in Azure's order and nothing internal", () => {
    const wire = detectionResult(face, {
      faceId: 'f',
      recognitionModel: 'recognition_04',
      landmarks: false,
      attributes: new Set(['blur', 'headPose']),
    });
    expect(JSON.parse(JSON.stringify(wire))).toEqual({
      faceId: 'f',
      recognitionModel: 'recognition_04',
      faceRectangle: { top: 1, left: 2, width: 30, height: 40 },
      faceAttributes: { headPose: { pitch: 1, roll: 2, yaw: 3 }, blur: { blurLevel: 'low', value: 0.1 } },
    });
    expect(Object.keys(wire.faceAttributes!)).toEqual(['headPose', 'blur']);
    expect(Object.keys(detectionResult(face, { faceId: null, recognitionModel: null, landmarks: true, attributes: new Set() }))).toEqual([
      'faceRectangle',
    ]);
  });

  const record: SessionRecord = {
    seq: 1,
    id: 's1',
    tokenHash: 'h',
    mode: 'Passive',
    deviceCorrelationId: 'd',
    deviceCorrelationIdSetInClient: false,
    enableSessionImage: true,
    sendResultsToClient: false,
    authTokenTtlSeconds: 600,
    modelVersion: 'm',
    createdAt: 0,
    tokenExpiresAt: 600_000,
    purgeAt: 1e9,
    startedAt: 1,
    verifyReference: {
      faceRectangle: { top: 1, left: 2, width: 3, height: 4 },
      qualityForRecognition: 'high',
      embedding: new Float32Array(128),
    },
    upstreamKind: null,
  };
  const attempt = (over: Partial<AttemptRecord>): AttemptRecord => ({
    sessionId: 's1',
    attemptId: 1,
    status: 'Succeeded',
    decision: 'realface',
    targetFace: { top: 5, left: 6, width: 7, height: 8 },
    digest: 'dd',
    sessionImageId: 'img',
    verifyResult: { isIdentical: true, matchConfidence: 0.9 },
    error: null,
    createdAt: 0,
    finishedAt: 1,
    clientIp: '127.0.0.1',
    requestId: null,
    frameCount: 10,
    reasons: ['R'],
    measures: { m: 1 },
    ...over,
  });
  const view = (attempts: AttemptRecord[]): SessionView => ({
    record,
    attempts,
    status: 'Succeeded',
    attemptsLeft: 2,
    authToken: 'secret',
    verifyReference: { faceRectangle: record.verifyReference!.faceRectangle, qualityForRecognition: 'high' },
  });

  it("a liveness-with-verify session: token and referenceType only at create; attempts in Azure's shape, no audit data", () => {
    const v = view([
      attempt({}),
      attempt({ attemptId: 2, status: 'Failed', decision: null, targetFace: null, error: { code: 'FRAME_UNREADABLE', message: 'bad' } }),
    ]);
    expect(session(v, true)).toMatchObject({ authToken: 'secret', results: { verifyReferences: [{ referenceType: 'image' }] } });
    expect(session(v, false)).toEqual({
      sessionId: 's1',
      authToken: '',
      status: 'Succeeded',
      modelVersion: 'm',
      results: {
        attempts: [
          {
            attemptId: 1,
            attemptStatus: 'Succeeded',
            result: {
              livenessDecision: 'realface',
              targets: { color: { faceRectangle: { top: 5, left: 6, width: 7, height: 8 } } },
              digest: 'dd',
              sessionImageId: 'img',
              verifyResult: { matchConfidence: 0.9, isIdentical: true },
            },
          },
          { attemptId: 2, attemptStatus: 'Failed', error: { code: 'FRAME_UNREADABLE', message: 'bad' } },
        ],
        verifyReferences: [{ faceRectangle: { top: 1, left: 2, width: 3, height: 4 }, qualityForRecognition: 'high' }],
      },
    });
  });

  it('a plain session has no verifyReferences and no verifyResult; a running attempt only its id and status', () => {
    const plain: SessionView = {
      ...view([attempt({ verifyResult: null }), attempt({ attemptId: 2, status: 'Running', decision: null })]),
      record: { ...record, verifyReference: null },
      verifyReference: null,
    };
    const wire = session(plain, false);
    expect(Object.keys(wire.results)).toEqual(['attempts']);
    expect(wire.results.attempts[1]).toEqual({ attemptId: 2, attemptStatus: 'Running' });
  });

  it('an upstream-held session keeps the route family it was created under', () => {
    expect(sessionKind({ upstreamKind: 'detectLivenessWithVerify', verifyReference: null })).toBe('detectLivenessWithVerify');
    expect(sessionKind({ upstreamKind: null, verifyReference: null })).toBe('detectLiveness');
    expect(sessionKind(record)).toBe('detectLivenessWithVerify');
  });
});
