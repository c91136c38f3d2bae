/**
 * The liveness-session lifecycle through GraphQL, on whichever provider the run uses (this file
 * is in both vitest projects): create, read, list, delete, liveness-with-verify, and one real
 * attempt submitted by "the device" to the client API of the service that holds the session —
 * facegraph itself on the embedded provider, the upstream on the Azure provider.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, faceBase64 } from '../helpers/paths.js';
import { E2E_PROVIDER, startTestServer, type TestServer } from '../helpers/server.js';
import { attemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-lifecycle-'));
let server: TestServer;
let frames: Buffer[];
let timestamps: number[];

beforeAll(async () => {
  ({ frames, timestamps } = await extractJpegFrames(path.join(tmp, 'frames'), { startSec: 3.6, durationSec: 3, fps: 5, maxFrames: 15 }));
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const FIELDS = `id authToken status livenessOperationMode modelVersion deviceCorrelationId attemptsLeft authTokenTimeToLiveInSeconds
  verifyReference { faceRectangle { top left width height } qualityForRecognition }
  attempts { attemptId attemptStatus result { livenessDecision digest targetFace { width } verifyResult { matchConfidence isIdentical } }
    error { code } audit { frameCount digest reasons } }`;

interface Session {
  id: string;
  authToken: string;
  status: string;
  livenessOperationMode: string;
  modelVersion: string;
  deviceCorrelationId: string | null;
  attemptsLeft: number;
  authTokenTimeToLiveInSeconds: number;
  verifyReference: {
    faceRectangle: { top: number; left: number; width: number; height: number };
    qualityForRecognition: string | null;
  } | null;
  attempts: Array<{
    attemptId: number;
    attemptStatus: string;
    result: {
      livenessDecision: string;
      digest: string;
      targetFace: { width: number } | null;
      verifyResult: { matchConfidence: number; isIdentical: boolean } | null;
    } | null;
    error: { code: string } | null;
    audit: { frameCount: number; digest: string; reasons: string[] } | null;
  }>;
}

interface Payload {
  session: Session | null;
  userErrors: Array<{ code: string; message: string; field: string[] | null }>;
}

async function create(input: Record<string, unknown>): Promise<Payload> {
  const res = await server.gql<{ createLivenessSession: Payload }>(
    `mutation($input: CreateLivenessSessionInput!) { createLivenessSession(input: $input) { session { ${FIELDS} } userErrors { code message field } } }`,
    { input },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createLivenessSession;
}

async function read(id: string): Promise<Session | null> {
  const res = await server.gql<{ livenessSession: Session | null }>(`query($id: ID!) { livenessSession(id: $id) { ${FIELDS} } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.livenessSession;
}

async function remove(id: string): Promise<{ deletedSessionId: string | null; userErrors: Array<{ code: string }> }> {
  const res = await server.gql<{ deleteLivenessSession: { deletedSessionId: string | null; userErrors: Array<{ code: string }> } }>(
    `mutation($id: ID!) { deleteLivenessSession(input: { id: $id }) { deletedSessionId userErrors { code } } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.deleteLivenessSession;
}

/** What the user's device does: fetch the challenge, upload the frames, with the session token only. */
async function deviceAttempt(token: string): Promise<{ status: number; attemptId: number }> {
  const headers = { authorization: `Bearer ${token}` };
  const session = await fetch(`${server.clientBase}/liveness/api/session`, { headers });
  expect(session.status).toBe(200);
  const { challenge } = (await session.json()) as { challenge: { nonce: string } };
  const res = await fetch(`${server.clientBase}/liveness/api/attempts`, {
    method: 'POST',
    headers,
    body: attemptForm(challenge.nonce, frames, timestamps),
  });
  const body = (await res.json()) as { attemptId: number };
  return { status: res.status, attemptId: body.attemptId };
}

