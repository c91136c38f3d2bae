/**
 * Subscriptions across replicas: two facegraph servers A and B on one PostgreSQL database and
 * one Redis key prefix. A client subscribed on A sees what happens on B — a LargeFaceList of real
 * faces trained on B (RUNNING, then SUCCEEDED; B's training is held at its read of the
 * embeddings until A's subscriber has seen RUNNING), and a liveness session the device completes
 * on B — through Redis pub/sub, with A re-reading the shared stores (no state on the bus).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '../../src/adapters/store/redis-event-bus.js';
import { faceBase64, manifest } from '../helpers/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { deletePrefix, testClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { sharedReplicaEnv } from '../helpers/replicas.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Subscription, wsClient } from '../helpers/subscriptions.js';
import { attemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';
import { holdTrainingReads } from '../helpers/hold-training.js';

const redisUrl = testRedisUrl();
const prefix = uniquePrefix();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-shared-subscriptions-'));

let db: TestDatabase;
let a: TestServer;
let b: TestServer;
let frames: Buffer[];
let timestamps: number[];
const clients: Client[] = [];

/** Collection ids whose training on B (its read of the embeddings) waits for the promise. */
const held = new Map<string, Promise<void>>();
const holdTraining = holdTrainingReads((ref) => held.get(ref.id));

beforeAll(async () => {
  if (!redisUrl) return;
  ({ frames, timestamps } = await extractJpegFrames(path.join(tmp, 'frames'), { startSec: 3, durationSec: 3, fps: 5, maxFrames: 15 }));
  db = await createTestDatabase();
  const env = sharedReplicaEnv(db.url, redisUrl, prefix);
  a = await startTestServer(env, undefined, 'embedded');
  b = await startTestServer(env, undefined, 'embedded', { decorateCollectionStore: holdTraining });
});

afterAll(async () => {
  await Promise.all(clients.map(async (c) => c.dispose()));
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

async function gql<T>(server: TestServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await server.gql<T>(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

function subscribe<T>(server: TestServer, query: string, variables: Record<string, unknown>): Subscription<T> {
  const client = wsClient(server.url);
  clients.push(client);
  return new Subscription<T>(client, query, variables);
}

describe.skipIf(!redisUrl)('subscriptions across two replicas (Redis pub/sub)', () => {
  it('both replicas use the Redis bus', () => {
    expect(a.app.events).toBeInstanceOf(RedisEventBus);
    expect(b.app.events).toBeInstanceOf(RedisEventBus);
  });

  it('a subscriber on A sees a training on B: NOT_STARTED, RUNNING, SUCCEEDED', async () => {
    const id = 'replicated-list';
    await gql(b, `mutation { createFaceList(input: { kind: LARGE_FACE_LIST, id: "${id}", name: "Across" }) { userErrors { code } } }`);
    const files = manifest()
      .filter((m) => m.file.startsWith('people/') && m.faces === 1)
      .slice(0, 3)
      .map((m) => m.file);
    for (const file of files) {
      const added = await gql<{ addFaceListFace: { userErrors: unknown[] } }>(
        b,
        `mutation($b: String) { addFaceListFace(input: { faceList: { kind: LARGE_FACE_LIST, id: "${id}" }, face: { image: { base64: $b } } }) { userErrors { code } } }`,
        { b: faceBase64(file) },
      );
      expect(added.addFaceListFace.userErrors).toEqual([]);
    }
    type T = { trainingStatusChanged: { status: string; lastSuccessfulTrainingAt: string | null } };
    const sub = subscribe<T>(
      a,
      `subscription($c: TrainableCollectionRefInput!) { trainingStatusChanged(collection: $c) { status lastSuccessfulTrainingAt } }`,
      { c: { kind: 'LARGE_FACE_LIST', id } },
    );
    expect((await sub.next()).data!.trainingStatusChanged).toEqual({ status: 'NOT_STARTED', lastSuccessfulTrainingAt: null });

    let release!: () => void;
    held.set(id, new Promise<void>((r) => (release = r)));
    await gql(b, `mutation { trainFaceList(input: { kind: LARGE_FACE_LIST, id: "${id}" }) { training { status } } }`);
    expect((await sub.next()).data!.trainingStatusChanged).toEqual({ status: 'RUNNING', lastSuccessfulTrainingAt: null });
    release();
    const done = (await sub.next()).data!.trainingStatusChanged;
    expect(done.status).toBe('SUCCEEDED');
    expect(done.lastSuccessfulTrainingAt).not.toBeNull();
    await sub.close();
  });

  it("a subscriber on A sees the device's attempt on B decided", async () => {
    const created = await gql<{ createLivenessSession: { session: { id: string; authToken: string } } }>(
      a,
      `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "across" }) { session { id authToken } } }`,
    );
    const { id, authToken } = created.createLivenessSession.session;
    type S = {
      livenessSessionUpdated: { status: string; attempts: Array<{ attemptStatus: string; result: { livenessDecision: string } | null }> };
    };
    const sub = subscribe<S>(
      a,
      `subscription($id: ID!) { livenessSessionUpdated(id: $id) { status attempts { attemptStatus result { livenessDecision } } } }`,
      { id },
    );
    expect((await sub.next()).data!.livenessSessionUpdated).toEqual({ status: 'NOT_STARTED', attempts: [] });

    const headers = { authorization: `Bearer ${authToken}` };
    const doc = await fetch(`${b.clientBase}/liveness/api/session`, { headers });
    expect(doc.status).toBe(200);
    const { challenge } = (await doc.json()) as { challenge: { nonce: string } };
    expect((await sub.next()).data!.livenessSessionUpdated).toEqual({ status: 'RUNNING', attempts: [] });

    const res = await fetch(`${b.clientBase}/liveness/api/attempts`, {
      method: 'POST',
      headers,
      body: attemptForm(challenge.nonce, frames, timestamps),
    });
    expect(res.status).toBe(200);
    let last: S['livenessSessionUpdated'];
    for (let i = 0; ; i++) {
      expect(i).toBeLessThan(3);
      last = (await sub.next()).data!.livenessSessionUpdated;
      if (last.status === 'SUCCEEDED') break;
      expect(last).toEqual({ status: 'RUNNING', attempts: [{ attemptStatus: 'RUNNING', result: null }] });
    }
    expect(last.attempts).toEqual([{ attemptStatus: 'SUCCEEDED', result: { livenessDecision: 'REALFACE' } }]);
    await sub.close();
  });
});
