/**
 * Collections over GraphQL, end to end on the real engine and the shared, identity-labelled
 * photos: enrol people with one call each, train, identify held-out photos (by image and by
 * faceId), reject a person who was never enrolled, verify to a person, find similar faces in
 * both list kinds, page, delete, restart on the same data, and the documented error codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceBase64, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let dataDir: string;
let server: TestServer;

const photos = manifest().filter((m) => m.file.startsWith('people/'));
const people = [...new Set(photos.map((m) => m.file.split('/')[1]!))].sort();
const filesOf = (person: string): string[] => photos.filter((m) => m.file.split('/')[1] === person).map((m) => m.file);
/** Never enrolled, so identify must find nobody for their photos: rose_leslie, and anyone with one photo only (nothing to hold back). */
const strangers = people.filter((p) => p === 'rose_leslie' || filesOf(p).length < 2);
const enrolled = people.filter((p) => !strangers.includes(p));
/** Each enrolled person's last photo is held back as the probe; the others are the gallery. */
const gallery = (person: string): string[] => filesOf(person).slice(0, -1);
const probe = (person: string): string => filesOf(person).at(-1)!;

interface UserError {
  code: string;
  message: string;
  field: string[] | null;
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await server.gql<T>(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

const image = (file: string) => ({ base64: faceBase64(file) });

const CREATE_GROUP = `mutation($input: CreatePersonGroupInput!) {
  createPersonGroup(input: $input) { personGroup { id kind name recognitionModel training { status } } userErrors { code field message } }
}`;
const CREATE_PERSON = `mutation($input: CreatePersonInput!) {
  createPerson(input: $input) { person { personId name persistedFaces { persistedFaceId personId } } userErrors { code field message } }
}`;
const TRAIN_GROUP = `mutation($input: PersonGroupRefInput!) { trainPersonGroup(input: $input) { training { status } userErrors { code message } } }`;
const GROUP_TRAINING = `query($kind: PersonGroupKind, $id: ID!) { personGroup(kind: $kind, id: $id) { training { status lastSuccessfulTrainingAt message } } }`;
const IDENTIFY = `mutation($input: IdentifyFacesInput!) {
  identifyFaces(input: $input) {
    results { faceId candidates { personId confidence person { name } } }
    userErrors { code field message }
  }
}`;

interface IdentifyData {
  identifyFaces: {
    results: Array<{
      faceId: string | null;
      candidates: Array<{ personId: string; confidence: number; person: { name: string } | null }>;
    }> | null;
    userErrors: UserError[];
  };
}

async function trainAndWait(kind: string, id: string): Promise<void> {
  const started = await gql<{ trainPersonGroup: { training: { status: string }; userErrors: UserError[] } }>(TRAIN_GROUP, {
    input: { kind, id },
  });
  expect(started.trainPersonGroup.userErrors).toEqual([]);
  expect(['RUNNING', 'SUCCEEDED']).toContain(started.trainPersonGroup.training.status);
  for (let i = 0; i < 200; i++) {
    const { personGroup } = await gql<{ personGroup: { training: { status: string; message: string | null } } }>(GROUP_TRAINING, {
      kind,
      id,
    });
    if (personGroup.training.status === 'SUCCEEDED') return;
    expect(personGroup.training.status, personGroup.training.message ?? '').toBe('RUNNING');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('training did not finish');
}

async function detectId(file: string, recognitionModel = 'RECOGNITION_04'): Promise<string> {
  const data = await gql<{ detectFaces: Array<{ faceId: string }> }>(
    `query($b: String, $o: DetectFacesOptions) { detectFaces(image: { base64: $b }, options: $o) { faceId } }`,
    { b: faceBase64(file), o: { recognitionModel } },
  );
  return data.detectFaces[0]!.faceId;
}

const personIds = new Map<string, string>();
const GROUP = { kind: 'LARGE_PERSON_GROUP', id: 'hamilton-cast' };

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-collections-'));
  server = await startTestServer({ FACEGRAPH_DATA_DIR: dataDir });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('person groups: enrol, train, identify', () => {
  it('creates a large person group and enrols each person with their photos in one call', async () => {
    const created = await gql<{ createPersonGroup: { personGroup: Record<string, unknown>; userErrors: UserError[] } }>(CREATE_GROUP, {
      input: { ...GROUP, name: 'Cast', userData: 'stage', recognitionModel: 'RECOGNITION_04' },
    });
    expect(created.createPersonGroup).toEqual({
      personGroup: { id: 'hamilton-cast', kind: 'LARGE_PERSON_GROUP', name: 'Cast', recognitionModel: 'RECOGNITION_04', training: null },
      userErrors: [],
    });
    for (const person of enrolled) {
      const data = await gql<{
        createPerson: { person: { personId: string; name: string; persistedFaces: Array<{ persistedFaceId: string; personId: string }> } };
      }>(CREATE_PERSON, {
        input: { personGroup: GROUP, name: person, userData: `folder ${person}`, faces: gallery(person).map((f) => ({ image: image(f) })) },
      });
      const p = data.createPerson.person;
      expect(p.name).toBe(person);
      expect(p.persistedFaces).toHaveLength(gallery(person).length);
      expect(p.persistedFaces.every((f) => f.personId === p.personId)).toBe(true);
      personIds.set(person, p.personId);
    }
    // On the Azure provider the upstream resource holds the group and its persons, not the gateway.
    if (server.upstream) {
      const held = await server.upstream.services.localCollections!.persons.list({ kind: 'largePersonGroup', id: GROUP.id });
      expect(held.map((p) => p.personId).sort()).toEqual([...personIds.values()].sort());
      expect(server.app.services.localCollections).toBeNull();
    }
  });

  it('before training, identify is COLLECTION_NOT_TRAINED', async () => {
    const data = await gql<IdentifyData>(IDENTIFY, { input: { personGroup: GROUP, faces: [{ image: image(probe(enrolled[0]!)) }] } });
    expect(data.identifyFaces.results).toBeNull();
    expect(data.identifyFaces.userErrors.map((e) => e.code)).toEqual(['COLLECTION_NOT_TRAINED']);
  });

  it('identifies every held-back photo as its person, by image, and a never-enrolled person as nobody', async () => {
    await trainAndWait(GROUP.kind, GROUP.id);
    const probes = [...enrolled.map(probe), ...strangers.flatMap(filesOf)];
    expect(probes.length).toBeLessThanOrEqual(10);
    const data = await gql<IdentifyData>(IDENTIFY, { input: { personGroup: GROUP, faces: probes.map((f) => ({ image: image(f) })) } });
    expect(data.identifyFaces.userErrors).toEqual([]);
    const results = data.identifyFaces.results!;
    expect(results).toHaveLength(probes.length);
    enrolled.forEach((person, i) => {
      const top = results[i]!.candidates[0];
      expect(top?.personId, `${probe(person)} -> ${JSON.stringify(results[i])}`).toBe(personIds.get(person));
      expect(top!.person?.name).toBe(person);
      expect(top!.confidence).toBeGreaterThanOrEqual(0.5);
      expect(results[i]!.faceId).toBeNull();
    });
    for (const r of results.slice(enrolled.length)) expect(r.candidates).toEqual([]);
  });

  it('identifies by registered faceId too, and honours maxCandidates and confidenceThreshold', async () => {
    const person = enrolled[1]!;
    const faceId = await detectId(probe(person));
    const data = await gql<IdentifyData>(IDENTIFY, {
      input: { personGroup: GROUP, faces: [{ faceId }], maxCandidates: 2, confidenceThreshold: 0 },
    });
    const [result] = data.identifyFaces.results!;
    expect(result!.faceId).toBe(faceId);
    expect(result!.candidates).toHaveLength(2);
    expect(result!.candidates[0]!.personId).toBe(personIds.get(person));
    expect(result!.candidates[0]!.confidence).toBeGreaterThan(result!.candidates[1]!.confidence);
  });

  it('verifies a face to a person: the same person is identical, another is not', async () => {
    const VERIFY = `mutation($input: VerifyFaceToPersonInput!) {
      verifyFaceToPerson(input: $input) { verification { isIdentical confidence } userErrors { code } }
    }`;
    const [a, b] = enrolled;
    const same = await gql<{ verifyFaceToPerson: { verification: { isIdentical: boolean; confidence: number } } }>(VERIFY, {
      input: { personGroup: GROUP, face: { image: image(probe(a!)) }, personId: personIds.get(a!) },
    });
    expect(same.verifyFaceToPerson.verification.isIdentical).toBe(true);
    const other = await gql<{ verifyFaceToPerson: { verification: { isIdentical: boolean; confidence: number } } }>(VERIFY, {
      input: { personGroup: GROUP, face: { image: image(probe(a!)) }, personId: personIds.get(b!) },
    });
    expect(other.verifyFaceToPerson.verification.isIdentical).toBe(false);
  });

  it('pages persons with cursors, and Person is a federation entity', async () => {
    const PAGE = `query($after: String) { personGroup(kind: LARGE_PERSON_GROUP, id: "hamilton-cast") {
      persons(first: 2, after: $after) { edges { cursor node { personId } } pageInfo { hasNextPage endCursor } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        personGroup: { persons: { edges: Array<{ node: { personId: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } };
      } = await gql(PAGE, { after });
      seen.push(...data.personGroup.persons.edges.map((e) => e.node.personId));
      if (!data.personGroup.persons.pageInfo.hasNextPage) break;
      after = data.personGroup.persons.pageInfo.endCursor;
    }
    expect(seen).toEqual([...personIds.values()].sort());

    const personId = personIds.get(enrolled[0]!)!;
    const entities = await gql<{ _entities: Array<{ name: string; persistedFaces: unknown[] } | null> }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { name persistedFaces { persistedFaceId } } } }`,
      {
        r: [
          { __typename: 'Person', personGroupKind: 'LARGE_PERSON_GROUP', personGroupId: 'hamilton-cast', personId },
          {
            __typename: 'Person',
            personGroupKind: 'LARGE_PERSON_GROUP',
            personGroupId: 'hamilton-cast',
            personId: '00000000-0000-4000-8000-000000000000',
          },
        ],
      },
    );
    expect(entities._entities[0]).toMatchObject({ name: enrolled[0] });
    expect(entities._entities[0]!.persistedFaces).toHaveLength(gallery(enrolled[0]!).length);
    expect(entities._entities[1]).toBeNull();
  });

  it('a group photo needs targetFace; with it, the face under the rectangle is enrolled', async () => {
    const ADD = `mutation($input: AddPersonFaceInput!) { addPersonFace(input: $input) { persistedFace { persistedFaceId } userErrors { code field } } }`;
    const group = 'groups/obama_biden_1.jpg';
    const personId = personIds.get('obama')!;
    const multi = await gql<{ addPersonFace: { persistedFace: null; userErrors: UserError[] } }>(ADD, {
      input: { personGroup: GROUP, personId, face: { image: image(group) } },
    });
    expect(multi.addPersonFace.userErrors).toEqual([{ code: 'MULTIPLE_FACES_IN_IMAGE', field: ['input', 'face', 'targetFace'] }]);

    const detected = await gql<{ detectFaces: Array<{ faceRectangle: { left: number; top: number; width: number; height: number } }> }>(
      `query($b: String) { detectFaces(image: { base64: $b }) { faceRectangle { left top width height } } }`,
      { b: faceBase64(group) },
    );
    // obama is on the left (manifest order): the leftmost face.
    const left = detected.detectFaces.map((f) => f.faceRectangle).sort((a, b) => a.left - b.left)[0]!;
    const added = await gql<{ addPersonFace: { persistedFace: { persistedFaceId: string }; userErrors: UserError[] } }>(ADD, {
      input: { personGroup: GROUP, personId, face: { image: image(group), targetFace: left } },
    });
    expect(added.addPersonFace.userErrors).toEqual([]);
    // The new face counts after the next training; verify-to-person uses it at once.
    const VERIFY = `mutation($input: VerifyFaceToPersonInput!) { verifyFaceToPerson(input: $input) { verification { isIdentical } } }`;
    const v = await gql<{ verifyFaceToPerson: { verification: { isIdentical: boolean } } }>(VERIFY, {
      input: { personGroup: GROUP, face: { image: image(probe('obama')) }, personId },
    });
    expect(v.verifyFaceToPerson.verification.isIdentical).toBe(true);
  });
});

describe('face lists', () => {
  const FIND = `mutation($input: FindSimilarInFaceListInput!) {
    findSimilarInFaceList(input: $input) { matches { persistedFaceId confidence } userErrors { code field } }
  }`;
  const CREATE = `mutation($input: CreateFaceListInput!) { createFaceList(input: $input) { faceList { id kind } userErrors { code field } } }`;
  const ADD = `mutation($input: AddFaceListFaceInput!) { addFaceListFace(input: $input) { persistedFace { persistedFaceId personId userData } userErrors { code field } } }`;

  it('FACE_LIST is searched as it is; LARGE_FACE_LIST only after training', async () => {
    const faceIdOf = new Map<string, string>();
    for (const kind of ['FACE_LIST', 'LARGE_FACE_LIST']) {
      const list = { kind, id: `gallery-${kind.toLowerCase().replace(/_/g, '-')}` };
      const created = await gql<{ createFaceList: { faceList: { id: string; kind: string }; userErrors: UserError[] } }>(CREATE, {
        input: { ...list, name: 'Gallery', recognitionModel: 'RECOGNITION_04' },
      });
      expect(created.createFaceList).toEqual({ faceList: list, userErrors: [] });
      for (const person of enrolled) {
        const added = await gql<{ addFaceListFace: { persistedFace: { persistedFaceId: string; personId: null; userData: string } } }>(
          ADD,
          {
            input: { faceList: list, face: { image: image(gallery(person)[0]!), userData: person } },
          },
        );
        expect(added.addFaceListFace.persistedFace).toMatchObject({ personId: null, userData: person });
        faceIdOf.set(`${kind}/${person}`, added.addFaceListFace.persistedFace.persistedFaceId);
      }
      const person = enrolled[2]!;
      const search = () =>
        gql<{ findSimilarInFaceList: { matches: Array<{ persistedFaceId: string; confidence: number }> | null; userErrors: UserError[] } }>(
          FIND,
          {
            input: { faceList: list, face: { image: image(probe(person)) }, mode: 'MATCH_FACE', maxCandidates: 3 },
          },
        );
      if (kind === 'LARGE_FACE_LIST') {
        expect((await search()).findSimilarInFaceList.userErrors.map((e) => e.code)).toEqual(['COLLECTION_NOT_TRAINED']);
        const trained = await gql<{ trainFaceList: { training: { status: string }; userErrors: UserError[] } }>(
          `mutation($input: FaceListRefInput!) { trainFaceList(input: $input) { training { status } userErrors { code } } }`,
          { input: list },
        );
        expect(trained.trainFaceList.userErrors).toEqual([]);
        for (let i = 0; i < 200; i++) {
          const s = await gql<{ faceList: { training: { status: string } } }>(
            `query($id: ID!) { faceList(kind: LARGE_FACE_LIST, id: $id) { training { status } } }`,
            { id: list.id },
          );
          if (s.faceList.training.status === 'SUCCEEDED') break;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const found = (await search()).findSimilarInFaceList;
      expect(found.userErrors).toEqual([]);
      expect(found.matches).toHaveLength(3);
      expect(found.matches![0]!.persistedFaceId).toBe(faceIdOf.get(`${kind}/${person}`));
      expect(found.matches![0]!.confidence).toBeGreaterThan(found.matches![1]!.confidence);
    }
  });

  it('a FACE_LIST is not trained', async () => {
    const data = await gql<{ trainFaceList: { training: null; userErrors: UserError[] } }>(
      `mutation { trainFaceList(input: { kind: FACE_LIST, id: "gallery-face-list" }) { training { status } userErrors { code field } } }`,
    );
    expect(data.trainFaceList.userErrors).toEqual([{ code: 'INVALID_ARGUMENT', field: ['input', 'kind'] }]);
  });
});

describe('errors', () => {
  it('bad id, existing id, unknown collection and person, wrong recognition model, no face', async () => {
    const badId = await gql<{ createPersonGroup: { userErrors: UserError[] } }>(CREATE_GROUP, { input: { id: 'Not Valid!', name: 'x' } });
    expect(badId.createPersonGroup.userErrors.map((e) => [e.code, e.field])).toEqual([['INVALID_ARGUMENT', ['input', 'id']]]);

    const exists = await gql<{ createPersonGroup: { userErrors: UserError[] } }>(CREATE_GROUP, { input: { ...GROUP, name: 'again' } });
    expect(exists.createPersonGroup.userErrors.map((e) => e.code)).toEqual(['COLLECTION_EXISTS']);

    const missing = await gql<IdentifyData>(IDENTIFY, {
      input: { personGroup: { kind: 'PERSON_GROUP', id: 'nobody-here' }, faces: [{ image: image(probe('obama')) }] },
    });
    expect(missing.identifyFaces.userErrors.map((e) => e.code)).toEqual(['COLLECTION_NOT_FOUND']);
    expect((await gql<{ personGroup: null }>(`{ personGroup(id: "nobody-here") { id } }`)).personGroup).toBeNull();

    const noPerson = await gql<{ addPersonFace: { userErrors: UserError[] } }>(
      `mutation($input: AddPersonFaceInput!) { addPersonFace(input: $input) { userErrors { code } } }`,
      { input: { personGroup: GROUP, personId: '00000000-0000-4000-8000-000000000000', face: { image: image(probe('obama')) } } },
    );
    expect(noPerson.addPersonFace.userErrors.map((e) => e.code)).toEqual(['PERSON_NOT_FOUND']);

    const otherModel = await detectId(probe('obama'), 'RECOGNITION_03');
    const mismatch = await gql<IdentifyData>(IDENTIFY, { input: { personGroup: GROUP, faces: [{ faceId: otherModel }] } });
    expect(mismatch.identifyFaces.userErrors.map((e) => [e.code, e.field])).toEqual([
      ['RECOGNITION_MODEL_MISMATCH', ['input', 'faceIds', '0']],
    ]);

    const faceId = await detectId(probe('obama'));
    const tooMany = await gql<IdentifyData>(IDENTIFY, {
      input: { personGroup: GROUP, faces: Array.from({ length: 11 }, () => ({ faceId })) },
    });
    expect(tooMany.identifyFaces.userErrors.map((e) => e.code)).toEqual(['INVALID_ARGUMENT']);
  });

  it('createPerson is all or nothing: a photo without a face leaves no person behind', async () => {
    const before = await gql<{ personGroup: { persons: { edges: unknown[] } } }>(
      `{ personGroup(kind: LARGE_PERSON_GROUP, id: "hamilton-cast") { persons(first: 1000) { edges { cursor } } } }`,
    );
    // Noise: a valid, large enough photo with no face in it.
    const noise = Buffer.from(Array.from({ length: 320 * 240 * 3 }, (_, i) => (i * 2654435761) % 251));
    const blank = (await import('sharp')).default(noise, { raw: { width: 320, height: 240, channels: 3 } });
    const data = await gql<{ createPerson: { person: null; userErrors: UserError[] } }>(CREATE_PERSON, {
      input: {
        personGroup: GROUP,
        name: 'half',
        faces: [{ image: image(probe('biden')) }, { image: { base64: (await blank.jpeg().toBuffer()).toString('base64') } }],
      },
    });
    expect(data.createPerson).toEqual({
      person: null,
      userErrors: [expect.objectContaining({ code: 'NO_FACE_IN_IMAGE', field: ['input', 'faces', '1', 'image'] })],
    });
    const after = await gql<{ personGroup: { persons: { edges: unknown[] } } }>(
      `{ personGroup(kind: LARGE_PERSON_GROUP, id: "hamilton-cast") { persons(first: 1000) { edges { cursor } } } }`,
    );
    expect(after.personGroup.persons.edges).toHaveLength(before.personGroup.persons.edges.length);
  });
});

describe('durability and deletion', () => {
  it('a restart on the same data keeps groups, persons, faces and the trained index', async () => {
    await server.stop();
    server = await startTestServer({ FACEGRAPH_DATA_DIR: dataDir });
    const data = await gql<IdentifyData>(IDENTIFY, { input: { personGroup: GROUP, faces: [{ image: image(probe('biden')) }] } });
    expect(data.identifyFaces.results![0]!.candidates[0]!.personId).toBe(personIds.get('biden'));
  });

  it('deleting a person removes it from identification at once; deleting the group removes everything', async () => {
    const DELETE_PERSON = `mutation($input: PersonRefInput!) { deletePerson(input: $input) { deletedId userErrors { code } } }`;
    const biden = personIds.get('biden')!;
    const deleted = await gql<{ deletePerson: { deletedId: string } }>(DELETE_PERSON, { input: { personGroup: GROUP, personId: biden } });
    expect(deleted.deletePerson.deletedId).toBe(biden);
    const data = await gql<IdentifyData>(IDENTIFY, { input: { personGroup: GROUP, faces: [{ image: image(probe('biden')) }] } });
    expect(data.identifyFaces.results![0]!.candidates.map((c) => c.personId)).not.toContain(biden);

    const dropped = await gql<{ deletePersonGroup: { deletedId: string; userErrors: UserError[] } }>(
      `mutation($input: PersonGroupRefInput!) { deletePersonGroup(input: $input) { deletedId userErrors { code } } }`,
      { input: GROUP },
    );
    expect(dropped.deletePersonGroup).toEqual({ deletedId: GROUP.id, userErrors: [] });
    expect(
      (await gql<{ personGroup: null }>(`{ personGroup(kind: LARGE_PERSON_GROUP, id: "hamilton-cast") { id } }`)).personGroup,
    ).toBeNull();
    const again = await gql<{ deletePersonGroup: { userErrors: UserError[] } }>(
      `mutation($input: PersonGroupRefInput!) { deletePersonGroup(input: $input) { userErrors { code } } }`,
      { input: GROUP },
    );
    expect(again.deletePersonGroup.userErrors.map((e) => e.code)).toEqual(['COLLECTION_NOT_FOUND']);
  });
});
