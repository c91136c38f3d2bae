/**
 * FaceList, LargeFaceList, PersonGroup and LargePersonGroup over facegraph's Azure-compatible
 * REST surface, driven by Microsoft's own client (`@azure-rest/ai-vision-face`), on the real
 * engine and the shared photos: every management route, add-face by bytes and by URL, training
 * polled through `operation-location`, identify, verify to a person, findsimilars in lists, and
 * the error answers (Azure's status and code) of the collection rules.
 *
 * Small collection limits are injected through startApp so quotas can be reached; the collection
 * store is the real SQLite one, wrapped only to hold one collection's training while the test
 * looks at it ("training not finished").
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import createClient, { getLongRunningPoller, isUnexpected, type FaceClient } from '@azure-rest/ai-vision-face';
import { AzureKeyCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionLimits } from '../../src/domain/collections.js';
import { face } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { holdTrainingReads } from '../helpers/hold-training.js';

const KEY = 'rest-collections-key-51c2';
const LIMITS: CollectionLimits = {
  collections: { faceList: 4, largeFaceList: 20, personGroup: 20, largePersonGroup: 20 },
  facesPerList: { faceList: 20, largeFaceList: 20 },
  personsPerGroup: { personGroup: 3, largePersonGroup: 10 },
  facesPerPerson: 3,
};

let server: TestServer;
let endpoint: string;
let client: FaceClient;
let images: http.Server;
let imagesBase: string;

/** Collection ids whose training (its read of the embeddings) waits for the promise. */
const held = new Map<string, Promise<void>>();
const holdTraining = holdTrainingReads((ref) => held.get(ref.id));

