/**
 * Issue 15, "two replicas, proven": two facegraph servers A and B on one PostgreSQL database
 * (collections, liveness sessions) and one Redis key prefix (faceIds, rate limits), each with
 * its own data directory and embedded engine, on loopback ports. What one replica did, the other
 * answers exactly as the first would: a faceId detected on A verifies on B (GraphQL and REST);
 * a liveness session created on A is completed by the device on B, its outcome read on A, and
 * deleted on B, gone on A; a person group trained on A identifies on B.
 *
 * The per-key rate limit across replicas is test/redis/replicas.test.ts's; a training running on
 * one replica as seen by the other is test/integration/postgres-replicas.test.ts's.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, faceBase64 } from '../helpers/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { deletePrefix, testClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { sharedReplicaEnv } from '../helpers/replicas.js';
import { startTestServer, type GqlResponse, type TestServer } from '../helpers/server.js';
import { attemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';

const redisUrl = testRedisUrl();
const prefix = uniquePrefix();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-two-replicas-'));

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
/** 15 frames of the close-up, seconds 3–6 at 5 fps: realface in Passive mode (test/e2e/liveness.test.ts). */
let frames: Buffer[];
let timestamps: number[];

const restBase = (server: TestServer): string => server.url.replace(/\/graphql$/, '/face/v1.2');

