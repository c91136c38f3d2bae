/**
 * Liveness: the shared vocabulary of sessions, attempts and decisions (Azure AI Face v1.2 §4
 * names). Pure types; the decision pipeline (decision.ts), the session service (service.ts),
 * the store (src/store) and the client routes (src/http/liveness-routes.ts) all speak these.
 */
import type { FaceRectangle } from '../types.js';
import type { LightMeasure } from './light-sample.js';

export type LivenessOperationMode = 'Passive' | 'PassiveActive';
export type SessionStatus = 'NotStarted' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
export type LivenessDecision = 'realface' | 'spoofface' | 'uncertain';

/** A head movement the client must perform, in order (PassiveActive only). */
export type ChallengeStep = 'TURN_LEFT' | 'TURN_RIGHT' | 'LOOK_UP' | 'LOOK_DOWN';

/** A screen colour of the light challenge (light.ts holds the RGB the capture page shows). */
export type LightColor = 'RED' | 'GREEN' | 'BLUE' | 'YELLOW' | 'MAGENTA' | 'CYAN';

/** One full-screen flash of the light challenge. */
export interface LightFlash {
  color: LightColor;
  durationMs: number;
}

export interface Challenge {
  /** Random, single use: the attempt must echo it. */
  nonce: string;
  /**
   * The light challenge: colours the capture page shows full-screen, back to back, starting at
   * the attempt's first frame (t = 0). Empty for challenges issued before it existed.
   */
  light: LightFlash[];
  steps: ChallengeStep[];
  /** When the motion steps start, ms after the first frame (the light sequence comes first). */
  stepsStartMs: number;
  /** Time allowed for each step: step k is due by stepsStartMs + (k + 1) × stepTimeoutMs. */
  stepTimeoutMs: number;
}

/** What the engine saw in one frame of an attempt. */
export interface FrameFace {
  faceRectangle: FaceRectangle;
  /** 68 iBUG landmarks, image pixels. */
  landmarks68: ReadonlyArray<{ x: number; y: number }>;
  pose: { pitch: number; roll: number; yaw: number };
  embedding: Float32Array;
  quality: { blur: number; exposure: number; noise: number };
}

export interface FrameAnalysis {
  /** Milliseconds since the first frame (client-reported, checked for monotony). */
  t: number;
  width: number;
  height: number;
  faces: FrameFace[];
  /**
   * The light challenge's measure of this frame (skin and background colour, light-sample.ts),
   * taken by the engine from the decoded pixels and the largest face; null when the provider
   * cannot measure it.
   */
  light: LightMeasure | null;
}

export interface AttemptInput {
  mode: LivenessOperationMode;
  frames: FrameAnalysis[];
  /** The challenge issued for this attempt (its light sequence is judged in both modes, its steps in PassiveActive), or null. */
  challenge: Challenge | null;
  /** Digests (sha256 hex of the concatenated frame bytes) of previous attempts, for replay refusal. */
  previousDigests: ReadonlySet<string>;
  digest: string;
}

export interface DecisionResult {
  decision: LivenessDecision;
  /** Machine-readable reasons, kept in the attempt's audit record, e.g. "NO_FACE_IN_FRAMES". */
  reasons: string[];
  /** Index of the sharpest, most frontal frame: the session image and the verify probe. */
  bestFrameIndex: number | null;
  /** The face in the best frame. */
  targetFace: FaceRectangle | null;
  /** Numbers behind the decision (flatness residuals, yaw extremes...), for audit and tuning. */
  measures: Record<string, number>;
}

/** Azure's limit: a session allows three attempts. */
export const MAX_ATTEMPTS = 3;

/** A new session's options, validated. */
export interface CreateSessionOptions {
  mode: LivenessOperationMode;
  deviceCorrelationId: string | null;
  deviceCorrelationIdSetInClient: boolean;
  enableSessionImage: boolean;
  authTokenTtlSeconds: number;
  sendResultsToClient: boolean;
}
