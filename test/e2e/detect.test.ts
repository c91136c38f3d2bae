/**
 * End to end over HTTP on the real embedded engine and the shared real photos.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/adapters/engine/decode.js';
import { SPEC_LANDMARK_NAMES } from '../helpers/azure-landmarks.js';
import { face, faceBase64, manifest } from '../helpers/paths.js';
import { E2E_PROVIDER, startTestServer, type TestServer } from '../helpers/server.js';
import { extractJpegFrames } from '../helpers/video.js';

const DETECT = `query Detect($b: String) {
  detectFaces(image: { base64: $b }) {
    faceId
    faceRectangle { top left width height }
    detectionConfidence
  }
}`;

interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}
interface FaceResult {
  faceId: string | null;
  faceRectangle: Rect;
  detectionConfidence: number;
  landmarks?: Record<string, { x: number; y: number }> | null;
  attributes?: Record<string, unknown> | null;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('detectFaces on every photo of the shared manifest', () => {
  it.each(manifest().map((m) => [m.file, m] as const))('%s', async (_file, image) => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT, { b: faceBase64(image.file) });
    expect(res.errors).toBeUndefined();
    const faces = res.data!.detectFaces;
    const optional = image.note?.includes('optional') ? 1 : 0;
    expect(faces.length).toBeGreaterThanOrEqual(image.faces);
    expect(faces.length).toBeLessThanOrEqual(image.faces + optional);

    const { width, height } = await decodeImage(face(image.file), { maxPixels: 100_000_000 });
    for (const f of faces) {
      const r = f.faceRectangle;
      expect(r.left).toBeGreaterThanOrEqual(0);
      expect(r.top).toBeGreaterThanOrEqual(0);
      expect(r.width).toBeGreaterThan(0);
      expect(r.height).toBeGreaterThan(0);
      expect(r.left + r.width).toBeLessThanOrEqual(width);
      expect(r.top + r.height).toBeLessThanOrEqual(height);
      expect(f.faceId).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Largest first, as Azure sorts them.
    const areas = faces.map((f) => f.faceRectangle.width * f.faceRectangle.height);
    expect([...areas].sort((a, b) => b - a)).toEqual(areas);
  });
});

describe('landmarks and attributes', () => {
  const QUERY = `query($b: String) {
    detectFaces(image: { base64: $b }) {
      faceRectangle { top left width height }
      landmarks { ${SPEC_LANDMARK_NAMES.map((n) => `${n} { x y }`).join(' ')} }
      attributes {
        headPose { pitch roll yaw }
        blur { blurLevel value }
        exposure { exposureLevel value }
        noise { noiseLevel value }
        qualityForRecognition
      }
    }
  }`;

  it.each(['people/obama/1.jpg', 'groups/obama_biden_1.jpg', 'groups/kit_harington_rose_leslie.jpg', 'variants/obama-partial-1.jpg'])(
    'all 27 landmarks of %s lie inside their face rectangle',
    async (file) => {
      const res = await server.gql<{ detectFaces: FaceResult[] }>(QUERY, { b: faceBase64(file) });
      expect(res.errors).toBeUndefined();
      for (const f of res.data!.detectFaces) {
        const r = f.faceRectangle;
        expect(Object.keys(f.landmarks!)).toHaveLength(27);
        for (const name of SPEC_LANDMARK_NAMES) {
          const p = f.landmarks![name]!;
          expect(p.x, name).toBeGreaterThanOrEqual(r.left);
          expect(p.x, name).toBeLessThanOrEqual(r.left + r.width);
          expect(p.y, name).toBeGreaterThanOrEqual(r.top);
          expect(p.y, name).toBeLessThanOrEqual(r.top + r.height);
        }
        // Image-left pupil is left of the image-right one; eyes above the nose tip, nose above the mouth.
        expect(f.landmarks!.pupilLeft!.x).toBeLessThan(f.landmarks!.pupilRight!.x);
        expect(f.landmarks!.pupilLeft!.y).toBeLessThan(f.landmarks!.noseTip!.y);
        expect(f.landmarks!.noseTip!.y).toBeLessThan(f.landmarks!.underLipBottom!.y);
      }
    },
  );

  it('a frontal photo has a head pose within ±20° and good quality', async () => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(QUERY, { b: faceBase64('people/obama/1.jpg') });
    const attrs = res.data!.detectFaces[0]!.attributes as {
      headPose: { pitch: number; roll: number; yaw: number };
      blur: { blurLevel: string; value: number };
      exposure: { exposureLevel: string; value: number };
      noise: { noiseLevel: string; value: number };
      qualityForRecognition: string;
    };
    for (const angle of [attrs.headPose.pitch, attrs.headPose.roll, attrs.headPose.yaw]) {
      expect(Math.abs(angle)).toBeLessThanOrEqual(20);
    }
    expect(attrs.blur.blurLevel).toBe('LOW');
    expect(attrs.exposure.exposureLevel).toBe('GOOD_EXPOSURE');
    expect(attrs.noise.value).toBeGreaterThanOrEqual(0);
    expect(attrs.noise.value).toBeLessThanOrEqual(1);
    expect(attrs.qualityForRecognition).toBe('HIGH');
  });

  it('a face turned to the side has a larger |yaw| than a frontal one', async () => {
    const yaw = async (file: string): Promise<number> => {
      const res = await server.gql<{ detectFaces: Array<{ attributes: { headPose: { yaw: number } } }> }>(
        `query($b: String) { detectFaces(image: { base64: $b }) { attributes { headPose { yaw } } } }`,
        { b: faceBase64(file) },
      );
      return res.data!.detectFaces[0]!.attributes.headPose.yaw;
    };
    // people/kit_harington/2.jpg is a three-quarter view; obama/1.jpg looks straight at the camera.
    expect(Math.abs(await yaw('people/kit_harington/2.jpg'))).toBeGreaterThan(Math.abs(await yaw('people/obama/1.jpg')) + 15);
  });

  it('landmarks and attributes are not computed unless selected', async () => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(`query($b: String) { detectFaces(image: { base64: $b }) { faceId } }`, {
      b: faceBase64('people/biden/1.jpg'),
    });
    const faceId = res.data!.detectFaces[0]!.faceId!;
    const later = await server.gql<{ face: FaceResult }>(
      `query($id: ID!) { face(faceId: $id) { landmarks { noseTip { x } } attributes { headPose { yaw } blur { value } } } }`,
      { id: faceId },
    );
    expect(later.errors).toBeUndefined();
    expect(later.data!.face.landmarks).toBeNull();
    expect(later.data!.face.attributes).toEqual({ headPose: null, blur: null });
  });

  it('attributes the engine cannot compute are refused, not faked', async () => {
    for (const attr of ['glasses', 'mask { type }', 'occlusion { eyeOccluded }', 'accessories { type }']) {
      const res = await server.gql(`query($b: String) { detectFaces(image: { base64: $b }) { attributes { ${attr} } } }`, {
        b: faceBase64('people/obama/1.jpg'),
      });
      expect(res.errors?.[0]?.extensions?.code, attr).toBe('UNSUPPORTED_ATTRIBUTE');
    }
    const caps = await server.gql<{ capabilities: { attributes: string[]; engineModels: Record<string, string> } }>(
      '{ capabilities { attributes engineModels { detector landmarks recognition } } }',
    );
    if (E2E_PROVIDER === 'embedded') {
      expect(caps.data!.capabilities.attributes).toEqual(['headPose', 'blur', 'exposure', 'noise', 'qualityForRecognition']);
      expect(caps.data!.capabilities.engineModels.detector).toMatch(/yunet/);
    } else {
      // Azure computes all nine; here the upstream is a facegraph engine, whose refusal came
      // back through the REST surface's innererror as the same code.
      expect(caps.data!.capabilities.attributes).toEqual(
        expect.arrayContaining(['glasses', 'mask', 'occlusion', 'accessories', 'headPose']),
      );
      expect(caps.data!.capabilities.engineModels.detector).toMatch(/Azure AI Face/);
    }
  });

  it('DETECTION_02 refuses landmarks, as Azure does', async () => {
    const res = await server.gql(
      `query($b: String) { detectFaces(image: { base64: $b }, options: { detectionModel: DETECTION_02 }) { landmarks { noseTip { x } } } }`,
      { b: faceBase64('people/obama/1.jpg') },
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.detectionModel' });
  });

  it("another alias's landmarks and quality do not leak into a DETECTION_02 / RECOGNITION_01 alias", async () => {
    const res = await server.gql<Record<string, Array<{ faceId: string }>>>(
      `query($b: String) {
        plain: detectFaces(image: { base64: $b }, options: { detectionModel: DETECTION_02 }) { faceId }
        old: detectFaces(image: { base64: $b }, options: { recognitionModel: RECOGNITION_01 }) { faceId attributes { headPose { yaw } } }
        rich: detectFaces(image: { base64: $b }) { faceId landmarks { noseTip { x } } attributes { qualityForRecognition } }
      }`,
      { b: faceBase64('people/obama/1.jpg') },
    );
    expect(res.errors).toBeUndefined();
    for (const alias of ['plain', 'old', 'rich']) expect(res.data![alias], alias).toHaveLength(1);
  });
});

const iouOf = (a: Rect, b: Rect): number => {
  const ix = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const iy = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
};

describe('faces people expect: small, turned', () => {
  const DETECT_WITH = `query($b: String, $o: DetectFacesOptions) {
    detectFaces(image: { base64: $b }, options: $o) { faceRectangle { top left width height } detectionConfidence attributes { headPose { yaw } } }
  }`;

  it('a ~40 px face pasted into a 1920 x 1280 photo is found where it was pasted', async () => {
    const original = await server.gql<{ detectFaces: FaceResult[] }>(DETECT, { b: faceBase64('people/obama/1.jpg') });
    const big = original.data!.detectFaces[0]!.faceRectangle;
    const k = 42 / big.width;
    const meta = await sharp(face('people/obama/1.jpg')).metadata();
    const small = await sharp(face('people/obama/1.jpg'))
      .resize(Math.round(meta.width * k), Math.round(meta.height * k))
      .jpeg()
      .toBuffer();
    const at = { left: 1300, top: 700 };
    const canvas = await sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: small, ...at }])
      .jpeg({ quality: 92 })
      .toBuffer();
    const expected: Rect = { left: at.left + big.left * k, top: at.top + big.top * k, width: big.width * k, height: big.height * k };
    const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT, { b: canvas.toString('base64') });
    expect(res.errors).toBeUndefined();
    expect(res.data!.detectFaces).toHaveLength(1);
    expect(iouOf(res.data!.detectFaces[0]!.faceRectangle, expected)).toBeGreaterThanOrEqual(0.5);
  });

  it('a turned head in the shared video is found', async () => {
    // 5.2 s: the largest |yaw| (about 37°) among the frames of the single-face shot (3.6–7.8 s,
    // sampled at 5 fps) in which the detector finds the performer.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-turned-'));
    try {
      const { frames } = await extractJpegFrames(dir, { startSec: 5.2, durationSec: 0.2, fps: 5, maxFrames: 1, qscale: 2 });
      const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT_WITH, { b: frames[0]!.toString('base64') });
      expect(res.errors).toBeUndefined();
      const faces = res.data!.detectFaces;
      expect(faces).toHaveLength(1);
      if (E2E_PROVIDER === 'embedded') {
        expect(Math.abs((faces[0]!.attributes as { headPose: { yaw: number } }).headPose.yaw)).toBeGreaterThan(25);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('minFaceSize and minDetectionConfidence filter faces', async () => {
    const b = faceBase64('people/obama/1.jpg');
    const found = await server.gql<{ detectFaces: FaceResult[] }>(DETECT_WITH, { b });
    const only = found.data!.detectFaces[0]!;
    const side = Math.min(only.faceRectangle.width, only.faceRectangle.height);
    const count = async (o: Record<string, number>): Promise<number> => {
      const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT_WITH, { b, o });
      expect(res.errors).toBeUndefined();
      return res.data!.detectFaces.length;
    };
    expect(await count({ minFaceSize: side + 1 })).toBe(0);
    expect(await count({ minFaceSize: side })).toBe(1);
    if (E2E_PROVIDER === 'embedded') {
      const score = only.detectionConfidence;
      expect(score).toBeGreaterThan(0.75);
      expect(await count({ minDetectionConfidence: Math.min(1, score + 0.01) })).toBe(0);
      expect(await count({ minDetectionConfidence: score - 0.05 })).toBe(1);
    }
  });

  it('options.minFaceSize 1.5 is refused by GraphQL itself (Int)', async () => {
    // The schema types minFaceSize as Int, so GraphQL rejects 1.5 while coercing variables, before
    // the use case (which would say INVALID_ARGUMENT) sees it.
    const res = await server.gql(DETECT_WITH, { b: faceBase64('people/obama/1.jpg'), o: { minFaceSize: 1.5 } });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/minFaceSize/);
  });

  it.each([
    ['minFaceSize', 7],
    ['minFaceSize', 5000],
    ['minDetectionConfidence', -0.1],
    ['minDetectionConfidence', 1.1],
  ])('options.%s %s is INVALID_ARGUMENT', async (name, value) => {
    const res = await server.gql(DETECT_WITH, { b: faceBase64('people/obama/1.jpg'), o: { [name]: value } });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', argument: `options.${name}` });
  });
});

describe('DataLoader de-duplication', () => {
  it('ten aliases of one image, through fragments too, run one engine detection', async () => {
    const b64 = faceBase64('groups/obama_biden_1.jpg');
    const aliases = Array.from({ length: 8 }, (_, i) => `a${i}: detectFaces(image: { base64: $b }) { faceId faceRectangle { width } }`);
    const query = `query($b: String) {
      ${aliases.join('\n')}
      f1: detectFaces(image: { base64: $b }) { ...F }
      f2: detectFaces(image: { base64: $b }) { ... on Face { landmarks { noseTip { x } } } }
    }
    fragment F on Face { faceId attributes { headPose { yaw } } }`;
    const before = server.detections();
    const res = await server.gql<Record<string, Array<{ faceId?: string }>>>(query, { b: b64 });
    expect(res.errors).toBeUndefined();
    expect(server.detections() - before).toBe(1);
    expect(Object.keys(res.data!)).toHaveLength(10);
    for (const faces of Object.values(res.data!)) expect(faces).toHaveLength(2);
    // Identical aliases share their faceIds.
    expect(res.data!.a0!.map((f) => f.faceId)).toEqual(res.data!.a7!.map((f) => f.faceId));
  });

  it('different images in one document are detected once each', async () => {
    const before = server.detections();
    const res = await server.gql(
      `query($a: String, $b: String) {
        x: detectFaces(image: { base64: $a }) { faceId }
        y: detectFaces(image: { base64: $b }) { faceId }
        z: detectFaces(image: { base64: $a }) { faceId }
      }`,
      { a: faceBase64('people/obama/2.jpg'), b: faceBase64('people/rose_leslie/1.jpg') },
    );
    expect(res.errors).toBeUndefined();
    expect(server.detections() - before).toBe(2);
  });
});

/** HTTP requests the gateway sent upstream (Azure provider); 0 on the embedded engine. */
/** Provider calls so far: on the Azure provider, every one is an upstream request. */
const upstreamRequests = (): number => server.providerCalls();

