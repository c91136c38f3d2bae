/**
 * The Azure wire mappings, fed the examples of ../shared/reference/azure-face-v1.2.md, and the
 * error-mapping table. Pure functions: no network.
 */
import { describe, expect, it } from 'vitest';
import { mapAzureError, mapTransportError, parseAzureErrorBody, type UpstreamErrorContext } from '../../src/adapters/azure/errors.js';
import { check, WireShapeError } from '../../src/adapters/azure/guard.js';
import { livenessSessionGuard, toLivenessSessionView } from '../../src/adapters/azure/liveness.js';
import {
  detectQuery,
  detectResponseGuard,
  findSimilarResponseGuard,
  groupResponseGuard,
  toDetectedFaces,
  toGrouping,
  toSimilarFaces,
  toVerification,
  verifyResponseGuard,
} from '../../src/adapters/azure/wire.js';
import { AZURE_LANDMARK_NAMES } from '../../src/domain/types.js';
import type { ErrorCode } from '../../src/domain/errors.js';
import type { RecognitionFace } from '../../src/ports/face-provider.js';

/**
 * Reference §2: the real v1.1-preview response to detect?detectionModel=detection_03&
 * recognitionModel=recognition_04&returnFaceId=false&returnFaceAttributes=headPose,mask,
 * qualityForRecognition&returnFaceLandmarks=true. The reference shortens faceLandmarks to its
 * first two points; a real body has all 27, so the other 25 are filled in (distinct values).
 */
const realLandmarks: Record<string, { x: number; y: number }> = Object.fromEntries(
  AZURE_LANDMARK_NAMES.map((name, i) => [name, { x: 500 + i + 0.5, y: 200 + i + 0.25 }]),
);
realLandmarks.pupilLeft = { x: 510.7, y: 206.6 };
realLandmarks.pupilRight = { x: 609.5, y: 178.2 };
const REAL_DETECT = JSON.parse(`[{"faceRectangle":{"top":66,"left":440,"width":227,"height":304},
  "faceLandmarks":${JSON.stringify(realLandmarks)},
  "faceAttributes":{"headPose":{"pitch":-17.1,"roll":-16.9,"yaw":12.3},
    "mask":{"type":"noMask","noseAndMouthCovered":false},"qualityForRecognition":"high"}}]`) as unknown;

