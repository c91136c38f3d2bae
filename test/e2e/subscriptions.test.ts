/**
 * Issue 16 part 7, subscriptions instead of polling, end to end on the real server and engine:
 * graphql-ws's own client over a WebSocket to /graphql. trainingStatusChanged follows a
 * LargeFaceList of real faces through NOT_STARTED -> RUNNING -> SUCCEEDED (the training is held
 * at its read of the embeddings until the test has seen RUNNING, so no state can be skipped);
 * livenessSessionUpdated follows a session through the device's fetch and a real attempt to its
 * decision, then its delete; API keys are checked like HTTP's (4403 without a valid one); errors
 * are the documented codes. Runs on the embedded engine with in-process events (project
 * `embedded`) and again with the Redis bus on the shared stores (project `shared-stores`); the
 * Redis bus across replicas is test/shared/subscriptions.test.ts's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { MemoryEventBus } from '../../src/adapters/store/memory-event-bus.js';
import { RedisEventBus } from '../../src/adapters/store/redis-event-bus.js';
import { faceBase64, manifest } from '../helpers/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Subscription, wsClient, wsUrl } from '../helpers/subscriptions.js';
import { attemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';
import { holdTrainingReads } from '../helpers/hold-training.js';

const KEY = 'subscriptions-test-key';
const AUTH = { 'Ocp-Apim-Subscription-Key': KEY };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-subscriptions-'));
let server: TestServer;
let frames: Buffer[];
let timestamps: number[];
const clients: Client[] = [];

/** Collection ids whose training (its read of the embeddings) waits for the promise. */
const held = new Map<string, Promise<void>>();
const holdTraining = holdTrainingReads((ref) => held.get(ref.id));

beforeAll(async () => {
  // 15 frames of the close-up, seconds 3–6 at 5 fps: realface in Passive mode (test/e2e/liveness.test.ts).
  ({ frames, timestamps } = await extractJpegFrames(path.join(tmp, 'frames'), { startSec: 3, durationSec: 3, fps: 5, maxFrames: 15 }));
  // The light challenge is off: these frames were filmed with no screen light (test/e2e/liveness-light.test.ts tests it).
  server = await startTestServer({ FACEGRAPH_API_KEYS: KEY, FACEGRAPH_LIVENESS_LIGHT: 'off' }, undefined, 'embedded', {
    decorateCollectionStore: holdTraining,
  });
});

