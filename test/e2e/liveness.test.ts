/**
 * Liveness end to end over HTTP on the real engine: session lifecycle in GraphQL, the
 * token-authenticated client API with real frames of the shared clip, hostile uploads,
 * liveness-with-verify, persistence across a restart and the purge. One temporary data
 * directory; an injectable clock for token expiry and retention.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { face, faceBase64 } from '../helpers/paths.js';
import { ManualClock, startTestServer, type TestServer } from '../helpers/server.js';
import { attemptForm as deviceAttemptForm } from '../helpers/liveness-device.js';
import { extractJpegFrames } from '../helpers/video.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-liveness-'));
const clock = new ManualClock();
let server: TestServer;
let base: string;
/**
 * These suites test the motion rules, the client API and the lifecycle on the footage as filmed,
 * with no screen light on the face: the light challenge is off for them (FACEGRAPH_LIVENESS_LIGHT).
 * The light challenge, on by default, is tested in test/e2e/liveness-light.test.ts and the browser test.
 */
const MOTION_ONLY = (dir: string): Record<string, string> => ({ FACEGRAPH_DATA_DIR: dir, FACEGRAPH_LIVENESS_LIGHT: 'off' });
/** 15 frames of the close-up, seconds 3–6 at 5 fps. */
let frames: Buffer[];
let timestamps: number[];

