/**
 * Binary uploads over GraphQL (the GraphQL multipart request spec), end to end over HTTP on the
 * real engine and the shared real photos: the same faces as base64, every refusal with its
 * documented code, and the server answering normally after each refusal. Part of the GraphQL
 * e2e suite (vitest.config.ts): it runs on the embedded engine and again on the Azure provider,
 * whose upstream is a facegraph on the embedded engine.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS } from '../../src/app/images.js';
import { face } from '../helpers/paths.js';
import { startTestServer, type GqlResponse, type TestServer } from '../helpers/server.js';

const PREFLIGHT = { 'apollo-require-preflight': 'true' };

const DETECT_FILE = `query Detect($f: Upload) {
  detectFaces(image: { file: $f }) { faceRectangle { top left width height } detectionConfidence }
}`;
const DETECT_BASE64 = `query Detect($b: String) {
  detectFaces(image: { base64: $b }) { faceRectangle { top left width height } detectionConfidence }
}`;

interface Detected {
  detectFaces: Array<{ faceRectangle: Record<string, number>; detectionConfidence: number }>;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

/** A multipart GraphQL request as a client library sends it: operations, map, then the files. */
async function upload<T>(
  operations: { query: string; variables: Record<string, unknown> },
  files: Record<string, { bytes: Buffer; paths: string[] }>,
  headers: Record<string, string> = PREFLIGHT,
): Promise<GqlResponse<T>> {
  const form = new FormData();
  form.append('operations', JSON.stringify(operations));
  form.append('map', JSON.stringify(Object.fromEntries(Object.entries(files).map(([name, f]) => [name, f.paths]))));
  for (const [name, f] of Object.entries(files))
    form.append(name, new Blob([new Uint8Array(f.bytes)], { type: 'image/jpeg' }), `${name}.jpg`);
  return send<T>(form, headers);
}

async function send<T>(body: FormData | string, headers: Record<string, string>): Promise<GqlResponse<T>> {
  const res = await fetch(server.url, { method: 'POST', headers, body });
  return { ...((await res.json()) as GqlResponse<T>), status: res.status };
}

/** The next ordinary request is served: the server survived whatever came before. */
async function expectStillServing(): Promise<void> {
  const res = await upload<Detected>(
    { query: DETECT_FILE, variables: { f: null } },
    { 0: { bytes: face('people/obama/1.jpg'), paths: ['variables.f'] } },
  );
  expect(res.status).toBe(200);
  expect(res.data?.detectFaces).toHaveLength(1);
}