describe(`liveness session lifecycle (${E2E_PROVIDER} provider)`, () => {
  it('creates a session whose token is shown once, reads, lists and deletes it', async () => {
    const { session, userErrors } = await create({ livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'device-lifecycle' });
    expect(userErrors).toEqual([]);
    expect(session!.authToken.length).toBeGreaterThanOrEqual(20);
    expect(session!.status).toBe('NOT_STARTED');
    expect(session!.attemptsLeft).toBe(3);
    expect(session!.attempts).toEqual([]);
    expect(session!.verifyReference).toBeNull();

    const again = await read(session!.id);
    expect(again!.id).toBe(session!.id);
    expect(again!.authToken).toBe('');
    expect(again!.livenessOperationMode).toBe('PASSIVE');
    expect(again!.deviceCorrelationId).toBe('device-lifecycle');
    expect(again!.authTokenTimeToLiveInSeconds).toBe(600);

    const list = await server.gql<{ livenessSessions: { totalCount: number; edges: Array<{ node: { id: string; authToken: string } }> } }>(
      '{ livenessSessions(first: 50) { totalCount edges { node { id authToken } } } }',
    );
    expect(list.errors).toBeUndefined();
    const listed = list.data!.livenessSessions.edges.map((e) => e.node);
    expect(listed.map((n) => n.id)).toContain(session!.id);
    expect(listed.every((n) => n.authToken === '')).toBe(true);

    expect(await remove(session!.id)).toEqual({ deletedSessionId: session!.id, userErrors: [] });
    expect(await read(session!.id)).toBeNull();
    expect((await remove(session!.id)).userErrors.map((e) => e.code)).toEqual(['SESSION_NOT_FOUND']);
  });

  it('rejects out-of-range options as userErrors', async () => {
    const { session, userErrors } = await create({
      livenessOperationMode: 'PASSIVE',
      deviceCorrelationId: 'd',
      authTokenTimeToLiveInSeconds: 59,
    });
    expect(session).toBeNull();
    expect(userErrors.map((e) => e.code)).toEqual(['INVALID_ARGUMENT']);
  });

  it('a liveness-with-verify session detects the reference face at creation', async () => {
    const photo = 'people/obama/1.jpg';
    const { width, height } = await sharp(face(photo)).metadata();
    const { session, userErrors } = await create({
      livenessOperationMode: 'PASSIVE',
      deviceCorrelationId: 'd',
      verifyImage: { base64: faceBase64(photo) },
    });
    expect(userErrors).toEqual([]);
    const rect = session!.verifyReference!.faceRectangle;
    expect(rect.width).toBeGreaterThan(50);
    expect(rect.left + rect.width).toBeLessThanOrEqual(width);
    expect(rect.top + rect.height).toBeLessThanOrEqual(height);
    expect((await read(session!.id))!.verifyReference!.faceRectangle).toEqual(rect);
    await remove(session!.id);
  });

  it('a verify image without a face is a NO_FACE_IN_IMAGE userError and creates nothing', async () => {
    const before = await server.gql<{ livenessSessions: { totalCount: number } }>('{ livenessSessions { totalCount } }');
    // Random noise: a real JPEG well over 1 KB with nothing face-like in it.
    const blank = await sharp({
      create: { width: 320, height: 240, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } },
    })
      .jpeg()
      .toBuffer();
    const { session, userErrors } = await create({
      livenessOperationMode: 'PASSIVE',
      deviceCorrelationId: 'd',
      verifyImage: { base64: blank.toString('base64') },
    });
    expect(session).toBeNull();
    expect(userErrors.map((e) => e.code)).toEqual(['NO_FACE_IN_IMAGE']);
    const after = await server.gql<{ livenessSessions: { totalCount: number } }>('{ livenessSessions { totalCount } }');
    expect(after.data!.livenessSessions.totalCount).toBe(before.data!.livenessSessions.totalCount);
  });

  it("the device's attempt shows up, with a decision, in the server-side session", async () => {
    const photo = 'people/obama/1.jpg';
    const { session } = await create({
      livenessOperationMode: 'PASSIVE',
      deviceCorrelationId: 'd',
      verifyImage: { base64: faceBase64(photo) },
    });
    const answer = await deviceAttempt(session!.authToken);
    expect(answer).toEqual({ status: 200, attemptId: 1 });

    const after = await read(session!.id);
    expect(after!.status).toBe('SUCCEEDED');
    expect(after!.attemptsLeft).toBe(2);
    const attempt = after!.attempts[0]!;
    expect(attempt.attemptStatus).toBe('SUCCEEDED');
    expect(['REALFACE', 'SPOOFFACE', 'UNCERTAIN']).toContain(attempt.result!.livenessDecision);
    expect(attempt.result!.digest).toMatch(/^[0-9a-f]{64}$/);
    // The performer in the clip is not Obama: liveness-with-verify must say so.
    expect(attempt.result!.verifyResult!.isIdentical).toBe(false);
    if (E2E_PROVIDER === 'embedded') {
      expect(attempt.audit!.frameCount).toBe(frames.length);
      expect(attempt.audit!.digest).toBe(attempt.result!.digest);
    } else {
      // Azure v1.2 has no audit records.
      expect(attempt.audit).toBeNull();
    }
    await remove(session!.id);
  });
});