describe('detect', () => {
  it('maps the real detect response field by field', () => {
    const [face, ...rest] = toDetectedFaces(check(detectResponseGuard, REAL_DETECT), { returnFaceId: false });
    expect(rest).toEqual([]);
    expect(face!.upstreamFaceId).toBeUndefined();
    expect(face!.faceRectangle).toEqual({ top: 66, left: 440, width: 227, height: 304 });
    expect(face!.detectionScore).toBe(1);
    expect(face!.embedding).toBeUndefined();
    expect(face!.attributes).toEqual({
      headPose: { pitch: -17.1, roll: -16.9, yaw: 12.3 },
      mask: { type: 'noMask', noseAndMouthCovered: false },
      qualityForRecognition: 'high',
    });
    expect(Object.keys(face!.landmarks!)).toEqual([...AZURE_LANDMARK_NAMES]);
    expect(face!.landmarks!.pupilLeft).toEqual({ x: 510.7, y: 206.6 });
    expect(face!.landmarks!.pupilRight).toEqual({ x: 609.5, y: 178.2 });
    expect(face!.landmarks!.underLipBottom).toEqual({ x: 526.5, y: 226.25 });
  });

  it('rejects landmarks with fewer than the 27 points (the reference example as shortened)', () => {
    const shortened = [
      {
        faceRectangle: { top: 66, left: 440, width: 227, height: 304 },
        faceLandmarks: { pupilLeft: { x: 510.7, y: 206.6 }, pupilRight: { x: 609.5, y: 178.2 } },
      },
    ];
    expect(() => check(detectResponseGuard, shortened)).toThrow(/\$\[0\]\.faceLandmarks\.noseTip/);
  });

  it('maps every Azure attribute, keeps faceId as upstreamFaceId, and drops limited attributes', () => {
    const wire = [
      {
        faceId: 'c5c24a82-6845-4031-9d5d-978df9175426',
        recognitionModel: 'recognition_04',
        faceRectangle: { top: 10, left: 20, width: 100, height: 120 },
        faceAttributes: {
          age: 31,
          smile: 0.2,
          glasses: 'readingGlasses',
          occlusion: { foreheadOccluded: false, eyeOccluded: true, mouthOccluded: false },
          accessories: [{ type: 'glasses', confidence: 0.99 }],
          blur: { blurLevel: 'medium', value: 0.42 },
          exposure: { exposureLevel: 'goodExposure', value: 0.6 },
          noise: { noiseLevel: 'low', value: 0.1 },
          mask: { type: 'faceMask', noseAndMouthCovered: true },
        },
      },
    ];
    const [face] = toDetectedFaces(check(detectResponseGuard, wire), { returnFaceId: true });
    expect(face!.upstreamFaceId).toBe('c5c24a82-6845-4031-9d5d-978df9175426');
    expect(face!.landmarks).toBeUndefined();
    expect(face!.attributes).toEqual({
      glasses: 'readingGlasses',
      occlusion: { foreheadOccluded: false, eyeOccluded: true, mouthOccluded: false },
      accessories: [{ type: 'glasses', confidence: 0.99 }],
      blur: { blurLevel: 'medium', value: 0.42 },
      exposure: { exposureLevel: 'goodExposure', value: 0.6 },
      noise: { noiseLevel: 'low', value: 0.1 },
      mask: { type: 'faceMask', noseAndMouthCovered: true },
    });
  });

  it('a face without faceId when one was asked for is a bad response; unknown enum values too', () => {
    const noId = check(detectResponseGuard, [{ faceRectangle: { top: 1, left: 1, width: 40, height: 40 } }]);
    expect(() => toDetectedFaces(noId, { returnFaceId: true })).toThrow(WireShapeError);
    expect(() =>
      check(detectResponseGuard, [
        { faceRectangle: { top: 1, left: 1, width: 40, height: 40 }, faceAttributes: { qualityForRecognition: 'great' } },
      ]),
    ).toThrow(/qualityForRecognition/);
    expect(() => check(detectResponseGuard, { faces: [] })).toThrow(/expected an array/);
  });

  it('builds Azure query parameters from the detection options', () => {
    const q = detectQuery({
      detectionModel: 'detection_01',
      recognitionModel: 'recognition_03',
      returnFaceId: true,
      faceIdTimeToLive: 3600,
      returnLandmarks: true,
      attributes: ['glasses', 'accessories', 'glasses'],
    });
    expect(Object.fromEntries(q)).toEqual({
      detectionModel: 'detection_01',
      recognitionModel: 'recognition_03',
      returnFaceId: 'true',
      returnFaceLandmarks: 'true',
      returnFaceAttributes: 'glasses,accessories',
      faceIdTimeToLive: '3600',
      returnRecognitionModel: 'false',
    });
  });
});

const rf = (id: string): RecognitionFace => ({
  faceId: id,
  recognitionModel: 'recognition_04',
  face: { upstreamFaceId: id, faceRectangle: { top: 0, left: 0, width: 1, height: 1 }, detectionScore: 1, attributes: {} },
});

