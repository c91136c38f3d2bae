/**
 * The light challenge through the client API, on the real engine and real footage (the server's
 * defaults: FACEGRAPH_LIVENESS_LIGHT on). A genuine attempt is the close-up of
 * ../shared/video/hamilton-clip.mp4 filmed, in simulation, while the screen flashes the issued
 * sequence: tools/liveness-synthetic/light.ts renders the reflection (additive screen light scaled
 * by the skin's albedo, the camera's auto-exposure and white balance, noise, JPEG) around the face
 * box the engine finds in each frame. The simulation's parameters are fixed here at a typical
 * phone in an office (bench:liveness draws them over their whole ranges).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIGHT_RGB, LIGHT_FLASHES, lightDurationMs } from '../../src/domain/liveness/light.js';
import { LIGHT_SETTLE_MS } from '../../src/domain/liveness/challenge.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';
import { renderLitAttempt, sampleLitParams, type FaceBox } from '../../tools/liveness-synthetic/light.js';
import { encodeJpeg, loadRgb } from '../../tools/liveness-synthetic/render.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { extractJpegFrames } from '../helpers/video.js';

let server: TestServer;
let base: string;
let tmp: string;
/** The close-up, 3.6–7.6 s at 10 fps (40 frames), as filmed (no screen light). */
let footage: Buffer[];
let times: number[];
let boxes: Array<FaceBox | null>;

const DETECT = `query($b: String!) { detectFaces(image: { base64: $b }) { faceRectangle { top left width height } } }`;

/** A phone at full brightness ~35 cm from the face in office light; the camera's own AE/AWB, noise and JPEG. */
const PHONE = sampleLitParams(rng(7), {
  strength: 0.3,
  latencyMs: 120,
  jitterMs: 10,
  aeStrength: 0.5,
  awbStrength: 0.3,
  noiseSigma: 2,
  jpegQuality: 85,
});

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facegraph-light-'));
  ({ frames: footage, timestamps: times } = await extractJpegFrames(path.join(tmp, 'frames'), {
    startSec: 3.6,
    durationSec: 4,
    fps: 10,
    maxFrames: 40,
  }));
  // Seeded challenges: the same sequences every run, so the decisions below are repeatable.
  server = await startTestServer({ FACEGRAPH_DATA_DIR: path.join(tmp, 'data') }, undefined, 'embedded', {
    challengeRandom: seededBytes('liveness-light e2e'),
  });
  base = server.clientBase;
  boxes = [];
  for (const frame of footage) {
    const res = await server.gql<{ detectFaces: Array<{ faceRectangle: FaceBox }> }>(DETECT, { b: frame.toString('base64') });
    expect(res.errors).toBeUndefined();
    const faces = res.data!.detectFaces;
    boxes.push(faces.length === 1 ? faces[0]!.faceRectangle : null);
  }
});

afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface ClientChallenge {
  nonce: string;
  light: Array<LightFlash & { rgb: number[] }>;
  steps: string[];
  stepsStartMs: number;
  stepTimeoutMs: number;
}

async function createSession(mode: 'PASSIVE' | 'PASSIVE_ACTIVE'): Promise<{ id: string; token: string }> {
  const res = await server.gql<{
    createLivenessSession: { session: { id: string; authToken: string } | null; userErrors: Array<{ code: string; message: string }> };
  }>(
    `mutation($input: CreateLivenessSessionInput!) { createLivenessSession(input: $input) { session { id authToken } userErrors { code message } } }`,
    { input: { livenessOperationMode: mode, deviceCorrelationId: `light-${mode}`, sendResultsToClient: true } },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.createLivenessSession.userErrors).toEqual([]);
  const s = res.data!.createLivenessSession.session!;
  return { id: s.id, token: s.authToken };
}

const client = (token: string, pathname: string, init: RequestInit = {}) =>
  fetch(`${base}/liveness/api${pathname}`, { ...init, headers: { authorization: `Bearer ${token}` } });

async function challenge(token: string): Promise<ClientChallenge> {
  const res = await client(token, '/session');
  expect(res.status).toBe(200);
  return ((await res.json()) as { challenge: ClientChallenge }).challenge;
}

/**
 * A challenge whose light the footage lasts through with the camera's lag to spare (each fetch
 * issues a new one; 6-flash sequences of ≤ 3.3 s come about one time in six).
 */
async function shortChallenge(token: string, notLike?: readonly LightFlash[]): Promise<ClientChallenge> {
  for (let i = 0; i < 300; i++) {
    const c = await challenge(token);
    const differs =
      !notLike ||
      JSON.stringify(c.light.map((f) => [f.color, f.durationMs])) !== JSON.stringify(notLike.map((f) => [f.color, f.durationMs]));
    if (lightDurationMs(c.light) + 300 <= times[times.length - 1]! - 300 && differs) return c;
  }
  throw new Error('no short light sequence in 300 challenges');
}

