/**
 * Recognition end to end over HTTP on the real engine and the shared, identity-labelled photos.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, FACES_DIR, faceBase64 } from '../helpers/paths.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const clock = new ManualClock();

/** person -> file -> faceId, for every single-person photo under people/. */
const ids = new Map<string, string>();
const personOf = new Map<string, string>();
const files: string[] = [];

async function detectId(file: string, options: Record<string, unknown> = {}): Promise<string> {
  const res = await server.gql<{ detectFaces: Array<{ faceId: string }> }>(
    `query($b: String, $o: DetectFacesOptions) { detectFaces(image: { base64: $b }, options: $o) { faceId } }`,
    { b: faceBase64(file), o: options },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.detectFaces[0]!.faceId;
}

beforeAll(async () => {
  server = await startTestServer({}, clock);
  for (const person of readdirSync(path.join(FACES_DIR, 'people')).sort()) {
    for (const f of readdirSync(path.join(FACES_DIR, 'people', person)).sort()) files.push(`people/${person}/${f}`);
  }
  for (const file of files) {
    ids.set(file, await detectId(file));
    personOf.set(ids.get(file)!, file.split('/')[1]!);
  }
});

afterAll(async () => {
  await server?.stop();
});

const VERIFY = `mutation($input: VerifyFacesInput!) {
  verifyFaces(input: $input) { verification { isIdentical confidence } userErrors { code message field } }
}`;

interface VerifyResult {
  verifyFaces: {
    verification: { isIdentical: boolean; confidence: number } | null;
    userErrors: Array<{ code: string; message: string; field: string[] }>;
  };
}

async function verifyIds(a: string, b: string): Promise<VerifyResult['verifyFaces']> {
  const res = await server.gql<VerifyResult>(VERIFY, { input: { face1: { faceId: a }, face2: { faceId: b } } });
  expect(res.errors).toBeUndefined();
  return res.data!.verifyFaces;
}

describe('verifyFaces', () => {
  it('every pair of Obama photos verifies as identical', async () => {
    const obama = files.filter((f) => f.includes('/obama/'));
    expect(obama.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < obama.length; i++) {
      for (let j = i + 1; j < obama.length; j++) {
        const v = await verifyIds(ids.get(obama[i]!)!, ids.get(obama[j]!)!);
        expect(v.userErrors).toEqual([]);
        expect(v.verification!.isIdentical, `${obama[i]} vs ${obama[j]}`).toBe(true);
        expect(v.verification!.confidence).toBeGreaterThanOrEqual(0.5);
      }
    }
  });

  it('Obama vs Biden is not identical', async () => {
    for (const o of files.filter((f) => f.includes('/obama/'))) {
      for (const b of files.filter((f) => f.includes('/biden/'))) {
        const v = await verifyIds(ids.get(o)!, ids.get(b)!);
        expect(v.verification!.isIdentical, `${o} vs ${b}`).toBe(false);
        expect(v.verification!.confidence).toBeLessThan(0.5);
      }
    }
  });

  it('two inline images verify in one call', async () => {
    const res = await server.gql<VerifyResult>(VERIFY, {
      input: {
        face1: { image: { base64: faceBase64('people/biden/1.jpg') } },
        face2: { image: { base64: faceBase64('people/biden/2.jpg') } },
      },
    });
    expect(res.data!.verifyFaces.verification!.isIdentical).toBe(true);
  });

  it('one photo against three others in one document performs four detections, not six', async () => {
    const doc = `mutation($a: String, $b: String, $c: String, $d: String) {
      ab: verifyFaces(input: { face1: { image: { base64: $a } }, face2: { image: { base64: $b } } }) { verification { isIdentical } }
      ac: verifyFaces(input: { face1: { image: { base64: $a } }, face2: { image: { base64: $c } } }) { verification { isIdentical } }
      ad: verifyFaces(input: { face1: { image: { base64: $a } }, face2: { image: { base64: $d } } }) { verification { isIdentical } }
    }`;
    const before = server.detections();
    const res = await server.gql<Record<string, { verification: { isIdentical: boolean } }>>(doc, {
      a: faceBase64('people/obama/1.jpg'),
      b: faceBase64('people/obama/3.jpg'),
      c: faceBase64('people/biden/2.jpg'),
      d: faceBase64('people/obama/4.jpg'),
    });
    expect(res.errors).toBeUndefined();
    expect(server.detections() - before).toBe(4);
    expect([
      res.data!.ab!.verification.isIdentical,
      res.data!.ac!.verification.isIdentical,
      res.data!.ad!.verification.isIdentical,
    ]).toEqual([true, false, true]);
  });
});

describe('findSimilarFaces', () => {
  const FIND = `mutation($input: FindSimilarFacesInput!) {
    findSimilarFaces(input: $input) { matches { faceId confidence face { faceId } } userErrors { code message field } }
  }`;
  type FindResult = {
    findSimilarFaces: {
      matches: Array<{ faceId: string; confidence: number; face: { faceId: string } | null }> | null;
      userErrors: Array<{ code: string; message: string }>;
    };
  };

  it('ranks the Obama photos first in MATCH_FACE mode and returns only them in MATCH_PERSON mode', async () => {
    const query = ids.get('people/obama/1.jpg')!;
    const candidates = [...ids.values()].filter((id) => id !== query);
    const obamaCount = candidates.filter((id) => personOf.get(id) === 'obama').length;

    const byFace = await server.gql<FindResult>(FIND, {
      input: { face: { faceId: query }, candidateFaceIds: candidates, mode: 'MATCH_FACE', maxCandidates: 100 },
    });
    const matches = byFace.data!.findSimilarFaces.matches!;
    expect(matches).toHaveLength(candidates.length);
    expect(matches.slice(0, obamaCount).every((m) => personOf.get(m.faceId) === 'obama')).toBe(true);
    const confidences = matches.map((m) => m.confidence);
    expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
    expect(matches[0]!.face!.faceId).toBe(matches[0]!.faceId);

    const byPerson = await server.gql<FindResult>(FIND, { input: { face: { faceId: query }, candidateFaceIds: candidates } });
    const persons = byPerson.data!.findSimilarFaces.matches!;
    expect(persons).toHaveLength(obamaCount);
    expect(persons.every((m) => personOf.get(m.faceId) === 'obama' && m.confidence >= 0.5)).toBe(true);
  });

  it('maxCandidates bounds the result', async () => {
    const res = await server.gql<FindResult>(FIND, {
      input: {
        face: { image: { base64: faceBase64('people/obama/2.jpg') } },
        candidateFaceIds: [...ids.values()],
        mode: 'MATCH_FACE',
        maxCandidates: 3,
      },
    });
    expect(res.data!.findSimilarFaces.matches).toHaveLength(3);
  });

  it('reports out-of-range lists and duplicates as userErrors', async () => {
    const q = ids.get('people/obama/1.jpg')!;
    const code = async (input: Record<string, unknown>): Promise<string | undefined> =>
      (await server.gql<FindResult>(FIND, { input })).data!.findSimilarFaces.userErrors[0]?.code;
    expect(await code({ face: { faceId: q }, candidateFaceIds: [] })).toBe('INVALID_ARGUMENT');
    expect(await code({ face: { faceId: q }, candidateFaceIds: Array.from({ length: 1001 }, (_, i) => `id-${i}`) })).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await code({ face: { faceId: q }, candidateFaceIds: [q], maxCandidates: 0 })).toBe('INVALID_ARGUMENT');
    expect(await code({ face: { faceId: q }, candidateFaceIds: [q, q] })).toBe('DUPLICATE_FACE_ID');
    expect(await code({ face: {}, candidateFaceIds: [q] })).toBe('INVALID_FACE_REF');
  });
});