beforeAll(async () => {
  const extracted = await extractJpegFrames(path.join(dataDir, 'frames'), { startSec: 3, durationSec: 3, fps: 5, maxFrames: 15 });
  frames = extracted.frames;
  timestamps = extracted.timestamps;
  server = await startTestServer(MOTION_ONLY(path.join(dataDir, 'db')), clock);
  base = server.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------------------------

const SESSION_FIELDS = `id authToken status livenessOperationMode modelVersion deviceCorrelationId deviceCorrelationIdSetInClient
  enableSessionImage sendResultsToClient authTokenTimeToLiveInSeconds createdAt startedAt authTokenExpiresAt expiresAt attemptsLeft
  verifyReference { faceRectangle { top left width height } qualityForRecognition }
  attempts { attemptId attemptStatus
    result { livenessDecision targetFace { top left width height } digest sessionImageId verifyResult { matchConfidence isIdentical } }
    error { code message }
    audit { createdAt finishedAt clientIp requestId frameCount digest decision reasons measures } }`;

interface Attempt {
  attemptId: number;
  attemptStatus: string;
  result: {
    livenessDecision: string;
    targetFace: { top: number; left: number; width: number; height: number } | null;
    digest: string;
    sessionImageId: string | null;
    verifyResult: { matchConfidence: number; isIdentical: boolean } | null;
  } | null;
  error: { code: string; message: string } | null;
  audit: {
    createdAt: string;
    finishedAt: string | null;
    clientIp: string;
    requestId: string | null;
    frameCount: number;
    digest: string;
    decision: string | null;
    reasons: string[];
    measures: Record<string, number>;
  };
}

interface Session {
  id: string;
  authToken: string;
  status: string;
  livenessOperationMode: string;
  deviceCorrelationId: string | null;
  enableSessionImage: boolean;
  sendResultsToClient: boolean;
  authTokenTimeToLiveInSeconds: number;
  createdAt: string;
  startedAt: string | null;
  authTokenExpiresAt: string;
  expiresAt: string;
  attemptsLeft: number;
  verifyReference: { faceRectangle: { width: number }; qualityForRecognition: string | null } | null;
  attempts: Attempt[];
}

interface UserError {
  code: string;
  message: string;
  field: string[] | null;
}

async function create(input: Record<string, unknown>): Promise<{ session: Session | null; userErrors: UserError[] }> {
  const res = await server.gql<{ createLivenessSession: { session: Session | null; userErrors: UserError[] } }>(
    `mutation($input: CreateLivenessSessionInput!) { createLivenessSession(input: $input) { session { ${SESSION_FIELDS} } userErrors { code message field } } }`,
    { input },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.createLivenessSession;
}

async function createOk(input: Record<string, unknown> = {}): Promise<Session> {
  const { session, userErrors } = await create({ livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'device-1', ...input });
  expect(userErrors).toEqual([]);
  return session!;
}

async function getSession(id: string): Promise<Session | null> {
  const res = await server.gql<{ livenessSession: Session | null }>(`query($id: ID!) { livenessSession(id: $id) { ${SESSION_FIELDS} } }`, {
    id,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.livenessSession;
}

interface ClientSession {
  sessionId: string;
  livenessOperationMode: string;
  challenge: { nonce: string; steps: string[]; stepTimeoutMs: number };
  frames: { min: number; max: number; maxDurationMs: number };
  sendResultsToClient: boolean;
  attemptsLeft: number;
}

interface ApiAnswer<T> {
  status: number;
  body: T & { error?: { code: string; message: string } | null };
  headers: Headers;
}

async function clientGet(token: string | null): Promise<ApiAnswer<ClientSession>> {
  const res = await fetch(`${base}/liveness/api/session`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as ClientSession, headers: res.headers };
}

interface AttemptAnswer {
  attemptId: number;
  attemptsLeft: number;
  status: string;
  sessionStatus: string;
  result: { livenessDecision: string } | null;
  error: { code: string; message: string } | null;
}

/** The capture page's upload, by default with the clip's timestamps of as many frames. */
function attemptForm(nonce: string | null, parts: Buffer[], ts: unknown = timestamps.slice(0, parts.length)): FormData {
  return deviceAttemptForm(nonce, parts, ts);
}

async function post(token: string, body: FormData | string, headers: Record<string, string> = {}): Promise<ApiAnswer<AttemptAnswer>> {
  const res = await fetch(`${base}/liveness/api/attempts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as AttemptAnswer, headers: res.headers };
}

/** Fetches a fresh challenge and submits the frames with it. */
async function attempt(token: string, parts: Buffer[] = frames): Promise<ApiAnswer<AttemptAnswer> & { nonce: string }> {
  const s = await clientGet(token);
  expect(s.status).toBe(200);
  const nonce = s.body.challenge.nonce;
  return { ...(await post(token, attemptForm(nonce, parts))), nonce };
}

const sha256 = (parts: Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

// ---- tests -----------------------------------------------------------------------------------

describe('session lifecycle (GraphQL)', () => {
  it('creates a session: the token is shown once, then masked; NotStarted until the client starts', async () => {
    const s = await createOk({ enableSessionImage: true, sendResultsToClient: true });
    expect(s.authToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.status).toBe('NOT_STARTED');
    expect(s.livenessOperationMode).toBe('PASSIVE');
    expect(s.authTokenTimeToLiveInSeconds).toBe(600);
    expect(Date.parse(s.authTokenExpiresAt) - Date.parse(s.createdAt)).toBe(600_000);
    expect(Date.parse(s.expiresAt) - Date.parse(s.createdAt)).toBe(48 * 3600_000);
    expect(s.attemptsLeft).toBe(3);
    expect(s.attempts).toEqual([]);
    expect(s.verifyReference).toBeNull();

    const read = await getSession(s.id);
    expect(read!.authToken).toBe('');
    expect(read!.status).toBe('NOT_STARTED');
    expect(read!.deviceCorrelationId).toBe('device-1');
    expect(await getSession('00000000-0000-0000-0000-000000000000')).toBeNull();

    // The federation entity: other subgraphs reference sessions by id.
    const entities = await server.gql<{ _entities: Array<{ id: string; status: string; authToken: string } | null> }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on LivenessSession { id status authToken } } }`,
      {
        r: [
          { __typename: 'LivenessSession', id: s.id },
          { __typename: 'LivenessSession', id: 'unknown' },
        ],
      },
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities).toEqual([{ id: s.id, status: 'NOT_STARTED', authToken: '' }, null]);
  });

  it("applies Azure's create rules as userErrors", async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ authTokenTimeToLiveInSeconds: 59 }, ['input', 'authTokenTimeToLiveInSeconds']],
      [{ authTokenTimeToLiveInSeconds: 86_401 }, ['input', 'authTokenTimeToLiveInSeconds']],
      [{ deviceCorrelationId: null }, ['input', 'deviceCorrelationId']],
      [{ deviceCorrelationId: '' }, ['input', 'deviceCorrelationId']],
      [{ deviceCorrelationId: 'x'.repeat(65) }, ['input', 'deviceCorrelationId']],
      [{ deviceCorrelationIdSetInClient: true }, ['input', 'deviceCorrelationId']],
    ];
    for (const [input, field] of cases) {
      const { session, userErrors } = await create({ livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'd', ...input });
      expect(session, JSON.stringify(input)).toBeNull();
      expect(userErrors).toHaveLength(1);
      expect(userErrors[0]!.code).toBe('INVALID_ARGUMENT');
      expect(userErrors[0]!.field).toEqual(field);
    }
    const inClient = await create({
      livenessOperationMode: 'PASSIVE_ACTIVE',
      deviceCorrelationId: null,
      deviceCorrelationIdSetInClient: true,
    });
    expect(inClient.userErrors).toEqual([]);
    expect(inClient.session!.deviceCorrelationId).toBeNull();
    expect(
      (await createOk({ deviceCorrelationId: 'y'.repeat(64), authTokenTimeToLiveInSeconds: 86_400 })).authTokenTimeToLiveInSeconds,
    ).toBe(86_400);
  });

  it('lists sessions newest first with Relay pagination', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createOk({ deviceCorrelationId: `page-${i}` })).id);
    const LIST = `query($first: Int, $after: String) { livenessSessions(first: $first, after: $after) {
      edges { cursor node { id authToken } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`;
    type Page = {
      livenessSessions: {
        edges: Array<{ cursor: string; node: { id: string; authToken: string } }>;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
        totalCount: number;
      };
    };
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let totalCount: number;
    for (;;) {
      const res: Awaited<ReturnType<typeof server.gql<Page>>> = await server.gql<Page>(LIST, { first: 2, after });
      expect(res.errors).toBeUndefined();
      const conn = res.data!.livenessSessions;
      expect(conn.edges.length).toBeLessThanOrEqual(2);
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      for (const e of conn.edges) {
        expect(e.node.authToken).toBe('');
        seen.push(e.node.id);
      }
      totalCount = conn.totalCount;
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(totalCount).toBe(seen.length);
    // The five just created are the newest, newest first.
    expect(seen.slice(0, 5)).toEqual([...created].reverse());

    for (const [variables, argument] of [
      [{ first: 0 }, 'first'],
      [{ first: 101 }, 'first'],
      [{ first: 2, after: 'bm90LWEtY3Vyc29y' }, 'after'],
    ] as const) {
      const bad = await server.gql(LIST, variables);
      expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
      expect(bad.errors?.[0]?.extensions?.argument).toBe(argument);
    }
  });
});