describe('faceId lookup and federation entity', () => {
  it('Query.face returns a detected face with the same rectangle; unknown ids give null', async () => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT, { b: faceBase64('people/obama/3.jpg') });
    const detected = res.data!.detectFaces[0]!;
    const upstreamBefore = upstreamRequests();
    const found = await server.gql<{ face: FaceResult & { expiresAt: string } }>(
      `query($id: ID!) { face(faceId: $id) { faceId faceRectangle { top left width height } expiresAt recognitionModel } }`,
      { id: detected.faceId },
    );
    expect(found.data!.face.faceId).toBe(detected.faceId);
    expect(found.data!.face.faceRectangle).toEqual(detected.faceRectangle);
    const unknown = await server.gql<{ face: null }>(`{ face(faceId: "00000000-0000-0000-0000-000000000000") { faceId } }`);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.face).toBeNull();
    // Served from the faceId registry: on the Azure provider, no upstream call at all.
    if (E2E_PROVIDER === 'azure') expect(upstreamBefore).toBeGreaterThan(0);
    expect(upstreamRequests()).toBe(upstreamBefore);
  });

  it('_entities resolves Face references by faceId', async () => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(DETECT, { b: faceBase64('people/biden/2.jpg') });
    const id = res.data!.detectFaces[0]!.faceId!;
    const upstreamBefore = upstreamRequests();
    const entities = await server.gql<{ _entities: Array<{ faceId: string; faceRectangle: Rect } | null> }>(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Face { faceId faceRectangle { width } } } }`,
      {
        reps: [
          { __typename: 'Face', faceId: id },
          { __typename: 'Face', faceId: 'gone' },
        ],
      },
    );
    expect(entities.data!._entities[0]!.faceId).toBe(id);
    expect(entities.data!._entities[1]).toBeNull();
    expect(upstreamRequests()).toBe(upstreamBefore);
  });

  it('returnFaceId: false registers nothing', async () => {
    const res = await server.gql<{ detectFaces: FaceResult[] }>(
      `query($b: String) { detectFaces(image: { base64: $b }, options: { returnFaceId: false }) { faceId faceRectangle { width } } }`,
      { b: faceBase64('people/kit_harington/1.jpg') },
    );
    expect(res.data!.detectFaces).toHaveLength(1);
    expect(res.data!.detectFaces[0]!.faceId).toBeNull();
  });
});

describe('HTTP surface', () => {
  it('serves /healthz and /readyz', async () => {
    const base = server.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves the liveness capture page, not frameable', async () => {
    const base = server.url.replace(/\/graphql$/, '');
    const res = await fetch(`${base}/liveness/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain('app.js');
  });

  it('blocks CSRF-prone simple requests', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ capabilities { provider } }"}',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});