describe('verify, findsimilars, group (reference §3 examples)', () => {
  it('verify', () => {
    expect(toVerification(check(verifyResponseGuard, { isIdentical: true, confidence: 0.9 }))).toEqual({
      isIdentical: true,
      confidence: 0.9,
    });
    expect(() => check(verifyResponseGuard, { isIdentical: 'yes', confidence: 0.9 })).toThrow(/isIdentical/);
  });

  it('findsimilars maps faceIds back to the candidates, in Azure order, at most max', () => {
    const a = rf('015839fb-…');
    const b = rf('be386ab3-…');
    const wire = check(findSimilarResponseGuard, [
      { confidence: 0.9, faceId: '015839fb-…' },
      { confidence: 0.4, faceId: 'be386ab3-…' },
    ]);
    expect(toSimilarFaces(wire, [b, a], 20)).toEqual([
      { face: a, confidence: 0.9 },
      { face: b, confidence: 0.4 },
    ]);
    expect(toSimilarFaces(wire, [b, a], 1)).toEqual([{ face: a, confidence: 0.9 }]);
    // The v1.2 spec example wrongly shows persistedFaceId for faceIds mode: not one of ours.
    expect(() => toSimilarFaces(check(findSimilarResponseGuard, [{ confidence: 0.9, persistedFaceId: '015839fb-…' }]), [a], 20)).toThrow(
      WireShapeError,
    );
  });

  it('group maps ids back; a missing messyGroup is empty', () => {
    const ids = ['c5c24a82-…', '015839fb-…', 'fce92aed-…', 'b64d5e15-…', '65d083d4-…', '30ea1073-…', 'be386ab3-…', 'fbd2a038-…'];
    const faces = ids.map(rf);
    const byId = new Map(faces.map((f) => [f.faceId, f]));
    const wire = check(groupResponseGuard, {
      groups: [
        ['c5c24a82-…', '015839fb-…', 'fce92aed-…', 'b64d5e15-…'],
        ['65d083d4-…', '30ea1073-…'],
      ],
      messyGroup: ['be386ab3-…', 'fbd2a038-…'],
    });
    const g = toGrouping(wire, faces);
    expect(g.groups.map((grp) => grp.map((f) => f.faceId))).toEqual(wire.groups);
    expect(g.groups[0]![0]).toBe(byId.get('c5c24a82-…'));
    expect(g.messyGroup.map((f) => f.faceId)).toEqual(['be386ab3-…', 'fbd2a038-…']);
    expect(check(groupResponseGuard, { groups: [] }).messyGroup).toEqual([]);
    expect(() => toGrouping(check(groupResponseGuard, { groups: [['stranger']], messyGroup: [] }), faces)).toThrow(WireShapeError);
  });
});