describe('client API with real frames', () => {
  let session: Session;
  let firstDigest: string;
  let firstNonce: string;

  beforeAll(async () => {
    session = await createOk({ enableSessionImage: true, sendResultsToClient: true });
  });

  it('GET /liveness/api/session starts the session and issues a challenge', async () => {
    const res = await clientGet(session.authToken);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      sessionId: session.id,
      livenessOperationMode: 'Passive',
      frames: { min: 10, max: 120, maxDurationMs: 18_000 },
      sendResultsToClient: true,
      attemptsLeft: 3,
    });
    expect(res.body.challenge.nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(res.body.challenge.steps).toEqual([]);
    // The light challenge is off on this server (MOTION_ONLY).
    expect(res.body.challenge).toMatchObject({ light: [], stepsStartMs: 0 });
    const again = await clientGet(session.authToken);
    expect(again.body.challenge.nonce).not.toBe(res.body.challenge.nonce);
    const read = await getSession(session.id);
    expect(read!.status).toBe('RUNNING');
    expect(read!.startedAt).not.toBeNull();
  });

  it('analyses an attempt of 15 real frames: decision, digest, reasons, audit and session image', async () => {
    expect(frames).toHaveLength(15);
    const res = await attempt(session.authToken);
    firstNonce = res.nonce;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ attemptId: 1, attemptsLeft: 2, status: 'Succeeded', sessionStatus: 'Succeeded', error: null });
    // The performer, live, talking and turning his head (3.0–3.5 s is the audience: three frames
    // without a face, tolerated): a bona fide presentation, accepted in Passive mode.
    expect(res.body.result!.livenessDecision).toBe('realface');

    const read = (await getSession(session.id))!;
    expect(read.status).toBe('SUCCEEDED');
    expect(read.attemptsLeft).toBe(2);
    expect(read.attempts).toHaveLength(1);
    const a = read.attempts[0]!;
    firstDigest = sha256(frames);
    expect(a.attemptId).toBe(1);
    expect(a.attemptStatus).toBe('SUCCEEDED');
    expect(a.error).toBeNull();
    expect(a.result!.livenessDecision).toBe(res.body.result!.livenessDecision.toUpperCase());
    expect(a.result!.digest).toBe(firstDigest);
    expect(a.result!.targetFace!.width).toBeGreaterThan(40);
    expect(a.result!.verifyResult).toBeNull();
    expect(a.audit).toMatchObject({
      clientIp: expect.stringMatching(/127\.0\.0\.1$/),
      frameCount: 15,
      digest: firstDigest,
      decision: 'REALFACE',
    });
    expect(a.audit.requestId).toBeTruthy();
    expect(a.audit.reasons).toEqual([]);
    expect(typeof a.audit.measures).toBe('object');
    expect(a.audit.createdAt).toBe(new Date(clock.now()).toISOString());

    const imageId = a.result!.sessionImageId!;
    expect(imageId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const image = await fetch(`${base}/liveness/session-images/${imageId}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(frames.some((f) => f.equals(bytes))).toBe(true);
    expect((await fetch(`${base}/liveness/session-images/${'A'.repeat(32)}`)).status).toBe(404);
  });

  it('refuses the exact same frames again through the decision (replay)', async () => {
    const res = await attempt(session.authToken);
    expect(res.status).toBe(200);
    expect(res.body.attemptId).toBe(2);
    expect(res.body.result!.livenessDecision).toBe('spoofface');
    const a = (await getSession(session.id))!.attempts[1]!;
    expect(a.audit.digest).toBe(firstDigest);
    expect(a.audit.reasons).toContain('REPLAYED_ATTEMPT');
    expect(a.result!.livenessDecision).toBe('SPOOFFACE');
  });

  it('refuses a used nonce with INVALID_NONCE, without counting an attempt', async () => {
    const res = await post(session.authToken, attemptForm(firstNonce, frames.slice(1)));
    expect(res.status).toBe(400);
    expect(res.body.error!.code).toBe('INVALID_NONCE');
    const missing = await post(session.authToken, attemptForm(null, frames.slice(1)));
    expect(missing.status).toBe(400);
    expect(missing.body.error!.code).toBe('INVALID_NONCE');
    expect((await getSession(session.id))!.attemptsLeft).toBe(1);
  });

  it('allows 3 attempts: the 4th is ATTEMPTS_EXHAUSTED', async () => {
    const third = await attempt(session.authToken, frames.slice(2));
    expect(third.status).toBe(200);
    expect(third.body.attemptId).toBe(3);
    expect(third.body.attemptsLeft).toBe(0);

    const get = await clientGet(session.authToken);
    expect(get.status).toBe(409);
    expect(get.body.error!.code).toBe('ATTEMPTS_EXHAUSTED');
    const fourth = await post(session.authToken, attemptForm(third.nonce, frames.slice(3)));
    expect(fourth.status).toBe(409);
    expect(fourth.body.error!.code).toBe('ATTEMPTS_EXHAUSTED');
    const read = (await getSession(session.id))!;
    expect(read.attempts.map((a) => a.attemptId)).toEqual([1, 2, 3]);
    expect(read.attemptsLeft).toBe(0);
  });

  it('withholds the decision from the client unless sendResultsToClient', async () => {
    const quiet = await createOk({ sendResultsToClient: false });
    const res = await attempt(quiet.authToken, frames.slice(0, 12));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('Succeeded');
    expect(res.body.result).toBeNull();
    const a = (await getSession(quiet.id))!.attempts[0]!;
    // Withheld from the client only: the operator sees the decision (the same bona fide footage).
    expect(a.result!.livenessDecision).toBe('REALFACE');
    expect(a.result!.sessionImageId).toBeNull();
  });
});

/**
 * PassiveActive answers made of real footage: the performer does not follow instructions, but
 * his head moves (singing) do answer one 4-step sequence per window — the first four directions
 * they move in, measured by the engine against the window's first frame (TURN_LEFT/RIGHT = yaw
 * up/down by >= 15°, LOOK_UP/DOWN = pitch up/down by >= 10°; each step by (index + 1) x 3 s; see
 * src/domain/liveness/challenge.ts). So for each window the test asks for challenges until that
 * sequence is issued (1 in 106 per request). The windows were found by judging the 20-frame,
 * 10 fps window at every 0.1 s start of the close-up from 3.6 to 5.8 s, extracted exactly as
 * here, under all 106 sequences: 14 of the 23 windows answer one sequence, 9 answer none, none
 * answers two (one of the 14, at 5.6 s, is then called flat: the known FLAT_SURFACE margin).
 * The windows at 4.0, 4.3 and 5.2 s answer the same sequence as their neighbour 0.1 s earlier.
 * Windows differ from one another (the same bytes in another session would be a replay).
 */
const CHALLENGE_WINDOWS: Record<string, { startSec: number; fps: number; count: number }> = {
  // From yaw -25, pitch 0: pitch +11 (up, 0.3 s), yaw -41 (right by 16°, 0.4 s), pitch -10 (down,
  // 0.5 s), yaw -6 (left by 19°, 0.7 s): a singer's quick head bobs, all four directions.
  'LOOK_UP,TURN_RIGHT,LOOK_DOWN,TURN_LEFT': { startSec: 4.9, fps: 10, count: 20 },
  'TURN_RIGHT,LOOK_UP,TURN_RIGHT,LOOK_UP': { startSec: 4.0, fps: 10, count: 20 },
  'LOOK_UP,TURN_RIGHT,LOOK_UP,TURN_LEFT': { startSec: 4.3, fps: 10, count: 20 },
  'LOOK_DOWN,TURN_LEFT,LOOK_DOWN,TURN_LEFT': { startSec: 5.2, fps: 10, count: 20 },
};

describe('PassiveActive with the challenge performed (real footage)', () => {
  const windows = new Map<string, { frames: Buffer[]; timestamps: number[] }>();

  beforeAll(async () => {
    for (const [steps, w] of Object.entries(CHALLENGE_WINDOWS)) {
      const dir = path.join(dataDir, 'challenge-frames', steps.replaceAll(',', '-'));
      const extracted = await extractJpegFrames(dir, {
        startSec: w.startSec,
        durationSec: w.count / w.fps,
        fps: w.fps,
        maxFrames: w.count,
      });
      expect(extracted.frames, steps).toHaveLength(w.count);
      windows.set(steps, extracted);
    }
  });

  /**
   * Asks for challenges until the wanted one is issued (each GET issues a fresh one at random, 1
   * in 106: 2000 tries miss it with probability (105/106)^2000 < 1e-8).
   */
  async function challengeFor(token: string, wanted: string): Promise<ClientSession['challenge']> {
    for (let i = 0; i < 2000; i++) {
      const c = await clientGet(token);
      expect(c.status).toBe(200);
      expect(c.body.livenessOperationMode).toBe('PassiveActive');
      expect(c.body.challenge.steps).toHaveLength(4);
      expect(c.body.challenge.stepTimeoutMs).toBeGreaterThan(0);
      if (c.body.challenge.steps.join(',') === wanted) return c.body.challenge;
    }
    throw new Error(`challenge ${wanted} not issued in 2000 tries`);
  }

  it('4-step challenges answered by the footage that performs them are realface; the client may send deviceCorrelationId', async () => {
    for (const [steps, w] of Object.entries(CHALLENGE_WINDOWS)) {
      const { session, userErrors } = await create({
        livenessOperationMode: 'PASSIVE_ACTIVE',
        deviceCorrelationIdSetInClient: true,
        sendResultsToClient: true,
      });
      expect(userErrors).toEqual([]);
      const challenge = await challengeFor(session!.authToken, steps);
      const { frames: parts, timestamps: ts } = windows.get(steps)!;
      const form = attemptForm(challenge.nonce, parts, ts);
      form.append('deviceCorrelationId', `set-by-client-${steps}`);
      const res = await post(session!.authToken, form);
      expect(res.status, steps).toBe(200);
      const read = (await getSession(session!.id))!;
      const a = read.attempts[0]!;
      expect(read.deviceCorrelationId).toBe(`set-by-client-${steps}`);
      expect(a.audit.frameCount).toBe(w.count);
      expect({ steps, decision: res.body.result!.livenessDecision, reasons: a.audit.reasons }).toEqual({
        steps,
        decision: 'realface',
        reasons: [],
      });
      expect(a.result!.livenessDecision).toBe('REALFACE');
    }
  });

  it('the same real motion answering another challenge is spoofface: looking up first when asked to look down', async () => {
    const { session } = await create({ livenessOperationMode: 'PASSIVE_ACTIVE', deviceCorrelationId: 'wrong-way' });
    const challenge = await challengeFor(session!.authToken, 'LOOK_DOWN,TURN_RIGHT,LOOK_UP,TURN_LEFT');
    // The LOOK_UP,TURN_RIGHT,LOOK_DOWN,TURN_LEFT footage without its last frame (new bytes: not a replay).
    const { frames: parts, timestamps: ts } = windows.get('LOOK_UP,TURN_RIGHT,LOOK_DOWN,TURN_LEFT')!;
    const res = await post(session!.authToken, attemptForm(challenge.nonce, parts.slice(0, -1), ts.slice(0, -1)));
    expect(res.status).toBe(200);
    const a = (await getSession(session!.id))!.attempts[0]!;
    expect(a.result!.livenessDecision).toBe('SPOOFFACE');
    expect(a.audit.reasons).toEqual(['CHALLENGE_WRONG_DIRECTION']);
  });
});

describe('tokens', () => {
  it('refuses missing, malformed and unknown tokens with TOKEN_INVALID', async () => {
    for (const token of [null, 'not-a-token', randomBytes(32).toString('base64url')]) {
      const res = await clientGet(token);
      expect(res.status).toBe(401);
      expect(res.body.error!.code).toBe('TOKEN_INVALID');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const res = await fetch(`${base}/liveness/api/attempts`, { method: 'POST', body: attemptForm('x', frames.slice(0, 10)) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TOKEN_INVALID');
  });

  it('TOKEN_EXPIRED once authTokenTimeToLiveInSeconds has passed; an unused session is then CANCELED', async () => {
    const s = await createOk({ authTokenTimeToLiveInSeconds: 60 });
    const get = await clientGet(s.authToken);
    expect(get.status).toBe(200);
    clock.advance(59_000);
    expect((await clientGet(s.authToken)).status).toBe(200);
    clock.advance(1_000);
    const expired = await clientGet(s.authToken);
    expect(expired.status).toBe(401);
    expect(expired.body.error!.code).toBe('TOKEN_EXPIRED');
    const posted = await post(s.authToken, attemptForm(get.body.challenge.nonce, frames));
    expect(posted.status).toBe(401);
    expect(posted.body.error!.code).toBe('TOKEN_EXPIRED');
    expect((await getSession(s.id))!.status).toBe('CANCELED');
  });

  it('a token opens only its own session', async () => {
    const a = await createOk({ deviceCorrelationId: 'device-a' });
    const b = await createOk({ deviceCorrelationId: 'device-b' });
    const ca = await clientGet(a.authToken);
    const cb = await clientGet(b.authToken);
    expect(ca.body.sessionId).toBe(a.id);
    expect(cb.body.sessionId).toBe(b.id);
    // A session id in the URL changes nothing: the token decides.
    const viaQuery = await fetch(`${base}/liveness/api/session?sessionId=${b.id}`, { headers: { authorization: `Bearer ${a.authToken}` } });
    expect(((await viaQuery.json()) as ClientSession).sessionId).toBe(a.id);
    // B's nonce does not work with A's token, and does not touch either session.
    const cross = await post(a.authToken, attemptForm(cb.body.challenge.nonce, frames.slice(0, 10)));
    expect(cross.status).toBe(400);
    expect(cross.body.error!.code).toBe('INVALID_NONCE');
    expect((await getSession(a.id))!.attempts).toEqual([]);
    expect((await getSession(b.id))!.attempts).toEqual([]);
  });
});

describe('hostile uploads', () => {
  let token: string;
  let sessionId: string;
  let nonce: string;

  beforeAll(async () => {
    const s = await createOk();
    token = s.authToken;
    sessionId = s.id;
    nonce = (await clientGet(token)).body.challenge.nonce;
  });

  async function expectRefused(body: FormData | string, status: number, code: string, headers: Record<string, string> = {}): Promise<void> {
    const res = await post(token, body, headers);
    expect(res.status, code).toBe(status);
    expect(res.body.error!.code).toBe(code);
    expect(typeof res.body.error!.message).toBe('string');
  }

  it('refuses malformed attempts with stable 4xx codes, counts nothing, and keeps serving', async () => {
    const png = await sharp(randomBytes(64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const oversized = Buffer.concat([frames[0]!, randomBytes(2 * 1024 * 1024)]);
    const many = Array.from({ length: 121 }, (_, i) => frames[i % frames.length]!);

    await expectRefused(
      attemptForm(
        nonce,
        many,
        many.map((_, i) => i * 100),
      ),
      400,
      'INVALID_FRAMES',
    );
    await expectRefused(attemptForm(nonce, frames.slice(0, 9)), 400, 'INVALID_FRAMES');
    await expectRefused(attemptForm(nonce, [png, ...frames.slice(1, 10)]), 400, 'INVALID_FRAMES');
    await expectRefused(
      attemptForm(nonce, [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), ...frames.slice(1, 10)]),
      400,
      'INVALID_FRAMES',
    );
    await expectRefused(attemptForm(nonce, [oversized, ...frames.slice(1, 10)]), 413, 'FRAMES_TOO_LARGE');
    await expectRefused(attemptForm(nonce, frames.slice(0, 10), [5, 4, 3, 2, 1, 0, 0, 0, 0, 0]), 400, 'INVALID_FRAMES');
    await expectRefused(
      // Over FRAME_LIMITS.maxDurationMs (18 s).
      attemptForm(nonce, frames.slice(0, 10), [0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18001]),
      400,
      'INVALID_FRAMES',
    );
    await expectRefused(attemptForm(nonce, frames.slice(0, 10), 'soon'), 400, 'INVALID_FRAMES');
    await expectRefused(JSON.stringify({ nonce }), 400, 'INVALID_FRAMES', { 'content-type': 'application/json' });
    await expectRefused('--x\r\nContent-Disposition: form-data; name="frame"; filename="a.jpg"\r\n\r\n\xff\xd8', 400, 'INVALID_FRAMES', {
      'content-type': 'multipart/form-data; boundary=x',
    });
    const wrongName = attemptForm(nonce, frames.slice(0, 10));
    wrongName.append('video', new Blob([new Uint8Array(frames[0]!)]), 'v.webm');
    await expectRefused(wrongName, 400, 'INVALID_FRAMES');

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const read = (await getSession(sessionId))!;
    expect(read.attempts).toEqual([]);
    expect(read.attemptsLeft).toBe(3);
  });

  it('answers 413 to an upload declared too large, before reading it', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/liveness/api/attempts`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(500 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('--x\r\n');
    });
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('FRAMES_TOO_LARGE');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('the challenge survives refused uploads: the next valid upload with it is analysed', async () => {
    const res = await post(token, attemptForm(nonce, frames.slice(0, 11)));
    expect(res.status).toBe(200);
    expect(res.body.attemptId).toBe(1);
  });
});

