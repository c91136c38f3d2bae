/**
 * Microsoft's own REST client for Azure AI Face v1.2 (`@azure-rest/ai-vision-face`) against
 * facegraph's Azure-compatible surface, on the real engine and the shared photos, with API keys
 * on: the client's typed responses must hold what Azure would send. The liveness client flow in
 * between (facegraph's own /liveness/api, as Azure's gated web SDK would) uses plain fetch.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import createClient, { isUnexpected, type FaceClient, type FaceDetectionResultOutput } from '@azure-rest/ai-vision-face';
import { AzureKeyCredential } from '@azure/core-auth';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_LANDMARK_NAMES } from '../helpers/azure-landmarks.js';
import { face, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';

const KEY = 'rest-client-test-key-7f3a';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-rest-client-'));
let server: TestServer;
let endpoint: string;
let client: FaceClient;
let images: http.Server;
let imagesBase: string;

beforeAll(async () => {
  // A loopback image host standing in for the internet (127.0.0.1 is allow-listed below).
  const photo = face('people/obama/3.jpg');
  images = http.createServer((req, res) => {
    if (req.url === '/obama.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;

  server = await startTestServer({ FACEGRAPH_API_KEYS: `other-key,${KEY}`, FACEGRAPH_URL_ALLOW_PRIVATE: '127.0.0.1' });
  endpoint = server.url.replace(/\/graphql$/, '');
  client = connect(KEY);
});

/**
 * Plain http on loopback needs allowInsecureConnection (in production, TLS in front of facegraph).
 * No retries: a 429/503 must fail the test, not be retried into a pass.
 */