beforeAll(async () => {
  // A loopback image host standing in for the internet (127.0.0.1 is allow-listed below).
  images = http.createServer((req, res) => {
    const file = decodeURIComponent((req.url ?? '').slice(1));
    if (/^(people|groups)\/[a-z_]+(\/[a-z0-9_.-]+)?$/.test(file)) {
      try {
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(face(file));
        return;
      } catch {
        // falls through to 404
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  server = await startTestServer({ FACEGRAPH_API_KEYS: KEY, FACEGRAPH_URL_ALLOW_PRIVATE: '127.0.0.1' }, undefined, 'embedded', {
    collectionLimits: LIMITS,
    decorateCollectionStore: holdTraining,
  });
  endpoint = server.url.replace(/\/graphql$/, '');
  // No retries: a 429/503 must fail the test, not be retried into a pass.
  client = createClient(endpoint, new AzureKeyCredential(KEY), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
});

afterAll(async () => {
  await server?.stop();
  images?.closeAllConnections();
  await new Promise((r) => images?.close(r));
});

// ---- helpers ---------------------------------------------------------------------------------

interface Answer {
  status: string;
  body: unknown;
  headers: Record<string, string | undefined>;
}

/** Fails with the answer when it is not the expected success. */
function expectOk<T extends Answer>(res: T, status = '200'): T {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res;
}

/** Azure's error envelope with this status and code (and x-ms-error-code). */
function expectError(res: Answer, status: string, code: string, inner?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const error = (res.body as { error: { code: string; message: string; innererror?: { code: string } } }).error;
  expect(error.code, JSON.stringify(res.body)).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(res.headers['x-ms-error-code']).toBe(code);
  if (inner) expect(error.innererror?.code).toBe(inner);
}

/** faceIds of the photo's faces, detected with recognition_04 (largest first). */
async function detectIds(file: string, recognitionModel: 'recognition_03' | 'recognition_04' = 'recognition_04'): Promise<string[]> {
  const res = await client.path('/detect').post({
    contentType: 'application/octet-stream',
    queryParameters: { detectionModel: 'detection_03', recognitionModel, returnFaceId: true },
    body: face(file),
  });
  if (isUnexpected(res)) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  expect(res.body.length, file).toBeGreaterThan(0);
  return res.body.map((f) => f.faceId!);
}

const personOfFile = (file: string): string => file.split('/')[1]!;

type TrainedKind = 'largeFaceList' | 'personGroup' | 'largePersonGroup';
const trainRoute = (kind: TrainedKind, id: string) =>
  kind === 'largeFaceList'
    ? client.path('/largefacelists/{largeFaceListId}/train', id)
    : kind === 'personGroup'
      ? client.path('/persongroups/{personGroupId}/train', id)
      : client.path('/largepersongroups/{largePersonGroupId}/train', id);
/** The SDK's poller overloads take one kind's 202 each; the three are the same shape. */
type Started = Parameters<typeof getLongRunningPoller>[1];

/** POST …/train: 202 with an operation-location on this server, polled by the SDK's poller until it succeeds. */
async function train(kind: TrainedKind, id: string): Promise<void> {
  const started = await trainRoute(kind, id).post();
  expectOk(started, '202');
  if (isUnexpected(started)) return;
  const location = started.headers['operation-location'];
  expect(location).toMatch(new RegExp(`^${endpoint}/face/v1\\.2/operations/[0-9a-f-]{36}$`));
  const poller = await getLongRunningPoller(client, started as Started, { intervalInMs: 50 });
  await poller.pollUntilDone();
  expect(poller.getOperationState().status).toBe('succeeded');
  const op = await client.pathUnchecked(location).get();
  expect(op.status).toBe('200');
  const body = op.body as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['operationId', 'status', 'createdTime', 'lastActionTime', 'finishedTime']);
  expect(body.status).toBe('succeeded');
  expect(location.endsWith(String(body.operationId))).toBe(true);
  expect(Date.parse(String(body.finishedTime))).toBeGreaterThanOrEqual(Date.parse(String(body.createdTime)));
}

// ---- LargePersonGroup and PersonGroup ---------------------------------------------------------

describe('LargePersonGroup', () => {
  const id = `lpg-${randomUUID().slice(0, 8)}`;
  const enrolled: Record<string, string[]> = {
    obama: ['people/obama/1.jpg', 'people/obama/2.jpg', 'people/obama/3.jpg'],
    kit_harington: ['people/kit_harington/1.jpg', 'people/kit_harington/2.jpg'],
    alex_lacamoire: ['people/alex_lacamoire/1.png', 'people/alex_lacamoire/2.jpg'],
    biden: ['people/biden/1.jpg'],
    rose_leslie: ['people/rose_leslie/1.jpg'],
  };
  const heldOut = [
    'people/obama/4.jpg',
    'people/kit_harington/3.jpg',
    'people/alex_lacamoire/3.jpg',
    'people/biden/2.jpg',
    'people/rose_leslie/2.jpg',
  ];
  const personIds = new Map<string, string>();

  it('create, get (returnRecognitionModel), list with start/top, update', async () => {
    expectOk(
      await client.path('/largepersongroups/{largePersonGroupId}', id).put({ body: { name: 'Team', recognitionModel: 'recognition_04' } }),
    );
    const plain = await client.path('/largepersongroups/{largePersonGroupId}', id).get();
    if (isUnexpected(plain)) throw new Error(JSON.stringify(plain.body));
    expect(plain.body).toEqual({ name: 'Team', largePersonGroupId: id });
    const withModel = await client
      .path('/largepersongroups/{largePersonGroupId}', id)
      .get({ queryParameters: { returnRecognitionModel: true } });
    if (isUnexpected(withModel)) throw new Error(JSON.stringify(withModel.body));
    expect(withModel.body).toEqual({ name: 'Team', recognitionModel: 'recognition_04', largePersonGroupId: id });

    const update = await client.path('/largepersongroups/{largePersonGroupId}', id).patch({ body: { name: 'The team', userData: 'ud' } });
    expectOk(update);
    expect(update.body).toBeFalsy();

    // Two more groups around it, to page through in id order.
    const before = id.slice(0, -1);
    for (const other of [`${id}-a`, `${id}-b`]) {
      expectOk(await client.path('/largepersongroups/{largePersonGroupId}', other).put({ body: { name: other } }));
    }
    const listed = await client
      .path('/largepersongroups')
      .get({ queryParameters: { start: before, top: 2, returnRecognitionModel: true } });
    if (isUnexpected(listed)) throw new Error(JSON.stringify(listed.body));
    expect(listed.body.map((g) => g.largePersonGroupId)).toEqual([id, `${id}-a`]);
    expect(listed.body[0]).toEqual({ name: 'The team', userData: 'ud', recognitionModel: 'recognition_04', largePersonGroupId: id });
    expect(listed.body[1]!.recognitionModel).toBe('recognition_01');
    const next = await client.path('/largepersongroups').get({ queryParameters: { start: `${id}-a`, top: 5 } });
    if (isUnexpected(next)) throw new Error(JSON.stringify(next.body));
    expect(next.body.map((g) => g.largePersonGroupId).filter((g) => g.startsWith(id))).toEqual([`${id}-b`]);
    expect(next.body[0]!.recognitionModel).toBeUndefined();
    for (const other of [`${id}-a`, `${id}-b`]) expectOk(await client.path('/largepersongroups/{largePersonGroupId}', other).delete());
  });

  it('persons CRUD; faces added by bytes and by URL; GET/PATCH/DELETE a face', async () => {
    for (const name of Object.keys(enrolled)) {
      const created = await client
        .path('/largepersongroups/{largePersonGroupId}/persons', id)
        .post({ body: { name, userData: `${name}!` } });
      if (isUnexpected(created)) throw new Error(JSON.stringify(created.body));
      expect(Object.keys(created.body)).toEqual(['personId']);
      personIds.set(name, created.body.personId);
    }
    for (const [name, files] of Object.entries(enrolled)) {
      for (const [i, file] of files.entries()) {
        const personId = personIds.get(name)!;
        const route = client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces', id, personId);
        // Every other face through a URL on the image host, the rest as bytes.
        const added =
          i % 2 === 1
            ? await route.post({
                contentType: 'application/json',
                body: { url: `${imagesBase}/${file}` },
                queryParameters: { userData: file },
              })
            : await route.post({
                contentType: 'application/octet-stream',
                body: face(file),
                queryParameters: { userData: file, detectionModel: 'detection_03' },
              });
        if (isUnexpected(added)) throw new Error(`${file}: ${JSON.stringify(added.body)}`);
        expect(added.body.persistedFaceId).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
    const obamaId = personIds.get('obama')!;
    const obama = await client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, obamaId).get();
    if (isUnexpected(obama)) throw new Error(JSON.stringify(obama.body));
    expect(Object.keys(obama.body)).toEqual(['personId', 'name', 'userData', 'persistedFaceIds']);
    expect(obama.body).toMatchObject({ personId: obamaId, name: 'obama', userData: 'obama!' });
    expect(obama.body.persistedFaceIds).toHaveLength(3);

    const pfid = obama.body.persistedFaceIds![0]!;
    const faceRoute = client.path(
      '/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}',
      id,
      obamaId,
      pfid,
    );
    const read = await faceRoute.get();
    if (isUnexpected(read)) throw new Error(JSON.stringify(read.body));
    expect(read.body.persistedFaceId).toBe(pfid);
    expect(read.body.userData).toMatch(/^people\/obama\//);
    expectOk(await faceRoute.patch({ body: { userData: 'relabelled' } }));
    const reread = await faceRoute.get();
    expect(reread.body).toEqual({ persistedFaceId: pfid, userData: 'relabelled' });

    expectOk(
      await client
        .path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, obamaId)
        .patch({ body: { name: 'Barack Obama' } }),
    );
    const listed = await client.path('/largepersongroups/{largePersonGroupId}/persons', id).get({ queryParameters: { top: 1000 } });
    if (isUnexpected(listed)) throw new Error(JSON.stringify(listed.body));
    expect(listed.body.map((p) => p.personId)).toEqual([...personIds.values()].sort());
    expect(listed.body.find((p) => p.personId === obamaId)!.name).toBe('Barack Obama');
    const paged = await client
      .path('/largepersongroups/{largePersonGroupId}/persons', id)
      .get({ queryParameters: { start: listed.body[1]!.personId, top: 2 } });
    if (isUnexpected(paged)) throw new Error(JSON.stringify(paged.body));
    expect(paged.body.map((p) => p.personId)).toEqual(listed.body.slice(2, 4).map((p) => p.personId));

    // A person with a face, deleted: gone with its faces.
    const temp = await client.path('/largepersongroups/{largePersonGroupId}/persons', id).post({ body: { name: 'temp' } });
    if (isUnexpected(temp)) throw new Error(JSON.stringify(temp.body));
    const tempFaces = client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces', id, temp.body.personId);
    const tempFace = await tempFaces.post({ contentType: 'application/octet-stream', body: face('people/biden/2.jpg') });
    if (isUnexpected(tempFace)) throw new Error(JSON.stringify(tempFace.body));
    const tempFaceRoute = client.path(
      '/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}',
      id,
      temp.body.personId,
      tempFace.body.persistedFaceId,
    );
    expectOk(await tempFaceRoute.delete());
    expectError(await tempFaceRoute.get(), '404', 'PersistedFaceNotFound');
    expectOk(await client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, temp.body.personId).delete());
    expectError(
      await client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, temp.body.personId).get(),
      '404',
      'PersonNotFound',
    );
  });

  it('trains (operation-location polled to succeeded) and reports the training status', async () => {
    await train('largePersonGroup', id);
    const status = await client.path('/largepersongroups/{largePersonGroupId}/training', id).get();
    if (isUnexpected(status)) throw new Error(JSON.stringify(status.body));
    expect(Object.keys(status.body)).toEqual(['status', 'createdDateTime', 'lastActionDateTime', 'lastSuccessfulTrainingDateTime']);
    expect(status.body.status).toBe('succeeded');
    expect(Date.parse(status.body.lastSuccessfulTrainingDateTime)).toBeGreaterThanOrEqual(Date.parse(status.body.createdDateTime));
  });

  it('identifies every held-out photo as its person; an unenrolled person has no candidate', async () => {
    const queries = await Promise.all(heldOut.map(async (file) => (await detectIds(file))[0]!));
    const res = await client.path('/identify').post({ body: { faceIds: queries, largePersonGroupId: id, maxNumOfCandidatesReturned: 2 } });
    if (isUnexpected(res)) throw new Error(JSON.stringify(res.body));
    expect(res.body.map((r) => r.faceId)).toEqual(queries);
    for (const [i, result] of res.body.entries()) {
      expect(Object.keys(result)).toEqual(['faceId', 'candidates']);
      expect(result.candidates.length, heldOut[i]).toBeGreaterThan(0);
      expect(result.candidates.length).toBeLessThanOrEqual(2);
      expect(result.candidates[0]!.personId, heldOut[i]).toBe(personIds.get(personOfFile(heldOut[i]!)));
      expect(result.candidates[0]!.confidence).toBeGreaterThanOrEqual(0.5);
      expect(Object.keys(result.candidates[0]!)).toEqual(['personId', 'confidence']);
    }
    const [stranger] = await detectIds('people/lin_manuel_miranda/1.png');
    const none = await client.path('/identify').post({ body: { faceIds: [stranger!], largePersonGroupId: id } });
    if (isUnexpected(none)) throw new Error(JSON.stringify(none.body));
    expect(none.body).toEqual([{ faceId: stranger, candidates: [] }]);
  });

  it('verifies a face to a person: the same person is identical, another is not', async () => {
    const [obama4] = await detectIds('people/obama/4.jpg');
    const same = await client
      .path('/verify')
      .post({ body: { faceId: obama4!, largePersonGroupId: id, personId: personIds.get('obama')! } });
    if (isUnexpected(same)) throw new Error(JSON.stringify(same.body));
    expect(Object.keys(same.body)).toEqual(['isIdentical', 'confidence']);
    expect(same.body.isIdentical).toBe(true);
    const other = await client
      .path('/verify')
      .post({ body: { faceId: obama4!, largePersonGroupId: id, personId: personIds.get('rose_leslie')! } });
    if (isUnexpected(other)) throw new Error(JSON.stringify(other.body));
    expect(other.body.isIdentical).toBe(false);
    expect(other.body.confidence).toBeLessThan(0.5);
  });

  it('delete: the group and its persons are gone', async () => {
    expectOk(await client.path('/largepersongroups/{largePersonGroupId}', id).delete());
    expectError(
      await client.path('/largepersongroups/{largePersonGroupId}', id).get(),
      '404',
      'LargePersonGroupNotFound',
      'COLLECTION_NOT_FOUND',
    );
    expectError(
      await client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, personIds.get('obama')!).get(),
      '404',
      'LargePersonGroupNotFound',
    );
  });
});

describe('PersonGroup', () => {
  const id = `pg-${randomUUID().slice(0, 8)}`;

  it('full cycle: create, enrol, not trained, train, identify, verify, quotas, delete', async () => {
    const group = client.path('/persongroups/{personGroupId}', id);
    expectOk(await group.put({ body: { name: 'pg', userData: 'x', recognitionModel: 'recognition_04' } }));
    const got = await group.get({ queryParameters: { returnRecognitionModel: true } });
    expect(got.body).toEqual({ name: 'pg', userData: 'x', recognitionModel: 'recognition_04', personGroupId: id });
    const all = await client.path('/persongroups').get();
    if (isUnexpected(all)) throw new Error(JSON.stringify(all.body));
    expect(all.body.map((g) => g.personGroupId)).toContain(id);

    const persons = client.path('/persongroups/{personGroupId}/persons', id);
    const obama = await persons.post({ body: { name: 'obama' } });
    const biden = await persons.post({ body: { name: 'biden' } });
    if (isUnexpected(obama) || isUnexpected(biden)) throw new Error('create person failed');
    const obamaFaces = client.path('/persongroups/{personGroupId}/persons/{personId}/persistedfaces', id, obama.body.personId);
    for (const file of ['people/obama/1.jpg', 'people/obama/2.jpg', 'people/obama/3.jpg']) {
      expectOk(await obamaFaces.post({ contentType: 'application/octet-stream', body: face(file) }));
    }
    // Over the limit (3 faces per person here; Azure's is 248): 403 QuotaExceeded.
    expectError(
      await obamaFaces.post({ contentType: 'application/octet-stream', body: face('people/obama/4.jpg') }),
      '403',
      'QuotaExceeded',
      'QUOTA_EXCEEDED',
    );

    // A group photo without targetFace: which face is meant? With targetFace, Biden's face is added.
    const bidenFaces = client.path('/persongroups/{personGroupId}/persons/{personId}/persistedfaces', id, biden.body.personId);
    const group2 = 'groups/obama_biden_1.jpg';
    expectError(
      await bidenFaces.post({ contentType: 'application/octet-stream', body: face(group2) }),
      '400',
      'InvalidImage',
      'MULTIPLE_FACES_IN_IMAGE',
    );
    const detected = await client.path('/detect').post({
      contentType: 'application/octet-stream',
      queryParameters: { detectionModel: 'detection_03', recognitionModel: 'recognition_04', returnFaceId: true },
      body: face(group2),
    });
    if (isUnexpected(detected)) throw new Error(JSON.stringify(detected.body));
    // obama_biden_1: people left to right are obama, biden.
    const bidenFace = [...detected.body].sort((a, b) => a.faceRectangle.left - b.faceRectangle.left)[1]!;
    const r = bidenFace.faceRectangle;
    expectOk(
      await bidenFaces.post({
        contentType: 'application/octet-stream',
        body: face(group2),
        queryParameters: { targetFace: [r.left, r.top, r.width, r.height], detectionModel: 'detection_03' },
      }),
    );
    expectError(
      await bidenFaces.post({ contentType: 'application/octet-stream', body: face(group2), queryParameters: { targetFace: [1, 2, 3] } }),
      '400',
      'BadArgument',
      'INVALID_ARGUMENT',
    );

    // Persons over the limit (3 here).
    expectOk(await persons.post({ body: { name: 'third' } }));
    expectError(await persons.post({ body: { name: 'fourth' } }), '403', 'QuotaExceeded');

    // Not trained yet: identify 400, GET training 404, both PersonGroupNotTrained.
    const [query] = await detectIds('people/biden/2.jpg');
    expectError(
      await client.path('/identify').post({ body: { faceIds: [query!], personGroupId: id } }),
      '400',
      'PersonGroupNotTrained',
      'COLLECTION_NOT_TRAINED',
    );
    expectError(await client.path('/persongroups/{personGroupId}/training', id).get(), '404', 'PersonGroupNotTrained');

    await train('personGroup', id);
    const identified = await client.path('/identify').post({ body: { faceIds: [query!], personGroupId: id, confidenceThreshold: 0.5 } });
    if (isUnexpected(identified)) throw new Error(JSON.stringify(identified.body));
    expect(identified.body[0]!.candidates.map((c) => c.personId)).toEqual([biden.body.personId]);

    const verified = await client.path('/verify').post({ body: { faceId: query!, personGroupId: id, personId: biden.body.personId } });
    if (isUnexpected(verified)) throw new Error(JSON.stringify(verified.body));
    expect(verified.body.isIdentical).toBe(true);

    // A face of another recognition model than the group's.
    const [other] = await detectIds('people/biden/2.jpg', 'recognition_03');
    expectError(
      await client.path('/verify').post({ body: { faceId: other!, personGroupId: id, personId: biden.body.personId } }),
      '400',
      'BadArgument',
      'RECOGNITION_MODEL_MISMATCH',
    );
    expectError(
      await client.path('/identify').post({ body: { faceIds: [other!], personGroupId: id } }),
      '400',
      'BadArgument',
      'RECOGNITION_MODEL_MISMATCH',
    );

    expectOk(await group.delete());
    expectError(await group.get(), '404', 'PersonGroupNotFound');
  });
});

// ---- FaceList and LargeFaceList ---------------------------------------------------------------

const LIST_FILES = [
  'people/obama/1.jpg',
  'people/obama/2.jpg',
  'people/biden/1.jpg',
  'people/kit_harington/1.jpg',
  'people/rose_leslie/1.jpg',
];

describe('FaceList', () => {
  const id = `fl-${randomUUID().slice(0, 8)}`;

  it('create, get with its faces, list, update; add by bytes and URL; findsimilars both modes; delete a face; delete', async () => {
    const list = client.path('/facelists/{faceListId}', id);
    expectOk(await list.put({ body: { name: 'faces', recognitionModel: 'recognition_04' } }));
    const empty = await list.get();
    expect(empty.body).toEqual({ name: 'faces', faceListId: id, persistedFaces: [] });

    const [query] = await detectIds('people/obama/3.jpg');
    expectError(
      await client.path('/findsimilars').post({ body: { faceId: query!, faceListId: id } }),
      '400',
      'FaceListNotReady',
      'COLLECTION_EMPTY',
    );

    const byFile = new Map<string, string>();
    for (const [i, file] of LIST_FILES.entries()) {
      const route = client.path('/facelists/{faceListId}/persistedfaces', id);
      const added =
        i % 2 === 0
          ? await route.post({ contentType: 'application/octet-stream', body: face(file), queryParameters: { userData: file } })
          : await route.post({
              contentType: 'application/json',
              body: { url: `${imagesBase}/${file}` },
              queryParameters: { userData: file },
            });
      if (isUnexpected(added)) throw new Error(`${file}: ${JSON.stringify(added.body)}`);
      byFile.set(file, added.body.persistedFaceId);
    }
    const got = await list.get({ queryParameters: { returnRecognitionModel: true } });
    if (isUnexpected(got)) throw new Error(JSON.stringify(got.body));
    expect(Object.keys(got.body)).toEqual(['name', 'recognitionModel', 'faceListId', 'persistedFaces']);
    expect(got.body.persistedFaces!.map((f) => f.persistedFaceId).sort()).toEqual([...byFile.values()].sort());
    for (const f of got.body.persistedFaces!) expect(byFile.get(f.userData!)).toBe(f.persistedFaceId);

    expectOk(await list.patch({ body: { userData: 'renamed' } }));
    const lists = await client.path('/facelists').get({ queryParameters: { returnRecognitionModel: true } });
    if (isUnexpected(lists)) throw new Error(JSON.stringify(lists.body));
    expect(lists.body.find((l) => l.faceListId === id)).toEqual({
      name: 'faces',
      userData: 'renamed',
      recognitionModel: 'recognition_04',
      faceListId: id,
    });

    const obama = new Set([byFile.get('people/obama/1.jpg'), byFile.get('people/obama/2.jpg')]);
    const byPerson = await client.path('/findsimilars').post({ body: { faceId: query!, faceListId: id } });
    if (isUnexpected(byPerson)) throw new Error(JSON.stringify(byPerson.body));
    expect(new Set(byPerson.body.map((m) => m.persistedFaceId))).toEqual(obama);
    for (const m of byPerson.body) expect(Object.keys(m)).toEqual(['confidence', 'persistedFaceId']);
    const byFace = await client
      .path('/findsimilars')
      .post({ body: { faceId: query!, faceListId: id, mode: 'matchFace', maxNumOfCandidatesReturned: 4 } });
    if (isUnexpected(byFace)) throw new Error(JSON.stringify(byFace.body));
    expect(byFace.body).toHaveLength(4);
    expect(new Set(byFace.body.slice(0, 2).map((m) => m.persistedFaceId))).toEqual(obama);

    // Deleting a face: FaceLists are searched as they are, with no training.
    const removed = byFile.get('people/obama/2.jpg')!;
    expectOk(await client.path('/facelists/{faceListId}/persistedfaces/{persistedFaceId}', id, removed).delete());
    expectError(
      await client.path('/facelists/{faceListId}/persistedfaces/{persistedFaceId}', id, removed).delete(),
      '404',
      'PersistedFaceNotFound',
    );
    const after = await client.path('/findsimilars').post({ body: { faceId: query!, faceListId: id } });
    if (isUnexpected(after)) throw new Error(JSON.stringify(after.body));
    expect(after.body.map((m) => m.persistedFaceId)).toEqual([byFile.get('people/obama/1.jpg')]);

    expectOk(await list.delete());
    expectError(await list.get(), '404', 'FaceListNotFound');
  });
});

describe('LargeFaceList', () => {
  const id = `lfl-${randomUUID().slice(0, 8)}`;

  it('create, add, page faces, get/patch a face, not trained, train, findsimilars both modes, delete', async () => {
    const list = client.path('/largefacelists/{largeFaceListId}', id);
    expectOk(await list.put({ body: { name: 'large', recognitionModel: 'recognition_04' } }));
    const got = await list.get();
    expect(got.body).toEqual({ name: 'large', largeFaceListId: id });
    const lists = await client.path('/largefacelists').get();
    if (isUnexpected(lists)) throw new Error(JSON.stringify(lists.body));
    expect(lists.body.map((l) => l.largeFaceListId)).toContain(id);

    const byFile = new Map<string, string>();
    for (const file of LIST_FILES) {
      const added = await client.path('/largefacelists/{largeFaceListId}/persistedfaces', id).post({
        contentType: 'application/octet-stream',
        body: face(file),
        queryParameters: { userData: file, detectionModel: 'detection_03' },
      });
      if (isUnexpected(added)) throw new Error(JSON.stringify(added.body));
      byFile.set(file, added.body.persistedFaceId);
    }
    const sorted = [...byFile.values()].sort();
    const firstPage = await client.path('/largefacelists/{largeFaceListId}/persistedfaces', id).get({ queryParameters: { top: 2 } });
    if (isUnexpected(firstPage)) throw new Error(JSON.stringify(firstPage.body));
    expect(firstPage.body.map((f) => f.persistedFaceId)).toEqual(sorted.slice(0, 2));
    const rest = await client.path('/largefacelists/{largeFaceListId}/persistedfaces', id).get({ queryParameters: { start: sorted[1]! } });
    if (isUnexpected(rest)) throw new Error(JSON.stringify(rest.body));
    expect(rest.body.map((f) => f.persistedFaceId)).toEqual(sorted.slice(2));

    const one = client.path('/largefacelists/{largeFaceListId}/persistedfaces/{persistedFaceId}', id, byFile.get('people/biden/1.jpg')!);
    expect((await one.get()).body).toEqual({ persistedFaceId: byFile.get('people/biden/1.jpg'), userData: 'people/biden/1.jpg' });
    expectOk(await one.patch({ body: { userData: 'biden' } }));
    expect((await one.get()).body).toEqual({ persistedFaceId: byFile.get('people/biden/1.jpg'), userData: 'biden' });

    const [query] = await detectIds('people/obama/3.jpg');
    expectError(
      await client.path('/findsimilars').post({ body: { faceId: query!, largeFaceListId: id } }),
      '400',
      'LargeFaceListNotTrained',
    );
    expectError(await client.path('/largefacelists/{largeFaceListId}/training', id).get(), '404', 'LargeFaceListNotTrained');

    await train('largeFaceList', id);
    const obama = new Set([byFile.get('people/obama/1.jpg'), byFile.get('people/obama/2.jpg')]);
    const byPerson = await client.path('/findsimilars').post({ body: { faceId: query!, largeFaceListId: id } });
    if (isUnexpected(byPerson)) throw new Error(JSON.stringify(byPerson.body));
    expect(new Set(byPerson.body.map((m) => m.persistedFaceId))).toEqual(obama);
    const byFace = await client
      .path('/findsimilars')
      .post({ body: { faceId: query!, largeFaceListId: id, mode: 'matchFace', maxNumOfCandidatesReturned: 5 } });
    if (isUnexpected(byFace)) throw new Error(JSON.stringify(byFace.body));
    expect(byFace.body).toHaveLength(5);
    expect(new Set(byFace.body.slice(0, 2).map((m) => m.persistedFaceId))).toEqual(obama);
    for (let i = 1; i < byFace.body.length; i++) expect(byFace.body[i]!.confidence).toBeLessThanOrEqual(byFace.body[i - 1]!.confidence);

    expectOk(await list.delete());
    expectError(await list.get(), '404', 'LargeFaceListNotFound');
  });
});

// ---- errors ----------------------------------------------------------------------------------

describe('errors', () => {
  it('bad ids are 400 BadArgument; an existing id is 409 {Kind}Exists', async () => {
    for (const bad of ['UPPER', 'a'.repeat(65), 'sp ace', 'dot.ted']) {
      expectError(
        await client.path('/persongroups/{personGroupId}', bad).put({ body: { name: 'n' } }),
        '400',
        'BadArgument',
        'INVALID_ARGUMENT',
      );
    }
    const id = `dup-${randomUUID().slice(0, 8)}`;
    expectOk(await client.path('/largefacelists/{largeFaceListId}', 'a'.repeat(64)).put({ body: { name: 'n' } }));
    expectOk(await client.path('/largefacelists/{largeFaceListId}', 'a'.repeat(64)).delete());
    const kinds = [
      [(i: string) => client.path('/facelists/{faceListId}', i), 'FaceListExists'],
      [(i: string) => client.path('/largefacelists/{largeFaceListId}', i), 'LargeFaceListExists'],
      [(i: string) => client.path('/persongroups/{personGroupId}', i), 'PersonGroupExists'],
      [(i: string) => client.path('/largepersongroups/{largePersonGroupId}', i), 'LargePersonGroupExists'],
    ] as const;
    for (const [route, code] of kinds) {
      expectOk(await route(id).put({ body: { name: 'first' } }));
      expectError(await route(id).put({ body: { name: 'second' } }), '409', code, 'COLLECTION_EXISTS');
      expectOk(await route(id).delete());
    }
    // Other rules of the body.
    expectError(await client.path('/persongroups/{personGroupId}', id).put({ body: { name: '' } }), '400', 'BadArgument');
    expectError(
      await client.path('/persongroups/{personGroupId}', id).put({ body: { name: 'n', recognitionModel: 'recognition_09' } }),
      '400',
      'BadArgument',
    );
  });

  it('unknown collection, person or face: 404 with the code of the kind', async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    expectError(await client.path('/facelists/{faceListId}', missing).get(), '404', 'FaceListNotFound');
    expectError(
      await client.path('/largefacelists/{largeFaceListId}', missing).patch({ body: { name: 'x' } }),
      '404',
      'LargeFaceListNotFound',
    );
    expectError(await client.path('/persongroups/{personGroupId}', missing).delete(), '404', 'PersonGroupNotFound');
    expectError(await client.path('/largepersongroups/{largePersonGroupId}/persons', missing).get(), '404', 'LargePersonGroupNotFound');
    expectError(await client.path('/largepersongroups/{largePersonGroupId}/train', missing).post(), '404', 'LargePersonGroupNotFound');
    expectError(
      await client
        .path('/facelists/{faceListId}/persistedfaces', missing)
        .post({ contentType: 'application/octet-stream', body: face('people/obama/1.jpg') }),
      '404',
      'FaceListNotFound',
    );

    const id = `known-${randomUUID().slice(0, 8)}`;
    expectOk(
      await client.path('/largepersongroups/{largePersonGroupId}', id).put({ body: { name: 'n', recognitionModel: 'recognition_04' } }),
    );
    const unknownPerson = randomUUID();
    expectError(
      await client.path('/largepersongroups/{largePersonGroupId}/persons/{personId}', id, unknownPerson).get(),
      '404',
      'PersonNotFound',
      'PERSON_NOT_FOUND',
    );
    expectError(
      await client
        .path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces', id, unknownPerson)
        .post({ contentType: 'application/octet-stream', body: face('people/obama/1.jpg') }),
      '404',
      'PersonNotFound',
    );
    const person = await client.path('/largepersongroups/{largePersonGroupId}/persons', id).post({ body: { name: 'p' } });
    if (isUnexpected(person)) throw new Error(JSON.stringify(person.body));
    expectError(
      await client
        .path(
          '/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}',
          id,
          person.body.personId,
          randomUUID(),
        )
        .get(),
      '404',
      'PersistedFaceNotFound',
      'PERSISTED_FACE_NOT_FOUND',
    );

    // In identify, verify and findsimilars an unknown collection is a 400.
    const [faceId] = await detectIds('people/obama/1.jpg');
    expectError(
      await client.path('/identify').post({ body: { faceIds: [faceId!], personGroupId: missing } }),
      '400',
      'PersonGroupNotFound',
    );
    expectError(
      await client.path('/verify').post({ body: { faceId: faceId!, largePersonGroupId: missing, personId: unknownPerson } }),
      '400',
      'LargePersonGroupNotFound',
    );
    expectError(
      await client.path('/findsimilars').post({ body: { faceId: faceId!, largeFaceListId: missing } }),
      '400',
      'LargeFaceListNotFound',
    );
    // Unknown person in verify; a person without a face.
    expectError(
      await client.path('/verify').post({ body: { faceId: faceId!, largePersonGroupId: id, personId: unknownPerson } }),
      '404',
      'PersonNotFound',
    );
    expectError(
      await client.path('/verify').post({ body: { faceId: faceId!, largePersonGroupId: id, personId: person.body.personId } }),
      '404',
      'PersistedFaceNotFound',
    );
    expectOk(await client.path('/largepersongroups/{largePersonGroupId}', id).delete());

    expectError(
      await client.pathUnchecked('/operations/{operationId}', randomUUID()).get(),
      '404',
      'OperationNotFound',
      'OPERATION_NOT_FOUND',
    );
  });

  it("identify's scope: exactly one of personGroupId, largePersonGroupId, personIds, dynamicPersonGroupId", async () => {
    const [faceId] = await detectIds('people/obama/1.jpg');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ faceIds: [faceId], personGroupId: 'a', largePersonGroupId: 'b' }, 'PersonGroupIdAndLargePersonGroupIdBothNotNull'],
      [{ faceIds: [faceId] }, 'MissingIdentificationScopeParameters'],
      [{ faceIds: [faceId], personGroupId: 'a', personIds: ['*'] }, 'IncompatibleIdentificationScopeParametersCombination'],
      [{ faceIds: [faceId], personIds: ['*'] }, 'BadArgument'],
      [{ faceIds: [faceId], dynamicPersonGroupId: 'd' }, 'BadArgument'],
    ];
    for (const [body, code] of cases)
      expectError(await client.path('/identify').post({ body: body as never }), '400', code, 'INVALID_ARGUMENT');
  });

  it('limits: FaceLists per resource (4 here; Azure 64); paging arguments', async () => {
    const existing = await client.path('/facelists').get();
    if (isUnexpected(existing)) throw new Error(JSON.stringify(existing.body));
    const made: string[] = [];
    for (let i = existing.body.length; i < LIMITS.collections.faceList; i++) {
      const id = `quota-${i}`;
      expectOk(await client.path('/facelists/{faceListId}', id).put({ body: { name: id } }));
      made.push(id);
    }
    expectError(
      await client.path('/facelists/{faceListId}', 'quota-over').put({ body: { name: 'over' } }),
      '403',
      'QuotaExceeded',
      'QUOTA_EXCEEDED',
    );
    for (const id of made) expectOk(await client.path('/facelists/{faceListId}', id).delete());
    expectError(await client.path('/largefacelists').get({ queryParameters: { top: 0 } }), '400', 'BadArgument');
    expectError(await client.path('/largefacelists').get({ queryParameters: { top: 1001 } }), '400', 'BadArgument');
    expectError(await client.path('/persongroups').get({ queryParameters: { start: 'x'.repeat(65) } }), '400', 'BadArgument');
  });

  it('training in progress: identify is 409 {Kind}TrainingNotFinished, the operation is running until the training ends', async () => {
    const id = `busy-${randomUUID().slice(0, 8)}`;
    expectOk(
      await client.path('/largepersongroups/{largePersonGroupId}', id).put({ body: { name: 'busy', recognitionModel: 'recognition_04' } }),
    );
    const person = await client.path('/largepersongroups/{largePersonGroupId}/persons', id).post({ body: { name: 'obama' } });
    if (isUnexpected(person)) throw new Error(JSON.stringify(person.body));
    expectOk(
      await client
        .path('/largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces', id, person.body.personId)
        .post({ contentType: 'application/octet-stream', body: face('people/obama/1.jpg') }),
    );
    let release!: () => void;
    held.set(id, new Promise<void>((resolve) => (release = resolve)));
    try {
      const started = await client.path('/largepersongroups/{largePersonGroupId}/train', id).post();
      expectOk(started, '202');
      const location = started.headers['operation-location'];
      const running = await client.pathUnchecked(location).get();
      expect(running.status).toBe('200');
      expect(running.body).toMatchObject({ status: 'running' });
      expect((running.body as Record<string, unknown>).finishedTime).toBeUndefined();
      const status = await client.path('/largepersongroups/{largePersonGroupId}/training', id).get();
      expect(status.body).toMatchObject({ status: 'running' });

      const [faceId] = await detectIds('people/obama/2.jpg');
      expectError(
        await client.path('/identify').post({ body: { faceIds: [faceId!], largePersonGroupId: id } }),
        '409',
        'LargePersonGroupTrainingNotFinished',
        'TRAINING_NOT_FINISHED',
      );
      release();
      const poller = await getLongRunningPoller(client, started, { intervalInMs: 50 });
      await poller.pollUntilDone();
      const done = await client.pathUnchecked(location).get();
      expect(done.body).toMatchObject({ status: 'succeeded' });
      const identified = await client.path('/identify').post({ body: { faceIds: [faceId!], largePersonGroupId: id } });
      if (isUnexpected(identified)) throw new Error(JSON.stringify(identified.body));
      expect(identified.body[0]!.candidates.map((c) => c.personId)).toEqual([person.body.personId]);
    } finally {
      release();
      held.delete(id);
    }
    expectOk(await client.path('/largepersongroups/{largePersonGroupId}', id).delete());
  });
});