describe('liveness-with-verify', () => {
  it('verifies the best frame against a frame of the clip (same person) and a photo of someone else', async () => {
    const same = await createOk({ verifyImage: { base64: frames[7]!.toString('base64') } });
    expect(same.verifyReference!.faceRectangle.width).toBeGreaterThan(40);
    const other = await createOk({ verifyImage: { base64: faceBase64('people/obama/1.jpg') } });
    expect(other.verifyReference!.qualityForRecognition).toMatch(/^(LOW|MEDIUM|HIGH)$/);

    // Distinct frame sets: the same bytes in another session would be a replay.
    const a = await attempt(same.authToken, frames.slice(0, 14));
    const b = await attempt(other.authToken, frames.slice(1, 15));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const va = (await getSession(same.id))!.attempts[0]!.result!.verifyResult!;
    const vb = (await getSession(other.id))!.attempts[0]!.result!.verifyResult!;
    expect(va.isIdentical).toBe(true);
    expect(va.matchConfidence).toBeGreaterThanOrEqual(0.5);
    expect(vb.isIdentical).toBe(false);
    expect(vb.matchConfidence).toBeLessThan(0.5);
  });

  it('refuses a verify image without a face (NO_FACE_IN_IMAGE) and a bad image (its image code)', async () => {
    const noise = await sharp(randomBytes(96 * 96 * 3), { raw: { width: 96, height: 96, channels: 3 } })
      .png()
      .toBuffer();
    const noFace = await create({
      livenessOperationMode: 'PASSIVE',
      deviceCorrelationId: 'd',
      verifyImage: { base64: noise.toString('base64') },
    });
    expect(noFace.session).toBeNull();
    expect(noFace.userErrors[0]).toMatchObject({ code: 'NO_FACE_IN_IMAGE', field: ['input', 'verifyImage'] });
    const bad = await create({ livenessOperationMode: 'PASSIVE', deviceCorrelationId: 'd', verifyImage: { base64: '###' } });
    expect(bad.userErrors[0]).toMatchObject({ code: 'INVALID_BASE64', field: ['input', 'verifyImage'] });
  });
});

