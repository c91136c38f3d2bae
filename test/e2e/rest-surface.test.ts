/**
 * The Azure-compatible REST surface with plain fetch: every error path answers Azure's status,
 * code and envelope (`x-ms-error-code`, `apim-request-id`), with facegraph's precise code in
 * `innererror`; nothing is registered by a failed request, and a valid detect still succeeds
 * after each one. One server, with one worker and a one-image queue so a burst overflows it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, manifest } from '../helpers/paths.js';
import { pngBomb } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { WireFaceErrorResponse } from '../../src/contracts/azure-face-v1.2.js';

let server: TestServer;
let base: string;
let loopbackImage: http.Server;
let loopbackUrl: string;

beforeAll(async () => {
  // An image host on loopback: the SSRF guard must refuse it (no allow-list in this file).
  loopbackImage = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(face('people/obama/1.jpg')));
  await new Promise<void>((resolve) => loopbackImage.listen(0, '127.0.0.1', resolve));
  loopbackUrl = `http://127.0.0.1:${(loopbackImage.address() as AddressInfo).port}/photo.jpg`;
  server = await startTestServer({ FACEGRAPH_WORKERS: '1', FACEGRAPH_MAX_QUEUE: '1' });
  base = server.url.replace(/\/graphql$/, '/face/v1.2');
});

afterAll(async () => {
  await server?.stop();
  loopbackImage?.closeAllConnections();
  await new Promise((r) => loopbackImage?.close(r));
});

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

type Body = Buffer | string | FormData | Record<string, unknown> | undefined;

async function call(method: string, route: string, body?: Body, contentType?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  let payload: BodyInit | undefined;
  if (Buffer.isBuffer(body)) {
    payload = new Uint8Array(body);
    headers['content-type'] = contentType ?? 'application/octet-stream';
  } else if (typeof body === 'string') {
    payload = body;
    headers['content-type'] = contentType ?? 'application/json';
  } else if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = contentType ?? 'application/json';
  }
  const res = await fetch(`${base}${route}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (e.g. image bytes): kept as text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const detect = (query: string, body: Body, contentType?: string): Promise<Answer> => call('POST', `/detect${query}`, body, contentType);

/** A valid detection right after: the server keeps serving and the connection pool is healthy. */
async function stillServes(): Promise<void> {
  const res = await detect('', face('variants/obama-1-small.jpg'));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toHaveLength(1);
}

/** The answer is Azure's error envelope with this status and code (and facegraph's inner code). */
async function expectError(
  answer: Answer | Promise<Answer>,
  status: number,
  code: string,
  inner?: string | null,
  message?: string | RegExp,
): Promise<WireFaceErrorResponse> {
  const before = server.app.services.registry.size;
  const res = await answer;
  const body = res.body as WireFaceErrorResponse;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(5);
  if (message !== undefined) expect(body.error.message).toMatch(message);
  if (inner === null) expect(body.error.innererror).toBeUndefined();
  else if (inner !== undefined) {
    expect(body.error.innererror?.code).toBe(inner);
    expect(body.error.innererror?.message?.length).toBeGreaterThan(5);
  }
  expect(res.headers.get('x-ms-error-code')).toBe(code);
  expect(res.headers.get('apim-request-id')).toBeTruthy();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(server.app.services.registry.size).toBe(before);
  await stillServes();
  return body;
}

const jpeg = face('people/obama/1.jpg');