describe('multipart detectFaces', () => {
  it.each(['people/obama/1.jpg', 'groups/obama_biden_2.jpg'])('%s: finds the same faces as the base64 path', async (file) => {
    const bytes = face(file);
    const viaBase64 = await server.gql<Detected>(DETECT_BASE64, { b: bytes.toString('base64') });
    const viaFile = await upload<Detected>({ query: DETECT_FILE, variables: { f: null } }, { 0: { bytes, paths: ['variables.f'] } });
    expect(viaFile.status).toBe(200);
    expect(viaFile.errors).toBeUndefined();
    expect(viaBase64.data?.detectFaces.length).toBeGreaterThan(0);
    expect(viaFile.data?.detectFaces).toEqual(viaBase64.data?.detectFaces);
  });

  it('one file used by two aliases is detected once', async () => {
    const before = server.detections();
    const res = await upload<{ a: unknown[]; b: unknown[] }>(
      {
        query: `query($f: Upload) { a: detectFaces(image: { file: $f }) { faceId } b: detectFaces(image: { file: $f }) { faceId } }`,
        variables: { f: null },
      },
      { 0: { bytes: face('people/biden/1.jpg'), paths: ['variables.f'] } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.a).toEqual(res.data?.b);
    expect(server.detections() - before).toBe(1);
  });

  it('verifyFaces takes two files (FaceRefInput.image.file): same person, different person', async () => {
    const VERIFY = `mutation($input: VerifyFacesInput!) { verifyFaces(input: $input) { verification { isIdentical } userErrors { code } } }`;
    const verify = (a: string, b: string) =>
      upload<{ verifyFaces: { verification: { isIdentical: boolean }; userErrors: unknown[] } }>(
        { query: VERIFY, variables: { input: { face1: { image: { file: null } }, face2: { image: { file: null } } } } },
        {
          a: { bytes: face(a), paths: ['variables.input.face1.image.file'] },
          b: { bytes: face(b), paths: ['variables.input.face2.image.file'] },
        },
      );
    const same = await verify('people/obama/1.jpg', 'people/obama/2.jpg');
    expect(same.data?.verifyFaces).toEqual({ verification: { isIdentical: true }, userErrors: [] });
    const different = await verify('people/obama/1.jpg', 'people/biden/1.jpg');
    expect(different.data?.verifyFaces).toEqual({ verification: { isIdentical: false }, userErrors: [] });
  });
});

describe('a file in collections: addFaceListFace', () => {
  it('enrols the face of an uploaded file, and a search finds it', async () => {
    const list = { kind: 'FACE_LIST', id: 'uploads' };
    const created = await server.gql<{ createFaceList: { userErrors: unknown[] } }>(
      `mutation($input: CreateFaceListInput!) { createFaceList(input: $input) { userErrors { code } } }`,
      { input: { ...list, name: 'Uploads', recognitionModel: 'RECOGNITION_04' } },
    );
    expect(created.data?.createFaceList.userErrors).toEqual([]);
    const ADD = `mutation($input: AddFaceListFaceInput!) { addFaceListFace(input: $input) { persistedFace { persistedFaceId userData } userErrors { code } } }`;
    type Added = { addFaceListFace: { persistedFace: { persistedFaceId: string; userData: string } | null; userErrors: unknown[] } };
    const byFile = await upload<Added>(
      { query: ADD, variables: { input: { faceList: list, face: { image: { file: null }, userData: 'obama' } } } },
      { photo: { bytes: face('people/obama/1.jpg'), paths: ['variables.input.face.image.file'] } },
    );
    expect(byFile.data?.addFaceListFace.userErrors).toEqual([]);
    expect(byFile.data?.addFaceListFace.persistedFace?.userData).toBe('obama');
    const other = await server.gql<Added>(ADD, {
      input: { faceList: list, face: { image: { base64: face('people/biden/1.jpg').toString('base64') }, userData: 'biden' } },
    });
    expect(other.data?.addFaceListFace.userErrors).toEqual([]);

    const found = await server.gql<{ findSimilarInFaceList: { matches: Array<{ persistedFaceId: string }> } }>(
      `mutation($input: FindSimilarInFaceListInput!) { findSimilarInFaceList(input: $input) { matches { persistedFaceId } } }`,
      {
        input: {
          faceList: list,
          face: { image: { base64: face('people/obama/2.jpg').toString('base64') } },
          mode: 'MATCH_FACE',
          maxCandidates: 1,
        },
      },
    );
    expect(found.data?.findSimilarInFaceList.matches.map((m) => m.persistedFaceId)).toEqual([
      byFile.data?.addFaceListFace.persistedFace?.persistedFaceId,
    ]);
  });
});

describe('a file as a liveness verifyImage', () => {
  const CREATE = `mutation($input: CreateLivenessSessionInput!) {
    createLivenessSession(input: $input) { session { id verifyReference { faceRectangle { width } } } userErrors { code field } }
  }`;
  type Created = {
    createLivenessSession: { session: { id: string; verifyReference: { faceRectangle: { width: number } } } | null; userErrors: unknown[] };
  };
  const create = (bytes: Buffer) =>
    upload<Created>(
      { query: CREATE, variables: { input: { livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'd', verifyImage: { file: null } } } },
      { 0: { bytes, paths: ['variables.input.verifyImage.file'] } },
    );

  it('makes a liveness-with-verify session with the reference face of the file', async () => {
    const res = await create(face('people/obama/1.jpg'));
    expect(res.data?.createLivenessSession.userErrors).toEqual([]);
    expect(res.data?.createLivenessSession.session?.verifyReference.faceRectangle.width).toBeGreaterThan(50);
  });

  it('an oversized file is an IMAGE_TOO_LARGE userError on verifyImage, as with base64', async () => {
    const photo = face('people/obama/1.jpg');
    const res = await create(Buffer.concat([photo, Buffer.alloc(DEFAULT_IMAGE_LIMITS.maxBytes + 1 - photo.length)]));
    expect(res.data?.createLivenessSession).toEqual({
      session: null,
      userErrors: [{ code: 'IMAGE_TOO_LARGE', field: ['input', 'verifyImage'] }],
    });
  });
});

describe('refusals', () => {
  it('a file over the image limit: IMAGE_TOO_LARGE with its size, and the server keeps serving', async () => {
    const maxBytes = DEFAULT_IMAGE_LIMITS.maxBytes;
    const photo = face('people/obama/1.jpg');
    const oversized = Buffer.concat([photo, Buffer.alloc(maxBytes + 1 - photo.length)]);
    const before = server.detections();
    const res = await upload<Detected>({ query: DETECT_FILE, variables: { f: null } }, { 0: { bytes: oversized, paths: ['variables.f'] } });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'IMAGE_TOO_LARGE', size: maxBytes + 1, maxBytes });
    expect(server.detections()).toBe(before);
    await expectStillServing();
  });

  it('a file of exactly the limit is not refused for its size', async () => {
    const maxBytes = DEFAULT_IMAGE_LIMITS.maxBytes;
    const photo = face('people/obama/1.jpg');
    // A JPEG followed by zeros: decoders stop at the end-of-image marker.
    const exact = Buffer.concat([photo, Buffer.alloc(maxBytes - photo.length)]);
    const res = await upload<Detected>({ query: DETECT_FILE, variables: { f: null } }, { 0: { bytes: exact, paths: ['variables.f'] } });
    expect(res.errors).toBeUndefined();
    expect(res.data?.detectFaces).toHaveLength(1);
  });

  it('without a preflight header: refused by Apollo CSRF prevention (400 BAD_REQUEST), nothing runs', async () => {
    const before = server.detections();
    const res = await upload<Detected>(
      { query: DETECT_FILE, variables: { f: null } },
      { 0: { bytes: face('people/obama/1.jpg'), paths: ['variables.f'] } },
      {},
    );
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(server.detections()).toBe(before);
    // x-apollo-operation-name is the other header Apollo accepts.
    const named = await upload<Detected>(
      { query: DETECT_FILE, variables: { f: null } },
      { 0: { bytes: face('people/obama/1.jpg'), paths: ['variables.f'] } },
      { 'x-apollo-operation-name': 'Detect' },
    );
    expect(named.status).toBe(200);
    expect(named.data?.detectFaces).toHaveLength(1);
  });

  const operations = JSON.stringify({ query: DETECT_FILE, variables: { f: null } });
  const part = (name: string, value: string) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const filePart = (name: string) =>
    `--b\r\nContent-Disposition: form-data; name="${name}"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\nnot really a jpeg\r\n`;
  const multipart = { ...PREFLIGHT, 'content-type': 'multipart/form-data; boundary=b' };

  it.each<[string, string, Record<string, string>, RegExp]>([
    ['a truncated body', part('operations', operations).slice(0, 60), multipart, /malformed/],
    ['no boundary', part('operations', operations), { ...PREFLIGHT, 'content-type': 'multipart/form-data' }, /boundary/],
    [
      'operations that are not JSON',
      part('operations', '{nope') + part('map', '{}') + '--b--\r\n',
      multipart,
      /operations .*not valid JSON/,
    ],
    ['no map', part('operations', operations) + '--b--\r\n', multipart, /needs the operations and map/],
    [
      'a map that is not an object of path arrays',
      part('operations', operations) + part('map', '{"0":"variables.f"}') + '--b--\r\n',
      multipart,
      /map field must be/,
    ],
    [
      'a map path that is not a null in operations',
      part('operations', operations) + part('map', '{"0":["variables.g"]}') + filePart('0') + '--b--\r\n',
      multipart,
      /does not lead to a null/,
    ],
    [
      'a map path into the prototype',
      part('operations', operations) + part('map', '{"0":["__proto__.polluted"]}') + filePart('0') + '--b--\r\n',
      multipart,
      /does not lead to a null/,
    ],
    [
      'a mapped file that is missing',
      part('operations', operations) + part('map', '{"0":["variables.f"]}') + '--b--\r\n',
      multipart,
      /does not have/,
    ],
    [
      'a file before the map',
      part('operations', operations) + filePart('0') + part('map', '{"0":["variables.f"]}') + '--b--\r\n',
      multipart,
      /after the operations and map/,
    ],
    [
      'a third field',
      part('operations', operations) + part('map', '{}') + part('extra', 'x') + '--b--\r\n',
      multipart,
      /Too many fields|Unexpected field/,
    ],
  ])('%s: 400 BAD_REQUEST, and the server keeps serving', async (_label, body, headers, message) => {
    const res = await send<Detected>(body, headers);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectStillServing();
  });

  it('exactly 10 files (operations, map and 10 file parts) are accepted', async () => {
    const photo = face('people/obama/3.jpg');
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const files = Object.fromEntries(ids.map((i) => [String(i), { bytes: photo, paths: [`variables.f${i}`] }]));
    const query = `query(${ids.map((i) => `$f${i}: Upload`).join(', ')}) { ${ids
      .map((i) => `a${i}: detectFaces(image: { file: $f${i} }) { faceId }`)
      .join(' ')} }`;
    const before = server.detections();
    const res = await upload<Record<string, Array<{ faceId: string }>>>(
      { query, variables: Object.fromEntries(ids.map((i) => [`f${i}`, null])) },
      files,
    );
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(Object.values(res.data ?? {}).map((faces) => faces.length)).toEqual(ids.map(() => 1));
    // Ten parts of the same bytes are one detection (keyed by content).
    expect(server.detections() - before).toBe(1);
  });

  it('more than 10 files: 413 REQUEST_TOO_LARGE', async () => {
    const photo = face('people/obama/3.jpg');
    const files = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i), { bytes: photo, paths: [`variables.f.${i}`] }]));
    const res = await upload<unknown>(
      { query: `query($f: [Upload]) { capabilities { provider } }`, variables: { f: Array.from({ length: 11 }, () => null) } },
      files,
    );
    expect(res.status).toBe(413);
    expect(res.errors?.[0]?.extensions?.code).toBe('REQUEST_TOO_LARGE');
    await expectStillServing();
  });

  it('a body declared larger than 10 files of 6 MB: 413 REQUEST_TOO_LARGE at once, without reading it', async () => {
    const declared = 10 * DEFAULT_IMAGE_LIMITS.maxBytes + 4 * 1024 * 1024;
    const answer = await new Promise<{ status: number; body: GqlResponse<unknown> }>((resolve, reject) => {
      const req = http.request(server.url, {
        method: 'POST',
        headers: { ...PREFLIGHT, 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(declared) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as GqlResponse<unknown> }));
      });
      req.on('error', reject);
      // Only the first bytes are ever sent: the answer must not wait for the rest.
      req.write('--b\r\n');
    });
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('REQUEST_TOO_LARGE');
    await expectStillServing();
  });

  it('an Upload given as JSON, or inline in the document, is refused', async () => {
    const asJson = await server.gql<Detected>(DETECT_FILE, { f: 'aGVsbG8=' });
    expect(asJson.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(asJson.errors?.[0]?.message).toMatch(/file part of a multipart/);
    const inline = await server.gql<Detected>(`{ detectFaces(image: { file: "x" }) { faceId } }`);
    expect(inline.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