const connect = (key: string): FaceClient =>
  createClient(endpoint, new AzureKeyCredential(key), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

afterAll(async () => {
  await server?.stop();
  images?.closeAllConnections();
  await new Promise((r) => images?.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

/** Detects the photo's faces (default models for recognition: detection_03 / recognition_04). */
async function detectIds(file: string): Promise<string[]> {
  const res = await client.path('/detect').post({
    contentType: 'application/octet-stream',
    queryParameters: { detectionModel: 'detection_03', recognitionModel: 'recognition_04', returnFaceId: true },
    body: face(file),
  });
  if (isUnexpected(res)) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return res.body.map((f) => f.faceId!);
}

async function largestFaceId(file: string): Promise<string> {
  const ids = await detectIds(file);
  expect(ids.length, file).toBeGreaterThan(0);
  return ids[0]!;
}

describe('detect', () => {
  it('returns Azure-typed faces with the 27 landmarks and the computed attributes', async () => {
    const file = 'people/obama/1.jpg';
    const meta = await sharp(face(file)).metadata();
    const res = await client.path('/detect').post({
      contentType: 'application/octet-stream',
      queryParameters: {
        detectionModel: 'detection_03',
        recognitionModel: 'recognition_04',
        returnFaceId: true,
        returnFaceLandmarks: true,
        returnRecognitionModel: true,
        returnFaceAttributes: ['headPose', 'blur', 'exposure', 'noise', 'qualityForRecognition'],
        faceIdTimeToLive: 120,
      },
      body: face(file),
    });
    expect(isUnexpected(res), JSON.stringify(res.body)).toBe(false);
    if (isUnexpected(res)) return;
    expect(res.status).toBe('200');
    expect(res.headers['apim-request-id']).toBeTruthy();
    const faces: FaceDetectionResultOutput[] = res.body;
    expect(faces).toHaveLength(1);
    const f = faces[0]!;
    expect(f.faceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.recognitionModel).toBe('recognition_04');
    // Azure's key order on the wire.
    expect(Object.keys(f)).toEqual(['faceId', 'recognitionModel', 'faceRectangle', 'faceLandmarks', 'faceAttributes']);

    const r = f.faceRectangle;
    for (const v of [r.top, r.left, r.width, r.height]) expect(Number.isInteger(v)).toBe(true);
    expect(r.left).toBeGreaterThanOrEqual(0);
    expect(r.top).toBeGreaterThanOrEqual(0);
    expect(r.width).toBeGreaterThan(100);
    expect(r.left + r.width).toBeLessThanOrEqual(meta.width);
    expect(r.top + r.height).toBeLessThanOrEqual(meta.height);

    const landmarks = f.faceLandmarks!;
    expect(Object.keys(landmarks)).toEqual(SPEC_LANDMARK_NAMES);
    for (const name of SPEC_LANDMARK_NAMES) {
      const p = landmarks[name as keyof typeof landmarks];
      expect(p.x).toBeGreaterThanOrEqual(r.left - 5);
      expect(p.x).toBeLessThanOrEqual(r.left + r.width + 5);
      expect(p.y).toBeGreaterThanOrEqual(r.top - 5);
      expect(p.y).toBeLessThanOrEqual(r.top + r.height + 5);
    }
    // Image left is Azure's left.
    expect(landmarks.pupilLeft.x).toBeLessThan(landmarks.pupilRight.x);
    expect(landmarks.noseTip.y).toBeLessThan(landmarks.underLipBottom.y);

    const a = f.faceAttributes!;
    expect(Object.keys(a)).toEqual(['headPose', 'blur', 'exposure', 'noise', 'qualityForRecognition']);
    for (const angle of [a.headPose!.pitch, a.headPose!.roll, a.headPose!.yaw]) {
      expect(typeof angle).toBe('number');
      expect(Math.abs(angle)).toBeLessThan(30); // a frontal portrait
    }
    expect(['low', 'medium', 'high']).toContain(a.blur!.blurLevel);
    expect(a.blur!.value).toBeGreaterThanOrEqual(0);
    expect(a.blur!.value).toBeLessThanOrEqual(1);
    expect(['underExposure', 'goodExposure', 'overExposure']).toContain(a.exposure!.exposureLevel);
    expect(['low', 'medium', 'high']).toContain(a.noise!.noiseLevel);
    expect(a.qualityForRecognition).toBe('high');
  });

  it("with Azure's defaults returns a faceId and a rectangle only", async () => {
    const res = await client.path('/detect').post({ contentType: 'application/octet-stream', body: face('groups/obama_biden_1.jpg') });
    if (isUnexpected(res)) throw new Error(JSON.stringify(res.body));
    expect(res.body).toHaveLength(2);
    for (const f of res.body) expect(Object.keys(f)).toEqual(['faceId', 'faceRectangle']);
    // Largest first.
    expect(res.body[0]!.faceRectangle.width).toBeGreaterThanOrEqual(res.body[1]!.faceRectangle.width);
  });

  it('detects from a URL (JSON body), without a faceId when returnFaceId=false', async () => {
    const res = await client.path('/detect').post({
      contentType: 'application/json',
      queryParameters: { returnFaceId: false, detectionModel: 'detection_03', returnFaceAttributes: ['headPose'] },
      body: { url: `${imagesBase}/obama.jpg` },
    });
    if (isUnexpected(res)) throw new Error(JSON.stringify(res.body));
    expect(res.body).toHaveLength(1);
    expect(res.body[0]!.faceId).toBeUndefined();
    expect(Object.keys(res.body[0]!.faceAttributes!)).toEqual(['headPose']);
  });
});

describe('recognition', () => {
  it('verifies two photos of Obama as identical, Obama and Biden as not', async () => {
    const [obama1, obama2, biden] = await Promise.all([
      largestFaceId('people/obama/1.jpg'),
      largestFaceId('people/obama/2.jpg'),
      largestFaceId('people/biden/1.jpg'),
    ]);
    const same = await client.path('/verify').post({ body: { faceId1: obama1, faceId2: obama2 } });
    if (isUnexpected(same)) throw new Error(JSON.stringify(same.body));
    expect(same.body.isIdentical).toBe(true);
    expect(same.body.confidence).toBeGreaterThanOrEqual(0.5);
    expect(Object.keys(same.body)).toEqual(['isIdentical', 'confidence']);

    const different = await client.path('/verify').post({ body: { faceId1: obama1, faceId2: biden } });
    if (isUnexpected(different)) throw new Error(JSON.stringify(different.body));
    expect(different.body.isIdentical).toBe(false);
    expect(different.body.confidence).toBeLessThan(0.5);
  });

  it('findSimilar in matchPerson mode returns only the Obama faces; matchFace ranks them first', async () => {
    const query = await largestFaceId('people/obama/1.jpg');
    const files = [
      'people/obama/2.jpg',
      'people/biden/1.jpg',
      'people/obama/3.jpg',
      'people/kit_harington/1.jpg',
      'people/obama/4.jpg',
      'people/rose_leslie/1.jpg',
    ];
    const ids = await Promise.all(files.map(largestFaceId));
    const obama = new Set(ids.filter((_, i) => files[i]!.includes('/obama/')));

    const byPerson = await client.path('/findsimilars').post({ body: { faceId: query, faceIds: ids } });
    if (isUnexpected(byPerson)) throw new Error(JSON.stringify(byPerson.body));
    expect(new Set(byPerson.body.map((m) => m.faceId))).toEqual(obama);
    for (const m of byPerson.body) {
      expect(Object.keys(m)).toEqual(['confidence', 'faceId']);
      expect(m.confidence).toBeGreaterThanOrEqual(0.5);
    }

    const byFace = await client
      .path('/findsimilars')
      .post({ body: { faceId: query, faceIds: ids, mode: 'matchFace', maxNumOfCandidatesReturned: 4 } });
    if (isUnexpected(byFace)) throw new Error(JSON.stringify(byFace.body));
    expect(byFace.body).toHaveLength(4);
    expect(new Set(byFace.body.slice(0, 3).map((m) => m.faceId))).toEqual(obama);
  });

  it('groups the people/ photos by person, the one-photo person in messyGroup', async () => {
    const photos = manifest().filter((m) => m.file.startsWith('people/'));
    const personOf = new Map<string, string>();
    for (const m of photos) personOf.set(await largestFaceId(m.file), m.people[0]!);
    const res = await client.path('/group').post({ body: { faceIds: [...personOf.keys()] } });
    if (isUnexpected(res)) throw new Error(JSON.stringify(res.body));
    const { groups, messyGroup } = res.body;
    const counts = new Map<string, number>();
    for (const person of personOf.values()) counts.set(person, (counts.get(person) ?? 0) + 1);
    expect(groups).toHaveLength([...counts.values()].filter((n) => n > 1).length);
    for (const g of groups) {
      const people = new Set(g.map((id) => personOf.get(id)));
      expect(people.size).toBe(1);
      expect(g).toHaveLength(counts.get([...people][0]!)!);
    }
    expect(messyGroup.map((id) => personOf.get(id))).toEqual(['lin_manuel_miranda']);
  });
});

describe('liveness sessions', () => {
  it('create, get (authToken masked), delete (204), then get is SessionNotFound', async () => {
    const created = await client.path('/detectLiveness-sessions').post({
      body: { livenessOperationMode: 'Passive', deviceCorrelationId: randomUUID(), authTokenTimeToLiveInSeconds: 300 },
    });
    if (isUnexpected(created)) throw new Error(JSON.stringify(created.body));
    const { sessionId, authToken } = created.body;
    expect(authToken.length).toBeGreaterThan(20);
    expect(created.body.status).toBe('NotStarted');
    expect(created.body.modelVersion).toBeTruthy();
    expect(created.body.results.attempts).toEqual([]);
    expect('verifyReferences' in created.body.results).toBe(false);

    const read = await client.path('/detectLiveness-sessions/{sessionId}', sessionId).get();
    if (isUnexpected(read)) throw new Error(JSON.stringify(read.body));
    expect(read.body).toMatchObject({ sessionId, authToken: '', status: 'NotStarted', results: { attempts: [] } });

    // A plain session is not a liveness-with-verify session.
    const otherKind = await client.path('/detectLivenessWithVerify-sessions/{sessionId}', sessionId).get();
    expect(isUnexpected(otherKind)).toBe(true);
    expect(otherKind.status).toBe('404');

    const deleted = await client.path('/detectLiveness-sessions/{sessionId}', sessionId).delete();
    expect(isUnexpected(deleted)).toBe(false);
    expect(deleted.status).toBe('204');

    const gone = await client.path('/detectLiveness-sessions/{sessionId}', sessionId).get();
    expect(isUnexpected(gone)).toBe(true);
    if (!isUnexpected(gone)) return;
    expect(gone.status).toBe('404');
    expect(gone.body.error.code).toBe('SessionNotFound');
    expect(gone.headers['x-ms-error-code']).toBe('SessionNotFound');
  });

  it("create rules answer Azure's liveness codes", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ livenessOperationMode: 'Active', deviceCorrelationId: 'd' }, 'InvalidLivenessOperationMode'],
      [{ livenessOperationMode: 'Passive', deviceCorrelationId: 'd', authTokenTimeToLiveInSeconds: 59 }, 'InvalidTokenLifetime'],
      [{ livenessOperationMode: 'Passive' }, 'InvalidDeviceCorrelationId'],
      [{ livenessOperationMode: 'Passive', deviceCorrelationId: 'x'.repeat(65) }, 'InvalidDeviceCorrelationId'],
      [{ livenessOperationMode: 'Passive', deviceCorrelationId: 'd', enableSessionImage: 'yes' }, 'InvalidRequestBody'],
    ];
    for (const [body, code] of cases) {
      // The typed body forbids these on purpose; the service must still answer them.
      const res = await client.path('/detectLiveness-sessions').post({ body: body as never });
      expect(isUnexpected(res), JSON.stringify(body)).toBe(true);
      if (!isUnexpected(res)) continue;
      expect(res.status).toBe('400');
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
  });

  it('liveness-with-verify: multipart create with a verify image; an attempt; result, session image and detect on it', async () => {
    const { frames, timestamps } = await extractJpegFrames(path.join(tmp, 'frames'), {
      startSec: 3.6,
      durationSec: 2.5,
      fps: 6,
      maxFrames: 15,
    });
    const created = await client.path('/detectLivenessWithVerify-sessions').post({
      contentType: 'multipart/form-data',
      body: [
        { name: 'livenessOperationMode', body: 'Passive' },
        { name: 'deviceCorrelationId', body: randomUUID() },
        { name: 'enableSessionImage', body: true },
        { name: 'authTokenTimeToLiveInSeconds', body: 600 },
        { name: 'verifyImage', body: frames[7]!, filename: 'verifyImage.jpg', contentType: 'application/octet-stream' },
      ],
    });
    if (isUnexpected(created)) throw new Error(JSON.stringify(created.body));
    const { sessionId, authToken } = created.body;
    expect(created.body.status).toBe('NotStarted');
    const references = created.body.results.verifyReferences;
    expect(references).toHaveLength(1);
    expect(references[0]!.referenceType).toBe('image');
    expect(references[0]!.faceRectangle.width).toBeGreaterThan(40);
    expect(['low', 'medium', 'high']).toContain(references[0]!.qualityForRecognition);

    // The plain-liveness routes do not see it.
    const wrongKind = await client.path('/detectLiveness-sessions/{sessionId}', sessionId).delete();
    expect(wrongKind.status).toBe('404');

    // The end-user device: facegraph's token-authenticated client API.
    const challenge = await fetch(`${endpoint}/liveness/api/session`, { headers: { authorization: `Bearer ${authToken}` } });
    expect(challenge.status).toBe(200);
    const { challenge: c } = (await challenge.json()) as { challenge: { nonce: string } };
    const attempt = await fetch(`${endpoint}/liveness/api/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authToken}` },
      body: attemptForm(c.nonce, frames, timestamps),
    });
    expect(attempt.status).toBe(200);

    const read = await client.path('/detectLivenessWithVerify-sessions/{sessionId}', sessionId).get();
    if (isUnexpected(read)) throw new Error(JSON.stringify(read.body));
    expect(read.body.authToken).toBe('');
    expect(read.body.status).toBe('Succeeded');
    expect(read.body.results.verifyReferences[0]!.faceRectangle).toEqual(references[0]!.faceRectangle);
    expect(read.body.results.verifyReferences[0]!.referenceType).toBeUndefined();
    const [a] = read.body.results.attempts;
    expect(a!.attemptId).toBe(1);
    expect(a!.attemptStatus).toBe('Succeeded');
    const result = a!.result!;
    expect(['realface', 'spoofface', 'uncertain']).toContain(result.livenessDecision);
    expect(result.targets.color.faceRectangle.width).toBeGreaterThan(40);
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(result.verifyResult!.isIdentical).toBe(true);
    expect(result.verifyResult!.matchConfidence).toBeGreaterThanOrEqual(0.5);

    const imageId = result.sessionImageId!;
    const image = await client.path('/sessionImages/{sessionImageId}', imageId).get().asNodeStream();
    expect(image.status).toBe('200');
    expect(image.headers['content-type']).toBe('application/octet-stream');
    expect(image.headers['content-disposition']).toBe(`attachment; filename=${imageId}.jpg`);
    const chunks: Buffer[] = [];
    for await (const chunk of image.body!) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    expect(frames.some((f) => f.equals(bytes))).toBe(true);

    const detected = await client.path('/detect').post({
      contentType: 'application/json',
      queryParameters: { detectionModel: 'detection_03', recognitionModel: 'recognition_04' },
      body: { sessionImageId: imageId } as never, // the client's typings predate the sessionImageId overload
    });
    if (isUnexpected(detected)) throw new Error(JSON.stringify(detected.body));
    expect(detected.body.length).toBeGreaterThan(0);

    const deleted = await client.path('/detectLivenessWithVerify-sessions/{sessionId}', sessionId).delete();
    expect(deleted.status).toBe('204');
    const imageGone = await client.path('/sessionImages/{sessionImageId}', imageId).get();
    expect(imageGone.status).toBe('404');
  });
});

describe('authentication', () => {
  const AZURE_401 = {
    error: {
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    },
  };

  it("a wrong key is 401 with Azure's body", async () => {
    const wrong = connect('not-the-key');
    const res = await wrong.path('/detect').post({ contentType: 'application/octet-stream', body: face('people/obama/1.jpg') });
    expect(isUnexpected(res)).toBe(true);
    expect(res.status).toBe('401');
    expect(res.body).toEqual(AZURE_401);
    const session = await wrong.path('/detectLiveness-sessions/{sessionId}', randomUUID()).get();
    expect(session.status).toBe('401');
  });

  it('a missing key is 401 on every route, before anything else', async () => {
    for (const [method, route] of [
      ['POST', '/detect'],
      ['POST', '/verify'],
      ['GET', '/detectLiveness-sessions/x'],
      ['GET', '/sessionImages/x'],
      ['POST', '/nope'],
    ] as const) {
      const res = await fetch(`${endpoint}/face/v1.2${route}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status, route).toBe(401);
      expect(await res.json()).toEqual(AZURE_401);
      expect(res.headers.get('apim-request-id')).toBeTruthy();
    }
  });
});