describe('detect: images', () => {
  it('under 1 KB -> InvalidImageSize (IMAGE_TOO_SMALL)', () =>
    expectError(detect('', randomBytes(600)), 400, 'InvalidImageSize', 'IMAGE_TOO_SMALL', 'Image size is too small.'));

  it('over 6 MB -> InvalidImageSize (IMAGE_TOO_LARGE), read and refused without buffering', () =>
    expectError(detect('', randomBytes(6 * 1024 * 1024 + 1)), 400, 'InvalidImageSize', 'IMAGE_TOO_LARGE', 'Image size is too big.'));

  it('exactly 6 MB is within the limit (then fails as an image, not as a size)', () =>
    expectError(detect('', randomBytes(6 * 1024 * 1024)), 400, 'InvalidImage', 'UNSUPPORTED_IMAGE_FORMAT'));

  it('bytes that are not an image -> InvalidImage (UNSUPPORTED_IMAGE_FORMAT)', () =>
    expectError(
      detect('', randomBytes(4096)),
      400,
      'InvalidImage',
      'UNSUPPORTED_IMAGE_FORMAT',
      'Decoding error, image format unsupported.',
    ));

  it('a truncated JPEG -> InvalidImage (CORRUPT_IMAGE)', () =>
    expectError(detect('', jpeg.subarray(0, Math.floor(jpeg.length / 2))), 400, 'InvalidImage', 'CORRUPT_IMAGE'));

  it('a PNG declaring 30000x30000 -> InvalidImageSize (IMAGE_DIMENSIONS_TOO_LARGE)', async () => {
    const bomb = await pngBomb(30_000, 30_000, 24);
    await expectError(detect('', bomb), 400, 'InvalidImageSize', 'IMAGE_DIMENSIONS_TOO_LARGE');
  });

  it('an image without faces is 200 []', async () => {
    const res = await detect('', await noFaceImage());
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});

/** A real JPEG of random pixels: decodable, no face in it. */
function noFaceImage(): Promise<Buffer> {
  return sharp(randomBytes(320 * 240 * 3), { raw: { width: 320, height: 240, channels: 3 } })
    .jpeg()
    .toBuffer();
}

describe('detect: URLs and session images', () => {
  it('a malformed URL or a non-http scheme -> InvalidURL (INVALID_URL)', async () => {
    await expectError(detect('', { url: 'not a url' }), 400, 'InvalidURL', 'INVALID_URL', 'Invalid image URL.');
    await expectError(detect('', { url: 'file:///etc/passwd' }), 400, 'InvalidURL', 'INVALID_URL');
    await expectError(detect('', { url: 42 }), 400, 'InvalidURL', 'INVALID_URL');
  });

  it('a URL to loopback or the metadata address -> InvalidURL (URL_FORBIDDEN)', async () => {
    await expectError(detect('', { url: loopbackUrl }), 400, 'InvalidURL', 'URL_FORBIDDEN');
    await expectError(detect('', { url: 'http://169.254.169.254/latest/meta-data/' }), 400, 'InvalidURL', 'URL_FORBIDDEN');
  });

  it('neither or both of url and sessionImageId -> BadArgument', async () => {
    await expectError(detect('', {}), 400, 'BadArgument', 'INVALID_IMAGE_INPUT', 'Request body is invalid.');
    await expectError(detect('', { url: loopbackUrl, sessionImageId: 'A'.repeat(32) }), 400, 'BadArgument', 'INVALID_IMAGE_INPUT');
  });

  it('an unknown sessionImageId -> 404 SessionImageNotFound, on detect and on /sessionImages', async () => {
    await expectError(detect('', { sessionImageId: 'A'.repeat(32) }), 404, 'SessionImageNotFound', 'SESSION_IMAGE_NOT_FOUND');
    await expectError(call('GET', `/sessionImages/${'A'.repeat(32)}`), 404, 'SessionImageNotFound', 'SESSION_IMAGE_NOT_FOUND');
    await expectError(call('GET', '/sessionImages/..%2F..%2Fetc'), 404, 'SessionImageNotFound');
  });
});

describe('detect: query parameters', () => {
  it('faceIdTimeToLive outside 60–86400 or not an integer -> BadArgument (INVALID_ARGUMENT)', async () => {
    for (const ttl of ['59', '86401', 'abc', '600.5', '-60']) {
      await expectError(detect(`?faceIdTimeToLive=${ttl}`, jpeg), 400, 'BadArgument', 'INVALID_ARGUMENT', /faceIdTimeToLive/);
    }
  });

  it('an attribute the provider does not compute -> BadArgument (UNSUPPORTED_ATTRIBUTE)', async () => {
    const body = await expectError(
      detect('?returnFaceAttributes=headPose,glasses', jpeg),
      400,
      'BadArgument',
      'UNSUPPORTED_ATTRIBUTE',
      /glasses/,
    );
    expect(body.error.innererror!.message).toMatch(/glasses/);
    await expectError(detect('?returnFaceAttributes=age', jpeg), 400, 'BadArgument', 'UNSUPPORTED_ATTRIBUTE');
  });

  it('a name that is no Azure attribute -> BadArgument "Invalid argument returnFaceAttributes."', () =>
    expectError(
      detect('?returnFaceAttributes=emotion', jpeg),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'Invalid argument returnFaceAttributes.',
    ));

  it("detection_02 refuses landmarks and attributes with Azure's messages", async () => {
    await expectError(
      detect('?detectionModel=detection_02&returnFaceLandmarks=true', jpeg),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      "'returnLandmarks' is not supported by detection_02.",
    );
    await expectError(
      detect('?detectionModel=detection_02&returnFaceAttributes=headPose', jpeg),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      "'returnFaceAttributes' is not supported by detection_02.",
    );
    const ok = await detect('?detectionModel=detection_02', jpeg);
    expect(ok.status).toBe(200);
  });

  it('qualityForRecognition needs recognition_03/04 (and the default is recognition_01)', async () => {
    await expectError(
      detect('?returnFaceAttributes=qualityForRecognition', jpeg),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      /recognition_01/,
    );
    const ok = await detect('?returnFaceAttributes=qualityforrecognition&recognitionModel=recognition_03', jpeg);
    expect(ok.status).toBe(200);
    expect((ok.body as Array<{ faceAttributes: Record<string, unknown> }>)[0]!.faceAttributes).toEqual({ qualityForRecognition: 'high' });
  });

  it('unknown models and non-boolean flags -> BadArgument', async () => {
    await expectError(detect('?detectionModel=detection_09', jpeg), 400, 'BadArgument', 'INVALID_ARGUMENT', "'detectionModel' is invalid.");
    await expectError(
      detect('?recognitionModel=recognition_05', jpeg),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      "'recognitionModel' is invalid.",
    );
    await expectError(detect('?returnFaceId=maybe', jpeg), 400, 'BadArgument', 'INVALID_ARGUMENT', "'returnFaceId' is invalid.");
    await expectError(detect('?returnFaceLandmarks=true&returnFaceLandmarks=false', jpeg), 400, 'BadArgument', 'INVALID_ARGUMENT');
  });
});

describe('request bodies and routes', () => {
  it('malformed JSON -> BadArgument "JSON parsing error."', async () => {
    await expectError(detect('', '{"url": '), 400, 'BadArgument', null, 'JSON parsing error.');
    await expectError(call('POST', '/verify', '{"faceId1": "a", '), 400, 'BadArgument', null, 'JSON parsing error.');
    await expectError(call('POST', '/group', '[1, 2]'), 400, 'BadArgument', null, 'Request body is invalid.');
    await expectError(call('POST', '/group', ''), 400, 'BadArgument', null, 'Request body is invalid.');
  });

  it('a Content-Type the operation does not take -> 415 BadArgument "Invalid Media Type."', async () => {
    await expectError(detect('', jpeg, 'image/jpeg'), 415, 'BadArgument', 'UNSUPPORTED_MEDIA_TYPE', 'Invalid Media Type.');
    await expectError(call('POST', '/verify', Buffer.from('{}'), 'text/plain'), 415, 'BadArgument', 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(
      call('POST', '/detectLivenessWithVerify-sessions', { livenessOperationMode: 'Passive' }),
      415,
      'BadArgument',
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('a JSON body over 256 KB -> BadArgument', () =>
    expectError(
      call('POST', '/group', { faceIds: Array.from({ length: 8000 }, () => randomUUID()) }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      /too large/,
    ));

  it("an unknown API version, route or method -> 404 with Azure's body", async () => {
    const v = (version: string) =>
      fetch(`${base.replace('/v1.2', `/${version}`)}/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(jpeg),
      });
    const toAnswer = async (res: Response): Promise<Answer> => ({ status: res.status, headers: res.headers, body: await res.json() });
    await expectError(toAnswer(await v('v1.0-nope')), 404, '404', null, 'Resource not found');
    await expectError(toAnswer(await v('v9')), 404, '404');
    await expectError(call('POST', '/persongroups/g/persons/p/train'), 404, '404');
    await expectError(call('PUT', '/facelists/f/train'), 404, '404');
    await expectError(call('GET', '/detect'), 404, '404');
    await expectError(call('GET', '/detectLiveness-sessions'), 404, '404');
  });

  it('every response, success included, carries apim-request-id', async () => {
    const res = await detect('', face('variants/obama-1-small.jpg'));
    expect(res.status).toBe(200);
    expect(res.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-ms-error-code')).toBeNull();
  });
});

/** faceIds of the largest face of each photo, detected with the given recognition model. */
async function faceIds(files: string[], recognitionModel = 'recognition_04'): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const res = await detect(`?detectionModel=detection_03&recognitionModel=${recognitionModel}`, face(file));
    expect(res.status).toBe(200);
    ids.push((res.body as Array<{ faceId: string }>)[0]!.faceId);
  }
  return ids;
}

describe('verify, findsimilars, group', () => {
  it('verify: an unknown faceId is 404 FaceNotFound; a malformed one BadArgument', async () => {
    const [known] = await faceIds(['people/obama/1.jpg']);
    await expectError(
      call('POST', '/verify', { faceId1: known, faceId2: randomUUID() }),
      404,
      'FaceNotFound',
      'FACE_NOT_FOUND',
      'Face is not found.',
    );
    await expectError(
      call('POST', '/verify', { faceId1: known, faceId2: 'nope' }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'Face ID is invalid.',
    );
    await expectError(call('POST', '/verify', { faceId1: known }), 400, 'BadArgument', 'INVALID_ARGUMENT', 'Face ID is invalid.');
  });

  it('verify to a person and identify: an unknown group is a 400 of its kind; PersonDirectory forms are not supported', async () => {
    const [known] = await faceIds(['people/obama/1.jpg']);
    await expectError(
      call('POST', '/verify', { faceId: known, personGroupId: 'pg', personId: randomUUID() }),
      400,
      'PersonGroupNotFound',
      'COLLECTION_NOT_FOUND',
    );
    await expectError(
      call('POST', '/verify', { faceId: known, largePersonGroupId: 'lpg', personId: randomUUID() }),
      400,
      'LargePersonGroupNotFound',
      'COLLECTION_NOT_FOUND',
    );
    await expectError(
      call('POST', '/verify', { faceId: known, personId: randomUUID() }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      /not supported by facegraph/,
    );
    await expectError(call('POST', '/verify', {}), 400, 'BadArgument', 'INVALID_ARGUMENT', 'Request body is invalid.');
    await expectError(
      call('POST', '/identify', { faceIds: [known], largePersonGroupId: 'g' }),
      400,
      'LargePersonGroupNotFound',
      'COLLECTION_NOT_FOUND',
    );
    await expectError(
      call('POST', '/identify', { faceIds: [known], personIds: ['*'] }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      /not supported by facegraph/,
    );
  });

  it('faces of different recognition models -> BadArgument "\'recognitionModel\' is incompatible."', async () => {
    const [a] = await faceIds(['people/obama/1.jpg'], 'recognition_04');
    const [b] = await faceIds(['people/obama/2.jpg'], 'recognition_03');
    await expectError(
      call('POST', '/verify', { faceId1: a, faceId2: b }),
      400,
      'BadArgument',
      'RECOGNITION_MODEL_MISMATCH',
      "'recognitionModel' is incompatible.",
    );
  });

  it('findsimilars: an unknown faceId is 400 FaceNotFound', async () => {
    const ids = await faceIds(['people/obama/1.jpg', 'people/obama/2.jpg']);
    await expectError(call('POST', '/findsimilars', { faceId: randomUUID(), faceIds: ids }), 400, 'FaceNotFound', 'FACE_NOT_FOUND');
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [ids[1], randomUUID()] }),
      400,
      'FaceNotFound',
      'FACE_NOT_FOUND',
    );
  });

  it('findsimilars: exactly one of faceIds, faceListId, largeFaceListId; an unknown list is a 400 of its kind', async () => {
    const ids = await faceIds(['people/obama/1.jpg', 'people/obama/2.jpg']);
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0] }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'LargeFaceListId, faceListId and faceIds are all null.',
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [ids[1]], faceListId: 'fl' }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      /^2 or more of/,
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], largeFaceListId: 'lfl' }),
      400,
      'LargeFaceListNotFound',
      'COLLECTION_NOT_FOUND',
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [] }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'The length of faceIds is not in a valid range.',
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [ids[1]], maxNumOfCandidatesReturned: 0 }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'The argument maxNumOfCandidatesReturned is not valid.',
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [ids[1]], mode: 'matchAll' }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
    );
    await expectError(
      call('POST', '/findsimilars', { faceId: ids[0], faceIds: [ids[1], ids[1]] }),
      400,
      'BadArgument',
      'DUPLICATE_FACE_ID',
    );
  });

  it('group: 2–1000 faceIds; an unknown faceId is 400 FaceNotFound; messyGroup is always sent', async () => {
    const ids = await faceIds(['people/obama/1.jpg', 'people/obama/2.jpg']);
    await expectError(
      call('POST', '/group', { faceIds: [ids[0]] }),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
      'The length of faceIds is not in a valid range.',
    );
    await expectError(call('POST', '/group', { faceIds: 'x' }), 400, 'BadArgument', 'INVALID_ARGUMENT');
    await expectError(call('POST', '/group', { faceIds: [ids[0], randomUUID()] }), 400, 'FaceNotFound', 'FACE_NOT_FOUND');
    const ok = await call('POST', '/group', { faceIds: ids });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ groups: [ids], messyGroup: [] });
  });
});

describe('liveness sessions', () => {
  it("create rules -> Azure's liveness codes", async () => {
    const create = (body: Record<string, unknown>) => call('POST', '/detectLiveness-sessions', body);
    await expectError(create({ deviceCorrelationId: 'd' }), 400, 'InvalidRequestBody');
    await expectError(create({ livenessOperationMode: 'Active', deviceCorrelationId: 'd' }), 400, 'InvalidLivenessOperationMode');
    await expectError(
      create({ livenessOperationMode: 'Passive', deviceCorrelationId: 'd', authTokenTimeToLiveInSeconds: 86_401 }),
      400,
      'InvalidTokenLifetime',
      'INVALID_ARGUMENT',
      'Must be within 60 to 86400',
    );
    await expectError(
      create({ livenessOperationMode: 'Passive', deviceCorrelationId: '' }),
      400,
      'InvalidDeviceCorrelationId',
      'INVALID_ARGUMENT',
      'Must not be null or empty, and be no more than 64 characters.',
    );
    await expectError(
      create({ livenessOperationMode: 'Passive', deviceCorrelationIdSetInClient: true, deviceCorrelationId: 'd' }),
      400,
      'InvalidDeviceCorrelationId',
    );
    await expectError(create({ livenessOperationMode: 'Passive', deviceCorrelationId: 7 }), 400, 'InvalidRequestBody');
    const ok = await create({ livenessOperationMode: 'PassiveActive', deviceCorrelationIdSetInClient: true });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'NotStarted', results: { attempts: [] } });
  });

  it('unknown or malformed session ids -> 404 SessionNotFound on get and delete', async () => {
    for (const route of ['/detectLiveness-sessions', '/detectLivenessWithVerify-sessions']) {
      await expectError(
        call('GET', `${route}/${randomUUID()}`),
        404,
        'SessionNotFound',
        null,
        'Session ID is not found. The session ID is expired or does not exist.',
      );
      await expectError(call('DELETE', `${route}/${randomUUID()}`), 404, 'SessionNotFound');
      await expectError(call('GET', `${route}/not-a-uuid`), 404, 'SessionNotFound');
    }
  });

  it("a session is not visible through the other kind's routes", async () => {
    const plain = await call('POST', '/detectLiveness-sessions', { livenessOperationMode: 'Passive', deviceCorrelationId: 'd' });
    const id = (plain.body as { sessionId: string }).sessionId;
    await expectError(call('GET', `/detectLivenessWithVerify-sessions/${id}`), 404, 'SessionNotFound');
    await expectError(call('DELETE', `/detectLivenessWithVerify-sessions/${id}`), 404, 'SessionNotFound');
    const del = await call('DELETE', `/detectLiveness-sessions/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
  });

  it("liveness-with-verify multipart: bad forms and bad verify images answer Azure's codes", async () => {
    const form = (parts: Record<string, string>, image?: Buffer, name = 'verifyImage'): FormData => {
      const f = new FormData();
      for (const [k, v] of Object.entries(parts)) f.append(k, v);
      if (image) f.append(name, new Blob([new Uint8Array(image)], { type: 'application/octet-stream' }), 'verifyImage.jpg');
      return f;
    };
    const route = '/detectLivenessWithVerify-sessions';
    const fields = { livenessOperationMode: 'Passive', deviceCorrelationId: 'd' };
    const photo = face('people/obama/2.jpg');
    await expectError(call('POST', route, form(fields)), 400, 'BadArgument', 'INVALID_ARGUMENT', "'verifyImage' is required.");
    await expectError(call('POST', route, form({ ...fields, livenessOperationMode: 'Nope' }, photo)), 400, 'InvalidLivenessOperationMode');
    await expectError(call('POST', route, form({ ...fields, authTokenTimeToLiveInSeconds: 'ten' }, photo)), 400, 'InvalidRequestBody');
    await expectError(call('POST', route, form({ ...fields, authTokenTimeToLiveInSeconds: '30' }, photo)), 400, 'InvalidTokenLifetime');
    await expectError(call('POST', route, form({ ...fields, enableSessionImage: 'sure' }, photo)), 400, 'InvalidRequestBody');
    await expectError(call('POST', route, form({ ...fields, deviceCorrelationId: 'x'.repeat(2000) }, photo)), 400, 'InvalidRequestBody');
    await expectError(
      call('POST', route, form({ ...fields, verifyConfidenceThreshold: '0.7' }, photo)),
      400,
      'BadArgument',
      'INVALID_ARGUMENT',
    );
    await expectError(call('POST', route, form(fields, photo, 'otherImage')), 400, 'InvalidRequestBody');
    await expectError(call('POST', route, form(fields, randomBytes(500))), 400, 'InvalidImageSize', 'IMAGE_TOO_SMALL');
    await expectError(call('POST', route, form(fields, randomBytes(4096))), 400, 'InvalidImage', 'UNSUPPORTED_IMAGE_FORMAT');
    await expectError(
      call('POST', route, form(fields, await noFaceImage())),
      400,
      'InvalidImage',
      'NO_FACE_IN_IMAGE',
      'No face detected in the image.',
    );
    await expectError(call('POST', route, form(fields, randomBytes(6 * 1024 * 1024 + 100))), 400, 'InvalidImageSize', 'IMAGE_TOO_LARGE');
    const broken = `--b\r\ncontent-disposition: form-data; name="livenessOperationMode"\r\n\r\nPassive\r\n--b\r\ncontent-disposition: form-data; name="verifyImage"; filename="a.jpg"\r\n\r\nabc`;
    await expectError(call('POST', route, Buffer.from(broken), 'multipart/form-data; boundary=b'), 400, 'InvalidRequestBody');
    await expectError(call('POST', route, Buffer.from(broken), 'multipart/form-data'), 400, 'InvalidRequestBody');

    const ok = await call('POST', route, form(fields, photo));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const created = ok.body as {
      sessionId: string;
      authToken: string;
      results: { verifyReferences: Array<{ faceRectangle: { width: number } }> };
    };
    expect(created.authToken).toBeTruthy();
    expect(created.results.verifyReferences[0]!.faceRectangle.width).toBeGreaterThan(100);
    const read = await call('GET', `${route}/${created.sessionId}`);
    expect(read.body).toMatchObject({ sessionId: created.sessionId, authToken: '', status: 'NotStarted' });
  });
});

describe('engine back-pressure and availability', () => {
  it("a full engine queue -> 429 with Azure's body and Retry-After; then serves again", async () => {
    const files = manifest()
      .map((m) => m.file)
      .slice(0, 10);
    const answers = await Promise.all(files.map((f) => detect('', face(f))));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    for (const a of limited) {
      const body = a.body as WireFaceErrorResponse;
      expect(body.error.code).toBe('429');
      expect(body.error.message).toBe('Rate limit is exceeded. Try again later.');
      expect(body.error.innererror?.code).toBe('OVERLOADED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(a.headers.get('x-ms-error-code')).toBe('429');
    }
    await stillServes();
  });

  it('a stopped engine -> 503 (ENGINE_UNAVAILABLE); the HTTP server itself does not crash', async () => {
    await server.app.provider.close();
    const res = await detect('', jpeg);
    expect(res.status).toBe(503);
    expect((res.body as WireFaceErrorResponse).error.innererror?.code).toBe('ENGINE_UNAVAILABLE');
    // Routes that need no engine still answer.
    expect((await call('GET', `/detectLiveness-sessions/${randomUUID()}`)).status).toBe(404);
  });
});