describe('liveness sessions (reference §4b, §4c)', () => {
  it('the real create response of a liveness-with-verify session, with verifyReferences', () => {
    const wire = check(
      livenessSessionGuard,
      JSON.parse(`{"sessionId":"18d18cab-…","authToken":"<jwt>","status":"NotStarted","modelVersion":"2024-11-15",
 "results":{"attempts":[],
   "verifyReferences":[{"referenceType":"image","faceRectangle":{"top":66,"left":440,"width":227,"height":304},
                        "qualityForRecognition":"high"}]}}`),
    );
    expect(toLivenessSessionView('livenessWithVerify', wire)).toEqual({
      kind: 'livenessWithVerify',
      id: '18d18cab-…',
      authToken: '<jwt>',
      status: 'NotStarted',
      modelVersion: '2024-11-15',
      attempts: [],
      verifyReferences: [
        { referenceType: 'image', faceRectangle: { top: 66, left: 440, width: 227, height: 304 }, qualityForRecognition: 'high' },
      ],
    });
  });

  it('the real Succeeded session with one attempt', () => {
    const wire = check(
      livenessSessionGuard,
      JSON.parse(`{"sessionId":"c0960a93-…","authToken":"","status":"Succeeded","modelVersion":"2024-11-15",
 "results":{"attempts":[{"attemptId":1,"attemptStatus":"Succeeded",
   "result":{"livenessDecision":"realface",
             "targets":{"color":{"faceRectangle":{"top":669,"left":203,"width":646,"height":724}}},
             "digest":"E766494E…943F","sessionImageId":"AZMKlsBUe_NDl7I5biCIanQkXqGbA96ST54SV4BVmqL9"}}]}}`),
    );
    const view = toLivenessSessionView('liveness', wire);
    expect(view.id).toBe('c0960a93-…');
    expect(view.authToken).toBe('');
    expect(view.status).toBe('Succeeded');
    expect(view.modelVersion).toBe('2024-11-15');
    expect(view.verifyReferences).toEqual([]);
    expect(view.attempts).toEqual([
      {
        attemptId: 1,
        attemptStatus: 'Succeeded',
        result: {
          livenessDecision: 'realface',
          targetFace: { top: 669, left: 203, width: 646, height: 724 },
          digest: 'E766494E…943F',
          sessionImageId: 'AZMKlsBUe_NDl7I5biCIanQkXqGbA96ST54SV4BVmqL9',
          verifyResult: null,
          verifyImageHash: null,
        },
        error: null,
      },
    ]);
  });

  it('a liveness-with-verify attempt carries verifyResult (and verifyImageHash)', () => {
    const wire = check(livenessSessionGuard, {
      sessionId: 's',
      authToken: '',
      status: 'Succeeded',
      results: {
        verifyReferences: [{ faceRectangle: { top: 66, left: 440, width: 227, height: 304 }, qualityForRecognition: 'high' }],
        attempts: [
          {
            attemptId: 1,
            attemptStatus: 'Succeeded',
            result: {
              livenessDecision: 'realface',
              targets: { color: { faceRectangle: { top: 669, left: 203, width: 646, height: 724 } } },
              digest: 'D1',
              verifyResult: { matchConfidence: 0.12141934, isIdentical: false },
              verifyImageHash: 'ab'.repeat(32),
            },
          },
        ],
      },
    });
    const view = toLivenessSessionView('livenessWithVerify', wire);
    expect(view.modelVersion).toBeNull();
    expect(view.attempts[0]!.result!.verifyResult).toEqual({ matchConfidence: 0.12141934, isIdentical: false });
    expect(view.attempts[0]!.result!.verifyImageHash).toBe('ab'.repeat(32));
    expect(view.attempts[0]!.result!.sessionImageId).toBeNull();
    // GET omits referenceType.
    expect(view.verifyReferences).toEqual([
      { referenceType: null, faceRectangle: { top: 66, left: 440, width: 227, height: 304 }, qualityForRecognition: 'high' },
    ]);
  });

  it('a failed attempt with error FaceWithMaskDetected', () => {
    const wire = check(livenessSessionGuard, {
      sessionId: 's',
      authToken: '',
      status: 'Running',
      results: {
        attempts: [
          {
            attemptId: 2,
            attemptStatus: 'Failed',
            error: {
              code: 'FaceWithMaskDetected',
              message: 'Mask detected on face image.',
              targets: { color: { faceRectangle: { top: 1, left: 2, width: 3, height: 4 } } },
            },
          },
          {
            attemptId: 1,
            attemptStatus: 'Failed',
            result: null,
            error: { code: 'FaceWithMaskDetected', message: 'Mask detected on face image.' },
          },
        ],
      },
    });
    const view = toLivenessSessionView('liveness', wire);
    // Oldest first, whatever order the wire used.
    expect(view.attempts.map((a) => a.attemptId)).toEqual([1, 2]);
    expect(view.attempts[0]).toEqual({
      attemptId: 1,
      attemptStatus: 'Failed',
      result: null,
      error: { code: 'FaceWithMaskDetected', message: 'Mask detected on face image.', targetFace: null },
    });
    expect(view.attempts[1]!.error).toEqual({
      code: 'FaceWithMaskDetected',
      message: 'Mask detected on face image.',
      targetFace: { top: 1, left: 2, width: 3, height: 4 },
    });
  });

  it('rejects a session with an unknown status or decision', () => {
    expect(() =>
      check(livenessSessionGuard, { sessionId: 's', authToken: '', status: 'ResultAvailable', results: { attempts: [] } }),
    ).toThrow(/\$\.status/);
    expect(() =>
      check(livenessSessionGuard, {
        sessionId: 's',
        authToken: '',
        status: 'Succeeded',
        results: {
          attempts: [
            {
              attemptId: 1,
              attemptStatus: 'Succeeded',
              result: {
                livenessDecision: 'maybe',
                targets: { color: { faceRectangle: { top: 0, left: 0, width: 1, height: 1 } } },
                digest: 'd',
              },
            },
          ],
        },
      }),
    ).toThrow(/livenessDecision/);
  });
});