describe('engine overloaded', () => {
  it('an attempt is one request to admission: all its frames on an idle one-worker engine are analysed, not refused by each other', async () => {
    // Before, each frame's queue-wait estimate counted the attempt's own earlier frames: past ~8
    // frames one worker refused the attempt OVERLOADED with nothing else running.
    const single = await startTestServer({ FACEGRAPH_WORKERS: '1' });
    try {
      const singleBase = single.url.replace(/\/graphql$/, '');
      const res = await single.gql<{ createLivenessSession: { session: { authToken: string } } }>(
        `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "d" }) { session { authToken } } }`,
      );
      const headers = { authorization: `Bearer ${res.data!.createLivenessSession.session.authToken}` };
      const s = (await (await fetch(`${singleBase}/liveness/api/session`, { headers })).json()) as ClientSession;
      expect(frames.length).toBeGreaterThanOrEqual(15);
      const r = await fetch(`${singleBase}/liveness/api/attempts`, {
        method: 'POST',
        headers,
        body: attemptForm(s.challenge.nonce, frames),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { attemptId: number }).attemptId).toBe(1);
    } finally {
      await single.stop();
    }
  });

  it('answers 503 with Retry-After, counts no attempt and keeps the challenge', async () => {
    // One worker, room for one queued image, a short job deadline so the wedged job below ends.
    const busy = await startTestServer({ FACEGRAPH_WORKERS: '1', FACEGRAPH_MAX_QUEUE: '1', FACEGRAPH_ENGINE_JOB_TIMEOUT_MS: '5000' });
    try {
      const busyBase = busy.url.replace(/\/graphql$/, '');
      // Make the engine busy for real: the worker wedges on one detect, a second waits in the queue.
      const engine = busy.engine!;
      const [worker] = engine.testSeam.threadIds();
      engine.testSeam.stall(worker!);
      const detect = (): Promise<Response> =>
        fetch(`${busyBase}/face/v1.2/detect?returnFaceId=false`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(face('people/obama/1.jpg')),
        });
      const running = detect();
      while (!engine.testSeam.busyThreadIds().includes(worker!)) await new Promise((r) => setTimeout(r, 5));
      const queued = detect();
      while (engine.queued < 1) await new Promise((r) => setTimeout(r, 5));
      const res = await busy.gql<{ createLivenessSession: { session: { id: string; authToken: string } } }>(
        `mutation { createLivenessSession(input: { livenessOperationMode: PASSIVE, deviceCorrelationId: "d" }) { session { id authToken } } }`,
      );
      const { id, authToken } = res.data!.createLivenessSession.session;
      const headers = { authorization: `Bearer ${authToken}` };
      const s = (await (await fetch(`${busyBase}/liveness/api/session`, { headers })).json()) as ClientSession;
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${busyBase}/liveness/api/attempts`, {
          method: 'POST',
          headers,
          body: attemptForm(s.challenge.nonce, frames),
        });
        expect(r.status).toBe(503);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
      }
      const read = await busy.gql<{ livenessSession: { attemptsLeft: number; attempts: unknown[] } }>(
        `query($id: ID!) { livenessSession(id: $id) { attemptsLeft attempts { attemptId } } }`,
        { id },
      );
      expect(read.data!.livenessSession).toEqual({ attemptsLeft: 3, attempts: [] });
      // The wedged job hits its deadline (its worker is replaced); the queued one then runs.
      expect((await running).status).toBe(503);
      expect((await queued).status).toBe(200);
    } finally {
      await busy.stop();
    }
  });
});

describe('start-up', () => {
  it('stops with a clear error when FACEGRAPH_DATA_DIR is not a writable directory', async () => {
    const file = path.join(dataDir, 'not-a-dir');
    writeFileSync(file, 'x');
    await expect(startTestServer({ FACEGRAPH_DATA_DIR: path.join(file, 'data') })).rejects.toThrow(
      /FACEGRAPH_DATA_DIR ".*not-a-dir\/data" is not a writable directory/,
    );
  });
});

describe('deletion, persistence and purge', () => {
  it('deleting a session revokes its token (410 SESSION_DELETED) and deletes its images', async () => {
    const s = await createOk({ enableSessionImage: true });
    const res = await attempt(s.authToken, frames.slice(0, 13));
    expect(res.status).toBe(200);
    const imageId = (await getSession(s.id))!.attempts[0]!.result!.sessionImageId!;
    expect((await fetch(`${base}/liveness/session-images/${imageId}`)).status).toBe(200);

    const DELETE = `mutation($id: ID!) { deleteLivenessSession(input: { id: $id }) { deletedSessionId userErrors { code message field } } }`;
    const del = await server.gql<{ deleteLivenessSession: { deletedSessionId: string | null; userErrors: UserError[] } }>(DELETE, {
      id: s.id,
    });
    expect(del.data!.deleteLivenessSession).toEqual({ deletedSessionId: s.id, userErrors: [] });

    expect(await getSession(s.id)).toBeNull();
    expect((await fetch(`${base}/liveness/session-images/${imageId}`)).status).toBe(404);
    const get = await clientGet(s.authToken);
    expect(get.status).toBe(410);
    expect(get.body.error!.code).toBe('SESSION_DELETED');
    const posted = await post(s.authToken, attemptForm('x', frames.slice(0, 10)));
    expect(posted.status).toBe(410);
    expect(posted.body.error!.code).toBe('SESSION_DELETED');

    const again = await server.gql<{ deleteLivenessSession: { deletedSessionId: string | null; userErrors: UserError[] } }>(DELETE, {
      id: s.id,
    });
    expect(again.data!.deleteLivenessSession.deletedSessionId).toBeNull();
    expect(again.data!.deleteLivenessSession.userErrors[0]).toMatchObject({ code: 'SESSION_NOT_FOUND', field: ['input', 'id'] });
  });

  it('sessions, attempts, images and tombstones survive a restart on the same data directory', async () => {
    const s = await createOk({ enableSessionImage: true, sendResultsToClient: true });
    // The whole close-up, in reverse: a new digest, and a best frame for the session image.
    const res = await attempt(s.authToken, [...frames].reverse());
    expect(res.status).toBe(200);
    const deleted = await createOk();
    await server.gql(`mutation($id: ID!) { deleteLivenessSession(input: { id: $id }) { deletedSessionId } }`, { id: deleted.id });
    const before = (await getSession(s.id))!;

    await server.stop();
    server = await startTestServer(MOTION_ONLY(path.join(dataDir, 'db')), clock);
    base = server.url.replace(/\/graphql$/, '');

    const after = (await getSession(s.id))!;
    expect(after).toEqual(before);
    expect(after.attempts[0]!.result!.digest).toBe(sha256([...frames].reverse()));
    const image = await fetch(`${base}/liveness/session-images/${after.attempts[0]!.result!.sessionImageId}`);
    expect(image.status).toBe(200);
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(frames.some((f) => f.equals(bytes))).toBe(true);
    expect((await clientGet(s.authToken)).body.attemptsLeft).toBe(2);
    expect((await clientGet(deleted.authToken)).body.error!.code).toBe('SESSION_DELETED');
  });

  it('purges sessions past their retention (48 h), with their images and tombstones', async () => {
    const s = await createOk({ enableSessionImage: true });
    await attempt(s.authToken, frames.slice(1).reverse());
    const imageId = (await getSession(s.id))!.attempts[0]!.result!.sessionImageId!;
    expect((await fetch(`${base}/liveness/session-images/${imageId}`)).status).toBe(200);
    clock.advance(48 * 3600_000);
    const purged = await server.app.services.liveness.purgeExpired();
    expect(purged.sessions).toBeGreaterThan(0);
    expect(await getSession(s.id)).toBeNull();
    expect((await fetch(`${base}/liveness/session-images/${imageId}`)).status).toBe(404);
    const list = await server.gql<{ livenessSessions: { totalCount: number } }>(`{ livenessSessions { totalCount } }`);
    expect(list.data!.livenessSessions.totalCount).toBe(0);
    expect((await clientGet(s.authToken)).body.error!.code).toBe('TOKEN_INVALID');
  });
});