describe('groupFaces', () => {
  const GROUP = `mutation($input: GroupFacesInput!) {
    groupFaces(input: $input) { grouping { groups { faceIds faces { faceId } } messyGroup { faceIds } } userErrors { code message field } }
  }`;
  type GroupResult = {
    groupFaces: {
      grouping: { groups: Array<{ faceIds: string[]; faces: Array<{ faceId: string }> }>; messyGroup: { faceIds: string[] } } | null;
      userErrors: Array<{ code: string; message: string }>;
    };
  };

  it('groups the shared people/ photos by person, the one-photo person in messyGroup', async () => {
    const all = [...ids.values()];
    const res = await server.gql<GroupResult>(GROUP, { input: { faceIds: all } });
    expect(res.data!.groupFaces.userErrors).toEqual([]);
    const { groups, messyGroup } = res.data!.groupFaces.grouping!;
    const expected = new Map<string, Set<string>>();
    for (const id of all) {
      const p = personOf.get(id)!;
      if (!expected.has(p)) expected.set(p, new Set());
      expected.get(p)!.add(id);
    }
    const multi = [...expected.values()].filter((s) => s.size > 1);
    expect(groups).toHaveLength(multi.length);
    for (const g of groups) {
      const people = new Set(g.faceIds.map((id) => personOf.get(id)));
      expect(people.size, `group mixes ${[...people].join(', ')}`).toBe(1);
      expect(new Set(g.faceIds)).toEqual(expected.get([...people][0]!));
      expect(g.faces.map((f) => f.faceId)).toEqual(g.faceIds);
    }
    expect(messyGroup.faceIds.map((id) => personOf.get(id))).toEqual(['lin_manuel_miranda']);
    // Largest first, and deterministic.
    expect(groups.map((g) => g.faceIds.length)).toEqual([...groups.map((g) => g.faceIds.length)].sort((a, b) => b - a));
    const again = await server.gql<GroupResult>(GROUP, { input: { faceIds: all } });
    expect(again.data!.groupFaces.grouping).toEqual(res.data!.groupFaces.grouping);
  });

  it('needs 2–1000 distinct faceIds', async () => {
    const one = [...ids.values()][0]!;
    const res1 = await server.gql<GroupResult>(GROUP, { input: { faceIds: [one] } });
    expect(res1.data!.groupFaces.userErrors[0]!.code).toBe('INVALID_ARGUMENT');
    expect(res1.data!.groupFaces.grouping).toBeNull();
    const dup = await server.gql<GroupResult>(GROUP, { input: { faceIds: [one, one] } });
    expect(dup.data!.groupFaces.userErrors[0]!.code).toBe('DUPLICATE_FACE_ID');
  });
});