describe('error mapping', () => {
  const map = (status: number, code: string, message: string, extra: Partial<UpstreamErrorContext> = {}) =>
    mapAzureError({ status, body: parseAzureErrorBody(JSON.stringify({ error: { code, message } })), ...extra });

  const table: Array<[number, string, string, ErrorCode]> = [
    [400, 'InvalidImageSize', 'Image size is too small.', 'IMAGE_TOO_SMALL'],
    [400, 'InvalidImageSize', 'Image size is too big.', 'IMAGE_TOO_LARGE'],
    [400, 'InvalidImage', 'Decoding error, image format unsupported.', 'UNSUPPORTED_IMAGE_FORMAT'],
    [400, 'InvalidImage', 'Image is corrupt.', 'CORRUPT_IMAGE'],
    [400, 'InvalidImage', 'No face detected in the image.', 'NO_FACE_IN_IMAGE'],
    [400, 'InvalidURL', 'Invalid image URL.', 'URL_FETCH_FAILED'],
    [404, 'FaceNotFound', 'Face is not found.', 'FACE_NOT_FOUND'],
    [400, 'FaceNotFound', 'Face is not found.', 'FACE_NOT_FOUND'],
    [400, 'BadArgument', "'recognitionModel' is incompatible.", 'RECOGNITION_MODEL_MISMATCH'],
    [400, 'BadArgument', "'detectionModel' is invalid.", 'INVALID_ARGUMENT'],
    [400, 'InvalidRequestBody', 'Request body is invalid.', 'INVALID_ARGUMENT'],
    [400, 'InvalidTokenLifetime', 'Must be within 60 to 86400', 'INVALID_ARGUMENT'],
    [400, 'InvalidDeviceCorrelationId', 'Must not be null or empty, and be no more than 64 characters.', 'INVALID_ARGUMENT'],
    [400, 'InvalidLivenessOperationMode', 'Invalid mode.', 'INVALID_ARGUMENT'],
    [404, 'SessionNotFound', 'Session ID is not found. The session ID is expired or does not exist.', 'SESSION_NOT_FOUND'],
    [401, '401', 'Access denied due to invalid subscription key or wrong API endpoint.', 'UPSTREAM_UNAUTHORIZED'],
    [403, 'InvalidRequest', 'Invalid request has been sent.', 'UPSTREAM_UNAUTHORIZED'],
    [429, '429', 'Rate limit is exceeded.', 'UPSTREAM_RATE_LIMITED'],
    [429, 'RateLimitExceeded', 'Rate limit is exceeded. Try again later.', 'UPSTREAM_RATE_LIMITED'],
    [500, 'InternalServerError', 'oops', 'UPSTREAM_UNAVAILABLE'],
    [503, 'ServiceUnavailable', 'busy', 'UPSTREAM_UNAVAILABLE'],
    [408, 'Timeout', 'too slow', 'UPSTREAM_TIMEOUT'],
    [404, '404', 'Resource not found', 'UPSTREAM_BAD_RESPONSE'],
    [409, 'ConcurrentOperationConflict', 'conflict', 'INVALID_ARGUMENT'],
  ];

  it.each(table)('%i %s (%s) -> %s, keeping upstreamCode and upstreamStatus', (status, code, message, expected) => {
    const err = map(status, code, message);
    expect(err.code).toBe(expected);
    expect(err.details.upstreamCode).toBe(code);
    expect(err.details.upstreamStatus).toBe(status);
  });

  it('INVALID_ARGUMENT names the quoted argument; messages are Azure’s for input errors', () => {
    const err = map(400, 'BadArgument', "'faceIdTimeToLive' is invalid.");
    expect(err.details.argument).toBe('faceIdTimeToLive');
    expect(err.message).toBe("'faceIdTimeToLive' is invalid.");
  });

  it('a 404 with an unknown code takes the operation’s meaning when given', () => {
    expect(map(404, 'NotFound', 'gone', { notFound: 'SESSION_IMAGE_NOT_FOUND' }).code).toBe('SESSION_IMAGE_NOT_FOUND');
    expect(map(404, 'NotFound', 'gone').code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('429 carries retryAfterSeconds; 503 only when the upstream said', () => {
    expect(map(429, '429', 'x', { retryAfterSeconds: 7 }).details.retryAfterSeconds).toBe(7);
    expect(map(503, 'ServiceUnavailable', 'x').details.retryAfterSeconds).toBeUndefined();
    expect(map(503, 'ServiceUnavailable', 'x', { retryAfterSeconds: 3 }).details.retryAfterSeconds).toBe(3);
  });

  it('innererror with a facegraph code passes through, with the outer and inner codes kept', () => {
    for (const inner of ['IMAGE_DIMENSIONS_TOO_LARGE', 'CORRUPT_IMAGE', 'UNSUPPORTED_ATTRIBUTE', 'URL_FORBIDDEN'] as const) {
      const body = parseAzureErrorBody(
        JSON.stringify({ error: { code: 'BadArgument', message: 'outer', innererror: { code: inner, message: `inner ${inner}` } } }),
      );
      const err = mapAzureError({ status: 400, body });
      expect(err.code).toBe(inner);
      expect(err.message).toBe(`inner ${inner}`);
      expect(err.details).toMatchObject({ upstreamCode: 'BadArgument', upstreamInnerCode: inner, upstreamStatus: 400 });
    }
  });

  it('innererror never passes through infrastructure or authentication codes; the status decides', () => {
    const body = (inner: string) =>
      parseAzureErrorBody(JSON.stringify({ error: { code: 'X', message: 'm', innererror: { code: inner } } }));
    expect(mapAzureError({ status: 401, body: body('UNAUTHENTICATED') }).code).toBe('UPSTREAM_UNAUTHORIZED');
    expect(mapAzureError({ status: 503, body: body('OVERLOADED') }).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(mapAzureError({ status: 400, body: body('UNAUTHENTICATED') }).code).toBe('INVALID_ARGUMENT');
    // A 403 with an inner facegraph input code is still an upstream auth problem.
    expect(mapAzureError({ status: 403, body: body('CORRUPT_IMAGE') }).code).toBe('UPSTREAM_UNAUTHORIZED');
  });

  it('an unknown innererror code (UnsupportedFeature) is kept as upstreamInnerCode', () => {
    const body = parseAzureErrorBody(
      JSON.stringify({ error: { code: 'InvalidRequest', innererror: { code: 'UnsupportedFeature', message: 'missing approval' } } }),
    );
    const err = mapAzureError({ status: 403, body });
    expect(err.code).toBe('UPSTREAM_UNAUTHORIZED');
    expect(err.details).toMatchObject({ upstreamCode: 'InvalidRequest', upstreamInnerCode: 'UnsupportedFeature' });
    expect(err.message).toContain('missing approval');
  });

  it('a non-JSON error body falls back to x-ms-error-code, then the status', () => {
    expect(parseAzureErrorBody('<html>bad gateway</html>')).toBeNull();
    expect(parseAzureErrorBody('{"message":"no envelope"}')).toBeNull();
    const a = mapAzureError({ status: 502, body: null, headerCode: 'BadGateway' });
    expect(a.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(a.details).toMatchObject({ upstreamCode: 'BadGateway', upstreamStatus: 502 });
    expect(mapAzureError({ status: 502, body: null }).details.upstreamCode).toBe('502');
  });

  it('transport errors: timeouts -> UPSTREAM_TIMEOUT, resets and refusals -> UPSTREAM_UNAVAILABLE', () => {
    const e = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });
    expect(mapTransportError(e('UND_ERR_HEADERS_TIMEOUT')).code).toBe('UPSTREAM_TIMEOUT');
    expect(mapTransportError(e('UND_ERR_BODY_TIMEOUT')).code).toBe('UPSTREAM_TIMEOUT');
    expect(mapTransportError(e('UND_ERR_CONNECT_TIMEOUT')).code).toBe('UPSTREAM_TIMEOUT');
    expect(mapTransportError(e('ECONNREFUSED')).details).toEqual({ upstreamCode: 'ECONNREFUSED', upstreamStatus: null });
    // undici's "other side closed" names the socket's own error as its cause.
    expect(mapTransportError(e('UND_ERR_SOCKET', e('ECONNRESET'))).details.upstreamCode).toBe('ECONNRESET');
    expect(mapTransportError(new Error('weird')).code).toBe('UPSTREAM_UNAVAILABLE');
  });
});