afterAll(async () => {
  await Promise.all(clients.map(async (c) => c.dispose()));
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A graphql-ws client sending `params` as its connectionParams (null: none). */
function client(params: Record<string, unknown> | null = AUTH): Client {
  const c = wsClient(server.url, params ?? undefined);
  clients.push(c);
  return c;
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await server.gql<T>(query, variables, AUTH);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

const TRAINING = `subscription($c: TrainableCollectionRefInput!) {
  trainingStatusChanged(collection: $c) { status createdAt lastActionAt lastSuccessfulTrainingAt message }
}`;
interface Training {
  status: string;
  createdAt: string;
  lastActionAt: string;
  lastSuccessfulTrainingAt: string | null;
  message: string | null;
}

const SESSION = `subscription($id: ID!) {
  livenessSessionUpdated(id: $id) {
    id status attemptsLeft authToken
    attempts { attemptId attemptStatus result { livenessDecision digest } error { code } }
  }
}`;
interface Session {
  id: string;
  status: string;
  attemptsLeft: number;
  authToken: string;
  attempts: Array<{
    attemptId: number;
    attemptStatus: string;
    result: { livenessDecision: string; digest: string } | null;
    error: unknown;
  }>;
}

const codesOf = (err: unknown): unknown =>
  Array.isArray(err) ? err.map((e: { extensions?: { code?: string } }) => e.extensions?.code) : err;

describe('trainingStatusChanged', () => {
  it('sends NOT_STARTED at once, then RUNNING and SUCCEEDED as a LargeFaceList of real faces trains', async () => {
    const id = 'subscribed-list';
    await gql(`mutation { createFaceList(input: { kind: LARGE_FACE_LIST, id: "${id}", name: "Subscribed" }) { userErrors { code } } }`);
    const files = manifest()
      .filter((m) => m.file.startsWith('people/') && m.faces === 1)
      .slice(0, 4)
      .map((m) => m.file);
    expect(files).toHaveLength(4);
    for (const file of files) {
      const added = await gql<{ addFaceListFace: { persistedFace: { persistedFaceId: string } | null; userErrors: unknown[] } }>(
        `mutation($b: String) { addFaceListFace(input: { faceList: { kind: LARGE_FACE_LIST, id: "${id}" }, face: { image: { base64: $b } } }) {
          persistedFace { persistedFaceId } userErrors { code message } } }`,
        { b: faceBase64(file) },
      );
      expect(added.addFaceListFace.userErrors).toEqual([]);
    }

    const sub = new Subscription<{ trainingStatusChanged: Training }>(client(), TRAINING, { c: { kind: 'LARGE_FACE_LIST', id } });
    const first = await sub.next();
    expect(first.errors).toBeUndefined();
    expect(first.data!.trainingStatusChanged).toMatchObject({ status: 'NOT_STARTED', lastSuccessfulTrainingAt: null });

    let release!: () => void;
    held.set(id, new Promise<void>((r) => (release = r)));
    const started = await gql<{ trainFaceList: { training: { status: string } } }>(
      `mutation { trainFaceList(input: { kind: LARGE_FACE_LIST, id: "${id}" }) { training { status } userErrors { code } } }`,
    );
    expect(started.trainFaceList.training.status).toBe('RUNNING');

    const running = await sub.next();
    expect(running.errors).toBeUndefined();
    expect(running.data!.trainingStatusChanged).toMatchObject({ status: 'RUNNING', lastSuccessfulTrainingAt: null });

    release();
    const succeeded = await sub.next();
    expect(succeeded.errors).toBeUndefined();
    const done = succeeded.data!.trainingStatusChanged;
    expect(done.status).toBe('SUCCEEDED');
    expect(done.lastSuccessfulTrainingAt).not.toBeNull();
    // What the query answers now, field for field.
    const queried = await gql<{ faceList: { training: Training } }>(
      `query { faceList(kind: LARGE_FACE_LIST, id: "${id}") { training { status createdAt lastActionAt lastSuccessfulTrainingAt message } } }`,
    );
    expect(done).toEqual(queried.faceList.training);
    // The trained list searches the faces it was trained on.
    const similar = await gql<{ findSimilarInFaceList: { matches: Array<{ confidence: number }> | null; userErrors: unknown[] } }>(
      `mutation($b: String) { findSimilarInFaceList(input: { faceList: { kind: LARGE_FACE_LIST, id: "${id}" }, face: { image: { base64: $b } } }) {
        matches { confidence } userErrors { code } } }`,
      { b: faceBase64(files[0]!) },
    );
    expect(similar.findSimilarInFaceList.userErrors).toEqual([]);
    expect(similar.findSimilarInFaceList.matches![0]!.confidence).toBeGreaterThan(0.9);

    // Deleting the list ends the stream with its code.
    await gql(`mutation { deleteFaceList(input: { kind: LARGE_FACE_LIST, id: "${id}" }) { deletedId } }`);
    const gone = await sub.next();
    expect(gone.data).toBeNull();
    expect(gone.errors?.map((e) => e.extensions?.code)).toEqual(['COLLECTION_NOT_FOUND']);
    expect(await sub.completes()).toBe(true);
  });

  it('an unknown collection is COLLECTION_NOT_FOUND, at once', async () => {
    const sub = new Subscription(client(), TRAINING, { c: { kind: 'PERSON_GROUP', id: 'no-such-group' } });
    const message = await sub.next();
    expect(message.data ?? null).toBeNull();
    expect(message.errors?.map((e) => e.extensions?.code)).toEqual(['COLLECTION_NOT_FOUND']);
    expect(await sub.completes()).toBe(true);
  });
});

describe('livenessSessionUpdated', () => {
  it('sends the session at once, RUNNING when the device fetches it, the decision of a real attempt, and SESSION_NOT_FOUND on delete', async () => {
    const created = await gql<{ createLivenessSession: { session: { id: string; authToken: string } } }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "subscriptions" }) { session { id authToken } } }`,
    );
    const { id, authToken } = created.createLivenessSession.session;
    const sub = new Subscription<{ livenessSessionUpdated: Session }>(client(), SESSION, { id });

    const first = await sub.next();
    expect(first.errors).toBeUndefined();
    // The token is shown in the create payload only.
    expect(first.data!.livenessSessionUpdated).toEqual({ id, status: 'NOT_STARTED', attemptsLeft: 3, authToken: '', attempts: [] });

    // The device fetches its challenge: the session starts.
    const headers = { authorization: `Bearer ${authToken}` };
    const doc = await fetch(`${server.clientBase}/liveness/api/session`, { headers });
    expect(doc.status).toBe(200);
    const { challenge } = (await doc.json()) as { challenge: { nonce: string } };
    const started = await sub.next();
    expect(started.data!.livenessSessionUpdated).toMatchObject({ status: 'RUNNING', attempts: [] });

    // The device uploads 15 real frames: the attempt is analysed, then decided.
    const res = await fetch(`${server.clientBase}/liveness/api/attempts`, {
      method: 'POST',
      headers,
      body: attemptForm(challenge.nonce, frames, timestamps),
    });
    expect(res.status).toBe(200);

    // Until the decision, only the attempt being analysed can be seen (one or no message of it).
    let session: Session;
    for (let i = 0; ; i++) {
      expect(i).toBeLessThan(3);
      const message = await sub.next();
      expect(message.errors).toBeUndefined();
      session = message.data!.livenessSessionUpdated;
      if (session.status === 'SUCCEEDED') break;
      expect(session).toMatchObject({ status: 'RUNNING', attempts: [{ attemptId: 1, attemptStatus: 'RUNNING', result: null }] });
    }
    expect(session.attemptsLeft).toBe(2);
    expect(session.attempts).toHaveLength(1);
    expect(session.attempts[0]).toMatchObject({ attemptId: 1, attemptStatus: 'SUCCEEDED', result: { livenessDecision: 'REALFACE' } });
    expect(session.attempts[0]!.result!.digest).toMatch(/^[0-9a-f]{64}$/);
    const queried = await gql<{ livenessSession: Session }>(
      `query($id: ID!) { livenessSession(id: $id) { id status attemptsLeft authToken attempts { attemptId attemptStatus result { livenessDecision digest } error { code } } } }`,
      { id },
    );
    expect(session).toEqual(queried.livenessSession);

    await gql(`mutation($id: ID!) { deleteLivenessSession(input: { id: $id }) { deletedSessionId } }`, { id });
    const gone = await sub.next();
    expect(gone.data).toBeNull();
    expect(gone.errors?.map((e) => e.extensions?.code)).toEqual(['SESSION_NOT_FOUND']);
    expect(await sub.completes()).toBe(true);
  });

  it('an unknown session id is SESSION_NOT_FOUND with a clear message, at once', async () => {
    const sub = new Subscription(client(), SESSION, { id: 'no-such-session' });
    const message = await sub.next();
    expect(message.data ?? null).toBeNull();
    expect(message.errors).toHaveLength(1);
    expect(message.errors![0]!.extensions?.code).toBe('SESSION_NOT_FOUND');
    expect(message.errors![0]!.message).toContain('no-such-session');
    expect(await sub.completes()).toBe(true);
  });

  it('a completed subscription leaves no listener behind', async () => {
    const created = await gql<{ createLivenessSession: { session: { id: string } } }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "leak" }) { session { id } } }`,
    );
    const bus = server.app.events;
    // In-process listeners, or (project shared-stores) the Redis channels this process holds.
    const open = (): number => (bus instanceof MemoryEventBus ? bus.listenerCount : (bus as RedisEventBus).channelCount);
    expect(bus).toBeInstanceOf(process.env.FACEGRAPH_E2E_STORES === 'shared' ? RedisEventBus : MemoryEventBus);
    const c = client();
    const sub = new Subscription(c, SESSION, { id: created.createLivenessSession.session.id });
    await sub.next();
    expect(open()).toBeGreaterThan(0);
    await sub.close();
    // Messages on one socket are handled in order: once a later subscribe is answered, the complete was handled.
    const later = new Subscription(c, SESSION, { id: 'no-such-session' });
    expect((await later.next()).errors?.[0]?.extensions?.code).toBe('SESSION_NOT_FOUND');
    expect(open()).toBe(0);
  });
});