describe('recognition errors', () => {
  it('an unknown faceId is FACE_NOT_FOUND naming the id', async () => {
    const unknown = '11111111-2222-3333-4444-555555555555';
    const v = await verifyIds(ids.get('people/obama/1.jpg')!, unknown);
    expect(v.verification).toBeNull();
    expect(v.userErrors[0]).toMatchObject({ code: 'FACE_NOT_FOUND', field: ['input', 'face2', 'faceId'] });
    expect(v.userErrors[0]!.message).toContain(unknown);
  });

  it('an expired faceId (injected clock) is FACE_NOT_FOUND naming the id', async () => {
    const shortLived = await detectId('people/rose_leslie/1.jpg', { faceIdTimeToLive: 60 });
    expect((await verifyIds(shortLived, ids.get('people/rose_leslie/2.jpg')!)).verification!.isIdentical).toBe(true);
    clock.advance(61_000);
    const v = await verifyIds(shortLived, ids.get('people/rose_leslie/2.jpg')!);
    expect(v.userErrors[0]!.code).toBe('FACE_NOT_FOUND');
    expect(v.userErrors[0]!.message).toContain(shortLived);
  });

  it('faces of different recognition models cannot be compared', async () => {
    const old = await detectId('people/kit_harington/1.jpg', { recognitionModel: 'RECOGNITION_01' });
    const v = await verifyIds(old, ids.get('people/kit_harington/2.jpg')!);
    expect(v.userErrors[0]!.code).toBe('RECOGNITION_MODEL_MISMATCH');
  });

  it('an image with no face is NO_FACE_IN_IMAGE; a bad image keeps its image code', async () => {
    // A real photo's region holding no face: the suit below the face in people/obama/1.jpg.
    const noFace = await sharp(face('people/obama/1.jpg')).extract({ left: 0, top: 700, width: 910, height: 437 }).jpeg().toBuffer();
    const res = await server.gql<VerifyResult>(VERIFY, {
      input: { face1: { image: { base64: noFace.toString('base64') } }, face2: { faceId: ids.get('people/obama/1.jpg') } },
    });
    expect(res.data!.verifyFaces.userErrors[0]).toMatchObject({ code: 'NO_FACE_IN_IMAGE', field: ['input', 'face1', 'image'] });
    const bad = await server.gql<VerifyResult>(VERIFY, {
      input: { face1: { image: { base64: 'not base64 !!' } }, face2: { faceId: ids.get('people/obama/1.jpg') } },
    });
    expect(bad.data!.verifyFaces.userErrors[0]!.code).toBe('INVALID_BASE64');
  });

  it('a face reference with both faceId and image is INVALID_FACE_REF', async () => {
    const res = await server.gql<VerifyResult>(VERIFY, {
      input: {
        face1: { faceId: ids.get('people/obama/1.jpg'), image: { base64: faceBase64('people/obama/2.jpg') } },
        face2: { faceId: ids.get('people/obama/3.jpg') },
      },
    });
    expect(res.data!.verifyFaces.userErrors[0]!.code).toBe('INVALID_FACE_REF');
  });
});