async function gql<T>(server: TestServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res: GqlResponse<T> = await server.gql<T>(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  expect(res.status).toBe(200);
  return res.data!;
}

async function restJson(server: TestServer, method: string, route: string, body?: Buffer | Record<string, unknown>) {
  const headers: Record<string, string> = {};
  let payload: BodyInit | undefined;
  if (Buffer.isBuffer(body)) {
    payload = new Uint8Array(body);
    headers['content-type'] = 'application/octet-stream';
  } else if (body) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${restBase(server)}${route}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
}

beforeAll(async () => {
  if (!redisUrl) return;
  ({ frames, timestamps } = await extractJpegFrames(path.join(tmp, 'frames'), { startSec: 3, durationSec: 3, fps: 5, maxFrames: 15 }));
  db = await createTestDatabase();
  const env = sharedReplicaEnv(db.url, redisUrl, prefix);
  a = await startTestServer(env, undefined, 'embedded');
  b = await startTestServer(env, undefined, 'embedded');
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
  if (redisUrl) {
    const admin = testClient(redisUrl);
    await deletePrefix(admin, prefix);
    admin.disconnect();
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!redisUrl)('two replicas on one PostgreSQL database and one Redis prefix', () => {
  it('two distinct servers on loopback ports', () => {
    expect(new URL(a.url).hostname).toBe('127.0.0.1');
    expect(new URL(b.url).hostname).toBe('127.0.0.1');
    expect(a.app.server.port).not.toBe(b.app.server.port);
  });

  describe('faceIds (Redis)', () => {
    const SAME = ['people/obama/1.jpg', 'people/obama/2.jpg'] as const;
    const OTHER = 'people/biden/1.jpg';
    const VERIFY = `mutation($input: VerifyFacesInput!) {
      verifyFaces(input: $input) { verification { isIdentical confidence } userErrors { code message field } }
    }`;
    type Verification = { isIdentical: boolean; confidence: number };

    async function detectGql(server: TestServer, file: string): Promise<string> {
      const data = await gql<{ detectFaces: Array<{ faceId: string }> }>(
        server,
        'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }',
        { b: faceBase64(file) },
      );
      expect(data.detectFaces).toHaveLength(1);
      return data.detectFaces[0]!.faceId;
    }

    async function verifyGql(server: TestServer, id1: string, id2: string): Promise<Verification> {
      const data = await gql<{ verifyFaces: { verification: Verification | null; userErrors: unknown[] } }>(server, VERIFY, {
        input: { face1: { faceId: id1 }, face2: { faceId: id2 } },
      });
      expect(data.verifyFaces.userErrors).toEqual([]);
      return data.verifyFaces.verification!;
    }

    async function detectRest(server: TestServer, file: string): Promise<string> {
      const res = await restJson(server, 'POST', '/detect?detectionModel=detection_03&recognitionModel=recognition_04', face(file));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const faces = res.body as Array<{ faceId: string }>;
      expect(faces).toHaveLength(1);
      return faces[0]!.faceId;
    }

    async function verifyRest(server: TestServer, faceId1: string, faceId2: string): Promise<Verification> {
      const res = await restJson(server, 'POST', '/verify', { faceId1, faceId2 });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as Verification;
    }

    it('a faceId detected on A (GraphQL) verifies on B exactly as on A: same person identical, different people not', async () => {
      const [o1, o2, other] = [await detectGql(a, SAME[0]), await detectGql(a, SAME[1]), await detectGql(a, OTHER)];

      const sameOnA = await verifyGql(a, o1, o2);
      const sameOnB = await verifyGql(b, o1, o2);
      expect(sameOnA.isIdentical).toBe(true);
      expect(sameOnB).toEqual(sameOnA);

      const differentOnA = await verifyGql(a, o1, other);
      const differentOnB = await verifyGql(b, o1, other);
      expect(differentOnA.isIdentical).toBe(false);
      expect(differentOnB).toEqual(differentOnA);
      expect(differentOnA.confidence).toBeLessThan(sameOnA.confidence);

      // B's own face query finds A's faceId too.
      const seen = await gql<{ face: { faceId: string } | null }>(b, 'query($id: ID!) { face(faceId: $id) { faceId } }', { id: o1 });
      expect(seen.face).toEqual({ faceId: o1 });
    });

    it("REST: faceIds detected on A answer POST /verify on B as on A, and agree with GraphQL's verification", async () => {
      const [o1, o2, other] = [await detectRest(a, SAME[0]), await detectRest(a, SAME[1]), await detectRest(a, OTHER)];
      const [g1, g2, gOther] = [await detectGql(a, SAME[0]), await detectGql(a, SAME[1]), await detectGql(a, OTHER)];

      const same = await verifyRest(b, o1, o2);
      expect(same).toEqual({ isIdentical: true, confidence: expect.any(Number) as number });
      expect(await verifyRest(a, o1, o2)).toEqual(same);
      // The same photos, the same engine and models: the GraphQL verification of the same pair.
      expect(same).toEqual(await verifyGql(b, g1, g2));

      const different = await verifyRest(b, o1, other);
      expect(different.isIdentical).toBe(false);
      expect(await verifyRest(a, o1, other)).toEqual(different);
      expect(different).toEqual(await verifyGql(b, g1, gOther));
    });
  });

  describe('liveness sessions (PostgreSQL)', () => {
    const FIELDS = `id authToken status attemptsLeft deviceCorrelationId verifyReference { faceRectangle { width } }
      attempts { attemptId attemptStatus
        result { livenessDecision digest sessionImageId targetFace { width } verifyResult { isIdentical } }
        error { code } audit { frameCount digest decision reasons } }`;

    interface Attempt {
      attemptId: number;
      attemptStatus: string;
      result: {
        livenessDecision: string;
        digest: string;
        sessionImageId: string | null;
        targetFace: { width: number } | null;
        verifyResult: { isIdentical: boolean } | null;
      } | null;
      error: { code: string } | null;
      audit: { frameCount: number; digest: string; decision: string | null; reasons: string[] } | null;
    }

    interface Session {
      id: string;
      authToken: string;
      status: string;
      attemptsLeft: number;
      deviceCorrelationId: string | null;
      verifyReference: { faceRectangle: { width: number } } | null;
      attempts: Attempt[];
    }

    interface AttemptAnswer {
      attemptId: number;
      attemptsLeft: number;
      status: string;
      sessionStatus: string;
      result: { livenessDecision: string } | null;
      error: { code: string; message: string } | null;
    }

    const read = async (server: TestServer, id: string): Promise<Session | null> =>
      (await gql<{ livenessSession: Session | null }>(server, `query($id: ID!) { livenessSession(id: $id) { ${FIELDS} } }`, { id }))
        .livenessSession;

    const remove = async (server: TestServer, id: string) =>
      (
        await gql<{ deleteLivenessSession: { deletedSessionId: string | null; userErrors: Array<{ code: string }> } }>(
          server,
          'mutation($id: ID!) { deleteLivenessSession(input: { id: $id }) { deletedSessionId userErrors { code } } }',
          { id },
        )
      ).deleteLivenessSession;

    /** The device's GET /liveness/api/session on `server`: its status and challenge nonce. */
    async function challenge(server: TestServer, token: string): Promise<{ status: number; nonce: string | null; code: string | null }> {
      const res = await fetch(`${server.clientBase}/liveness/api/session`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { challenge?: { nonce: string }; error?: { code: string } };
      return { status: res.status, nonce: body.challenge?.nonce ?? null, code: body.error?.code ?? null };
    }

    /** The device's POST /liveness/api/attempts on `server`, answering `nonce` with `parts`. */
    async function upload(server: TestServer, token: string, nonce: string, parts: Buffer[]) {
      const res = await fetch(`${server.clientBase}/liveness/api/attempts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: attemptForm(nonce, parts, timestamps.slice(0, parts.length)),
      });
      return { status: res.status, body: (await res.json()) as AttemptAnswer };
    }

    const sha256 = (parts: Buffer[]): string => {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      return h.digest('hex');
    };

    it("created on A, completed by the device on B, read on A with B's outcome; deleted on B, gone on A", async () => {
      expect(frames).toHaveLength(15);
      const created = await gql<{ createLivenessSession: { session: Session | null; userErrors: unknown[] } }>(
        a,
        `mutation($input: CreateLivenessSessionInput!) {
          createLivenessSession(input: $input) { session { ${FIELDS} } userErrors { code message field } } }`,
        {
          input: {
            livenessOperationMode: 'PASSIVE',
            deviceCorrelationId: 'two-replicas',
            enableSessionImage: true,
            sendResultsToClient: true,
            // The performer in the clip is not Obama: the verify reference detected on A, compared on B.
            verifyImage: { base64: faceBase64('people/obama/1.jpg') },
          },
        },
      );
      expect(created.createLivenessSession.userErrors).toEqual([]);
      const session = created.createLivenessSession.session!;
      expect(session.status).toBe('NOT_STARTED');
      expect(session.authToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The device, on B only: challenge and upload with the token A issued.
      const first = await challenge(b, session.authToken);
      expect(first).toMatchObject({ status: 200, code: null });
      expect((await read(a, session.id))!.status).toBe('RUNNING');
      const answer = await upload(b, session.authToken, first.nonce!, frames);
      expect(answer).toEqual({
        status: 200,
        body: {
          attemptId: 1,
          attemptsLeft: 2,
          status: 'Succeeded',
          sessionStatus: 'Succeeded',
          result: expect.objectContaining({ livenessDecision: 'realface' }) as unknown,
          error: null,
        },
      });

      // A reads B's outcome: the same attempt, status and decision.
      const digest = sha256(frames);
      const onA = (await read(a, session.id))!;
      expect(onA).toMatchObject({
        id: session.id,
        authToken: '',
        status: 'SUCCEEDED',
        attemptsLeft: 2,
        deviceCorrelationId: 'two-replicas',
      });
      expect(onA.verifyReference!.faceRectangle).toEqual(session.verifyReference!.faceRectangle);
      expect(onA.attempts).toHaveLength(1);
      const attemptOnA = onA.attempts[0]!;
      expect(attemptOnA).toMatchObject({
        attemptId: answer.body.attemptId,
        attemptStatus: 'SUCCEEDED',
        result: { livenessDecision: 'REALFACE', digest, verifyResult: { isIdentical: false } },
        error: null,
        audit: { frameCount: 15, digest, decision: 'REALFACE', reasons: [] },
      });
      expect(attemptOnA.result!.targetFace!.width).toBeGreaterThan(40);
      // A and B answer the session alike.
      expect(await read(b, session.id)).toEqual(onA);

      // The session image B kept is served by A (client route and Azure's REST route).
      const imageId = attemptOnA.result!.sessionImageId!;
      expect(imageId).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const image = await fetch(`${a.clientBase}/liveness/session-images/${imageId}`);
      expect(image.status).toBe(200);
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(frames.some((f) => f.equals(bytes))).toBe(true);
      const restImage = await fetch(`${restBase(a)}/sessionImages/${imageId}`);
      expect(restImage.status).toBe(200);
      expect(Buffer.from(await restImage.arrayBuffer()).equals(bytes)).toBe(true);

      // Azure's REST GET on A agrees.
      const restOnA = await restJson(a, 'GET', `/detectLivenessWithVerify-sessions/${session.id}`);
      expect(restOnA.status).toBe(200);
      expect(restOnA.body).toMatchObject({
        sessionId: session.id,
        authToken: '',
        status: 'Succeeded',
        results: { attempts: [{ attemptId: 1, attemptStatus: 'Succeeded', result: { livenessDecision: 'realface', digest } }] },
      });

      // A challenge issued by B, answered on A with the same frames: A knows B's nonce and B's
      // digest (the replay is refused through the decision), and B sees A's attempt.
      const second = await challenge(b, session.authToken);
      expect(second.status).toBe(200);
      const replay = await upload(a, session.authToken, second.nonce!, frames);
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ attemptId: 2, attemptsLeft: 1, status: 'Succeeded', result: { livenessDecision: 'spoofface' } });
      const replayOnB = (await read(b, session.id))!.attempts[1]!;
      expect(replayOnB).toMatchObject({ attemptId: 2, attemptStatus: 'SUCCEEDED', result: { livenessDecision: 'SPOOFFACE', digest } });
      expect(replayOnB.audit!.reasons).toContain('REPLAYED_ATTEMPT');
      // B's used nonce is used on A too.
      const reused = await upload(a, session.authToken, first.nonce!, frames.slice(1));
      expect(reused.status).toBe(400);
      expect(reused.body.error!.code).toBe('INVALID_NONCE');

      // Deleted on B: gone on A, everywhere.
      expect(await remove(b, session.id)).toEqual({ deletedSessionId: session.id, userErrors: [] });
      expect(await read(a, session.id)).toBeNull();
      expect(await remove(a, session.id)).toEqual({ deletedSessionId: null, userErrors: [{ code: 'SESSION_NOT_FOUND' }] });
      const restGone = await restJson(a, 'GET', `/detectLivenessWithVerify-sessions/${session.id}`);
      expect(restGone.status).toBe(404);
      expect(restGone.body).toMatchObject({ error: { code: 'SessionNotFound' } });
      expect(await challenge(a, session.authToken)).toEqual({ status: 410, nonce: null, code: 'SESSION_DELETED' });
      expect((await fetch(`${a.clientBase}/liveness/session-images/${imageId}`)).status).toBe(404);
    });
  });

  describe('person groups (PostgreSQL and Redis)', () => {
    const GROUP = { kind: 'LARGE_PERSON_GROUP', id: 'two-replicas' };
    /** Two people, each with a gallery and one held-back probe photo. */
    const PEOPLE = {
      biden: { gallery: ['people/biden/1.jpg'], probe: 'people/biden/2.jpg' },
      kit_harington: { gallery: ['people/kit_harington/1.jpg', 'people/kit_harington/2.jpg'], probe: 'people/kit_harington/3.jpg' },
    } as const;
    type Candidate = { personId: string; confidence: number };

    async function identify(server: TestServer, faces: Array<Record<string, unknown>>): Promise<Candidate[][]> {
      const data = await gql<{ identifyFaces: { results: Array<{ candidates: Candidate[] }> | null; userErrors: unknown[] } }>(
        server,
        `mutation($input: IdentifyFacesInput!) {
          identifyFaces(input: $input) { results { candidates { personId confidence } } userErrors { code field message } } }`,
        { input: { personGroup: GROUP, faces } },
      );
      expect(data.identifyFaces.userErrors).toEqual([]);
      return data.identifyFaces.results!.map((r) => r.candidates);
    }

    it('a group created and trained on A identifies the held-back photos on B, by image and by faceIds detected on A', async () => {
      const created = await gql<{ createPersonGroup: { userErrors: unknown[] } }>(
        a,
        `mutation($input: CreatePersonGroupInput!) { createPersonGroup(input: $input) { personGroup { id } userErrors { code field message } } }`,
        { input: { ...GROUP, name: 'Two replicas', recognitionModel: 'RECOGNITION_04' } },
      );
      expect(created.createPersonGroup.userErrors).toEqual([]);
      const ids: Record<string, string> = {};
      for (const [name, { gallery }] of Object.entries(PEOPLE)) {
        const data = await gql<{ createPerson: { person: { personId: string; persistedFaces: unknown[] }; userErrors: unknown[] } }>(
          a,
          `mutation($input: CreatePersonInput!) {
            createPerson(input: $input) { person { personId persistedFaces { persistedFaceId } } userErrors { code field message } } }`,
          { input: { personGroup: GROUP, name, faces: gallery.map((f) => ({ image: { base64: faceBase64(f) } })) } },
        );
        expect(data.createPerson.userErrors).toEqual([]);
        expect(data.createPerson.person.persistedFaces).toHaveLength(gallery.length);
        ids[name] = data.createPerson.person.personId;
      }
      const trained = await gql<{ trainPersonGroup: { userErrors: unknown[] } }>(
        a,
        'mutation($input: PersonGroupRefInput!) { trainPersonGroup(input: $input) { training { status } userErrors { code message } } }',
        { input: GROUP },
      );
      expect(trained.trainPersonGroup.userErrors).toEqual([]);
      const status = async (server: TestServer): Promise<string> =>
        (
          await gql<{ personGroup: { training: { status: string } } }>(
            server,
            'query($kind: PersonGroupKind, $id: ID!) { personGroup(kind: $kind, id: $id) { training { status } } }',
            GROUP,
          )
        ).personGroup.training.status;
      await expect.poll(() => status(a), { timeout: 60_000, interval: 100 }).toBe('SUCCEEDED');
      expect(await status(b)).toBe('SUCCEEDED');

      const probes = [PEOPLE.biden.probe, PEOPLE.kit_harington.probe];
      const byImage = await identify(
        b,
        probes.map((f) => ({ image: { base64: faceBase64(f) } })),
      );
      expect(byImage.map((c) => c[0]?.personId)).toEqual([ids.biden, ids.kit_harington]);

      // The probes' faceIds detected on A (Redis), identified on B against A's training (PostgreSQL).
      const faceIds: string[] = [];
      for (const f of probes) {
        const data = await gql<{ detectFaces: Array<{ faceId: string }> }>(
          a,
          'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }',
          {
            b: faceBase64(f),
          },
        );
        faceIds.push(data.detectFaces[0]!.faceId);
      }
      const byFaceId = await identify(
        b,
        faceIds.map((faceId) => ({ faceId })),
      );
      expect(byFaceId).toEqual(byImage);
      expect(
        await identify(
          a,
          faceIds.map((faceId) => ({ faceId })),
        ),
      ).toEqual(byFaceId);
    });
  });
});