describe('the WebSocket endpoint', () => {
  it('closes the socket with 4403 Forbidden without a valid API key; accepts the key as Ocp-Apim-Subscription-Key or Bearer', async () => {
    for (const params of [null, { 'Ocp-Apim-Subscription-Key': 'wrong-key' }, { Authorization: 'Bearer wrong-key' }]) {
      const failure = await new Subscription(client(params), SESSION, { id: 'x' }).failure();
      expect((failure as { code?: number }).code, JSON.stringify(params)).toBe(4403);
    }
    for (const params of [{ 'ocp-apim-subscription-key': KEY }, { Authorization: `Bearer ${KEY}` }]) {
      const message = await new Subscription(client(params), SESSION, { id: 'no-such-session' }).next();
      expect(message.errors?.[0]?.extensions?.code, JSON.stringify(params)).toBe('SESSION_NOT_FOUND');
    }
  });

  it('serves subscriptions only: a query over the socket is BAD_REQUEST; invalid documents are GRAPHQL_VALIDATION_FAILED', async () => {
    const query = await new Subscription(client(), '{ capabilities { provider } }').failure();
    expect(codesOf(query)).toEqual(['BAD_REQUEST']);
    const invalid = await new Subscription(client(), 'subscription { livenessSessionUpdated(id: "x") { nope } }').failure();
    expect(codesOf(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const unparsable = await new Subscription(client(), 'subscription {').failure();
    expect(codesOf(unparsable)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('holds at most 20 operations at once per socket: the 21st is QUOTA_EXCEEDED, and one more fits after a complete', async () => {
    const created = await gql<{ createLivenessSession: { session: { id: string } } }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "many" }) { session { id } } }`,
    );
    const id = created.createLivenessSession.session.id;
    const c = client();
    const open: Array<Subscription<{ livenessSessionUpdated: Session }>> = [];
    for (let i = 0; i < 20; i++) {
      const sub = new Subscription<{ livenessSessionUpdated: Session }>(c, SESSION, { id });
      expect((await sub.next()).data!.livenessSessionUpdated.status).toBe('NOT_STARTED');
      open.push(sub);
    }
    const refused = await new Subscription(c, SESSION, { id }).failure();
    expect(codesOf(refused)).toEqual(['QUOTA_EXCEEDED']);
    await open.pop()!.close();
    const again = new Subscription<{ livenessSessionUpdated: Session }>(c, SESSION, { id });
    expect((await again.next()).data!.livenessSessionUpdated.status).toBe('NOT_STARTED');
    await again.close();
    for (const sub of open) await sub.close();
  });

  it('refuses a WebSocket on another path', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(server.url).replace(/\/graphql$/, '/other'), 'graphql-transport-ws');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
  });
});

describe('shutdown', () => {
  it('closes open subscriptions with 1001 Going Away, and the server stops', async () => {
    const other = await startTestServer({}, undefined, 'embedded');
    const c = wsClient(other.url);
    clients.push(c);
    const created = await other.gql<{ createLivenessSession: { session: { id: string } } }>(
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "shutdown" }) { session { id } } }`,
    );
    const sub = new Subscription<{ livenessSessionUpdated: Session }>(c, SESSION, { id: created.data!.createLivenessSession.session.id });
    expect((await sub.next()).data!.livenessSessionUpdated.status).toBe('NOT_STARTED');
    const failure = sub.failure();
    await other.stop();
    expect(((await failure) as { code?: number }).code).toBe(1001);
  });
});