async function submit(token: string, nonce: string, frames: readonly Buffer[], ts: readonly number[]): Promise<AttemptAnswer> {
  const form = new FormData();
  form.append('nonce', nonce);
  form.append('timestamps', JSON.stringify(ts));
  frames.forEach((f, i) => form.append('frame', new Blob([new Uint8Array(f)], { type: 'image/jpeg' }), `frame-${i}.jpg`));
  const res = await client(token, '/attempts', { method: 'POST', body: form });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as AttemptAnswer;
}

interface AttemptAnswer {
  result: { livenessDecision: string; advice: string[] } | null;
}

async function audit(id: string): Promise<{ decision: string | null; reasons: string[] }> {
  const res = await server.gql<{ livenessSession: { attempts: Array<{ audit: { decision: string | null; reasons: string[] } }> } }>(
    `query($id: ID!) { livenessSession(id: $id) { attempts { audit { decision reasons } } } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  const attempts = res.data!.livenessSession.attempts;
  return attempts[attempts.length - 1]!.audit;
}

/** The footage filmed while the screen shows `flashes` from its first frame on (none: filmed with the screen idle). */
async function filmed(flashes: readonly LightFlash[], seed: number): Promise<Buffer[]> {
  const images = await Promise.all(footage.map((f) => loadRgb(f)));
  return renderLitAttempt(images, times, boxes, flashes, PHONE, rng(seed));
}

describe('the light challenge (client API, real engine and footage)', () => {
  it('is issued by default: 6–10 flashes with the colour to paint, the motion steps after them', async () => {
    const passive = await createSession('PASSIVE');
    const p = await challenge(passive.token);
    expect(p.light.length).toBeGreaterThanOrEqual(LIGHT_FLASHES.min);
    expect(p.light.length).toBeLessThanOrEqual(LIGHT_FLASHES.max);
    for (const f of p.light) expect(f.rgb).toEqual(LIGHT_RGB[f.color]);
    expect(p.steps).toEqual([]);
    const active = await createSession('PASSIVE_ACTIVE');
    const a = await challenge(active.token);
    expect(a.steps).toHaveLength(4);
    expect(a.stepsStartMs).toBe(lightDurationMs(a.light) + LIGHT_SETTLE_MS);
  });

  it('a face that reflects the issued sequence is realface; the same recording sent for another sequence is LIGHT_SEQUENCE_MISMATCH', async () => {
    const first = await createSession('PASSIVE');
    const c1 = await shortChallenge(first.token);
    const lit = await filmed(c1.light, 1);
    await submit(first.token, c1.nonce, lit, times);
    expect(await audit(first.id)).toEqual({ decision: 'REALFACE', reasons: [] });

    // The recording of that attempt, one frame shorter (a byte-identical upload is a REPLAYED_ATTEMPT).
    const second = await createSession('PASSIVE');
    const c2 = await shortChallenge(second.token, c1.light);
    await submit(second.token, c2.nonce, lit.slice(0, -1), times.slice(0, -1));
    expect(await audit(second.id)).toEqual({ decision: 'SPOOFFACE', reasons: ['LIGHT_SEQUENCE_MISMATCH'] });
  });

  it('the footage filmed with no reflection (a replayed recording) is a light spoof: its own colour changes are not the sequence', async () => {
    const s = await createSession('PASSIVE');
    const c = await shortChallenge(s.token);
    await submit(s.token, c.nonce, await filmed([], 2), times);
    // Not LIGHT_NOT_REFLECTED: the stage lighting of the footage changes the performer's skin
    // colour against the background by more than the no-reflection floor (light-check.ts,
    // minAmplitude), so the check sees a colour change, and one that does not follow the flashes.
    expect(await audit(s.id)).toEqual({ decision: 'SPOOFFACE', reasons: ['LIGHT_SEQUENCE_MISMATCH'] });
  });

  it('a room too dark to use is uncertain, not a spoof, and the client is told what to fix', async () => {
    const s = await createSession('PASSIVE');
    const c = await shortChallenge(s.token);
    // The footage at a tenth of its brightness, filmed under the flashes (which then add a tenth of the light too).
    const lit = await filmed(c.light, 3);
    const dark = await Promise.all(
      lit.map(async (jpeg) => {
        const img = await loadRgb(jpeg);
        return encodeJpeg({ ...img, data: img.data.map((v) => Math.round(v * 0.1)) }, 85);
      }),
    );
    const answer = await submit(s.token, c.nonce, dark, times);
    // The quality gate refuses frames this dark before the light check looks at them.
    expect(await audit(s.id)).toEqual({ decision: 'UNCERTAIN', reasons: ['LOW_QUALITY', 'TOO_FEW_USABLE_FRAMES'] });
    expect(answer.result).toEqual({ livenessDecision: 'uncertain', advice: ['CLEARER_PICTURES'] });
  });
});
