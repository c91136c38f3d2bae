/**
 * Evaluation for bench/liveness.ts: attempts (windows) built from analysed sequences, run through
 * decideAttempt in both modes, and counted in ISO/IEC 30107-3 terms. Pure (no engine, no I/O).
 *
 * Challenge issuance in PassiveActive (the same rule for bona fide and attack presentations):
 * each attempt is decided under every one of the 106 challenges createChallenge can issue
 * (ALL_ACTIVE_SEQUENCES; ~1 ms per decideAttempt, so ~1 minute for the bench's ~640 attempts:
 * exact, no sampling needed), and counts as ACCEPTED if ANY of them yields realface. For an attack that is the attacker's best
 * case (the challenge their motion happens to perform); for a bona fide window it is the
 * challenge the performer's real motion performs (he does not follow our instructions).
 * For the screen video replay (c2) the expected APCER under RANDOM issuance (the attacker cannot
 * choose: mean over the 106 challenges) is reported as well, since that is the real-world figure
 * for a pre-recorded video.
 */
import { ALL_ACTIVE_SEQUENCES, STEP_TIMEOUT_MS, evaluateChallenge } from '../../src/domain/liveness/challenge.js';
import { decideAttempt, flatnessMeasures, frameStatus, identityMeasures, motionResidual } from '../../src/domain/liveness/decision.js';
import type { Challenge, DecisionResult, FrameAnalysis, LivenessDecision, LivenessOperationMode } from '../../src/domain/liveness/types.js';
import { digestOf, FPS, type CapturedFrame, type Sequence } from './liveness-data.js';

export interface WindowConfig {
  name: string;
  /** Frames in the attempt. */
  count: number;
  /** Take every `stride`-th frame of the 10 fps sequence. */
  stride: number;
}

/** 2 s at 10 fps (20 frames), 3 s at 5 fps (15 frames), 2 s at 5 fps (10 frames). */
export const WINDOW_CONFIGS: readonly WindowConfig[] = [
  { name: '20 frames @10 fps (2 s)', count: 20, stride: 1 },
  { name: '15 frames @5 fps (3 s)', count: 15, stride: 2 },
  { name: '10 frames @5 fps (2 s)', count: 10, stride: 2 },
];

export type Species = 'genuine' | 'a' | 'b' | 'c' | 'd' | 'e';

export interface Attempt {
  id: string;
  species: Species;
  variant: string;
  config: string;
  frames: FrameAnalysis[];
  digest: string;
  previousDigests: ReadonlySet<string>;
}

const spanOf = (c: WindowConfig): number => (c.count - 1) * c.stride + 1;

function window(frames: readonly CapturedFrame[], start: number, c: WindowConfig): CapturedFrame[] {
  return Array.from({ length: c.count }, (_, i) => frames[start + i * c.stride]!);
}

/** Analyses with client timestamps (ms since the first frame) for frames taken at `stride` / FPS intervals. */
function timed(frames: readonly CapturedFrame[], c: WindowConfig): FrameAnalysis[] {
  return frames.map((f, i) => ({ ...f.analysis, t: Math.round((i * c.stride * 1000) / FPS) }));
}

function attempt(
  id: string,
  species: Species,
  variant: string,
  c: WindowConfig,
  frames: CapturedFrame[],
  previous: ReadonlySet<string> = new Set(),
): Attempt {
  return { id, species, variant, config: c.name, frames: timed(frames, c), digest: digestOf(frames), previousDigests: previous };
}

export interface Attempts {
  genuine: Attempt[];
  attacks: Attempt[];
}

/**
 * Bona fide: every window of the close-up (all starts, each config).
 * (a), (b), (c1): one attempt per config from the start of each 3 s sequence.
 * (c2): sliding windows like the genuine ones, on the screen-replayed video.
 * (d): the first half of a genuine window (3 starts per config) then another person's frames,
 *      and the reverse order; every other-person sequence.
 * (e): each genuine window again, its digest already seen.
 */
export function buildAttempts(closeup: Sequence, attacks: readonly Sequence[], others: readonly Sequence[]): Attempts {
  const genuine: Attempt[] = [];
  const out: Attempt[] = [];
  for (const c of WINDOW_CONFIGS) {
    const span = spanOf(c);
    for (let s = 0; s + span <= closeup.frames.length; s++) {
      genuine.push(attempt(`genuine/${c.count}f/s${s}`, 'genuine', 'clip close-up', c, window(closeup.frames, s, c)));
    }
    for (const seq of attacks) {
      const sliding = seq.id.startsWith('c2');
      const starts = sliding ? Array.from({ length: seq.frames.length - span + 1 }, (_, i) => i) : [0];
      for (const s of starts) {
        if (s + span > seq.frames.length) continue;
        out.push(attempt(`${seq.id}/${c.count}f/s${s}`, seq.kind, seq.variant, c, window(seq.frames, s, c)));
      }
    }
    const genuineStarts = [0, Math.floor((closeup.frames.length - span) / 2), closeup.frames.length - span];
    const half = Math.ceil(c.count / 2);
    for (const other of others) {
      for (const s of genuineStarts) {
        const g = window(closeup.frames, s, c);
        const o = other.frames.slice(0, c.count - half);
        out.push(attempt(`d/${other.id}/${c.count}f/s${s}`, 'd', `${other.variant} after genuine`, c, [...g.slice(0, half), ...o]));
        const o2 = other.frames.slice(0, half);
        out.push(attempt(`d-rev/${other.id}/${c.count}f/s${s}`, 'd', `${other.variant} before genuine`, c, [...o2, ...g.slice(half)]));
      }
    }
  }
  for (const g of genuine)
    out.push({ ...g, id: `e/${g.id}`, species: 'e', variant: 'exact replay of a genuine attempt', previousDigests: new Set([g.digest]) });
  return { genuine, attacks: out };
}

export interface Outcome {
  decision: LivenessDecision;
  reasons: string[];
  measures: Record<string, number>;
}

export interface AttemptResult {
  attempt: Attempt;
  passive: Outcome;
  /** PassiveActive under each of the 106 challenges, in ALL_ACTIVE_SEQUENCES order. */
  active: Outcome[];
  /** Accepted (realface) under at least one challenge. */
  activeBest: LivenessDecision;
  /** Challenges (joined step names) under which the attempt was accepted. */
  activeAccepted: string[];
  /** Challenges the window's head motion performs (steps in order, in time), whatever the other checks. */
  performable: string[];
}

const challengeName = (steps: readonly string[]): string => steps.join('>');

function outcome(r: DecisionResult): Outcome {
  return { decision: r.decision, reasons: r.reasons, measures: r.measures };
}

/** The head motion alone: which challenges the usable frames' pose trajectory performs. */
function performable(a: Attempt): string[] {
  const samples = a.frames.flatMap((f, index) =>
    frameStatus(f) === 'usable' ? [{ index, t: f.t, yaw: f.faces[0]!.pose.yaw, pitch: f.faces[0]!.pose.pitch }] : [],
  );
  return ALL_ACTIVE_SEQUENCES.filter((p) => evaluateChallenge(samples, p, STEP_TIMEOUT_MS).performed).map(challengeName);
}

export function evaluate(a: Attempt): AttemptResult {
  const base = { frames: a.frames, digest: a.digest, previousDigests: a.previousDigests };
  const passive = outcome(
    decideAttempt({
      ...base,
      mode: 'Passive',
      challenge: { nonce: 'bench', light: [], steps: [], stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS },
    }),
  );
  const active = ALL_ACTIVE_SEQUENCES.map((steps) => {
    const challenge: Challenge = { nonce: 'bench', light: [], steps: [...steps], stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS };
    return outcome(decideAttempt({ ...base, mode: 'PassiveActive', challenge }));
  });
  const accepted = active.flatMap((o, i) => (o.decision === 'realface' ? [challengeName(ALL_ACTIVE_SEQUENCES[i]!)] : []));
  // Best case for the presenter: realface if any; else spoofface only if every challenge says so.
  const activeBest: LivenessDecision = accepted.length
    ? 'realface'
    : active.every((o) => o.decision === 'spoofface')
      ? 'spoofface'
      : 'uncertain';
  return { attempt: a, passive, active, activeBest, activeAccepted: accepted, performable: performable(a) };
}

/** Geometry and identity numbers of an attempt, independent of the thresholds' gates (for margins). */
export interface RawMeasures {
  turn: number;
  /** Flatness residual at the yaw extremes WITHOUT the >= 15° gate (attacks rarely turn that far). */
  flatnessAtExtremes: number;
  /** With the gate (NaN when the turn is < 15°). */
  flatnessGated: number;
  motion: number;
  identitySplit: number;
  identityMaxFrame: number;
}

export function rawMeasures(a: Attempt): RawMeasures {
  const faces = a.frames.filter((f) => frameStatus(f) === 'usable').map((f) => f.faces[0]!);
  const ungated = flatnessMeasures(faces, 0);
  const gated = flatnessMeasures(faces);
  const id = identityMeasures(faces.map((f) => f.embedding));
  return {
    turn: gated.turnDegrees,
    flatnessAtExtremes: ungated.residual,
    flatnessGated: gated.residual,
    motion: motionResidual(faces),
    identitySplit: id.splitDistance,
    identityMaxFrame: Math.max(...id.frameDistances),
  };
}

export interface Rate {
  n: number;
  /** Counts per decision. */
  spoofface: number;
  uncertain: number;
  realface: number;
}

export function tally(decisions: readonly LivenessDecision[]): Rate {
  return {
    n: decisions.length,
    spoofface: decisions.filter((d) => d === 'spoofface').length,
    uncertain: decisions.filter((d) => d === 'uncertain').length,
    realface: decisions.filter((d) => d === 'realface').length,
  };
}

/** APCER: attack presentations accepted as bona fide / attack presentations. */
export const apcer = (r: Rate): number => (r.n ? r.realface / r.n : Number.NaN);
/** BPCER: bona fide presentations not accepted (spoofface or uncertain) / bona fide presentations. */
export const bpcer = (r: Rate): number => (r.n ? (r.n - r.realface) / r.n : Number.NaN);

/** Which end of a score is bona fide: 'high' = bona fide when score >= t, 'low' = when score <= t. */
export type BonaFideEnd = 'high' | 'low';

/** [APCER, BPCER] of the rule "bona fide <=> score passes t" on one score; a missing (NaN) score never passes. */
export function errorRatesAt(bonaFide: readonly number[], attacks: readonly number[], end: BonaFideEnd, t: number): [number, number] {
  const passes = (v: number): boolean => (end === 'high' ? v >= t : v <= t);
  const passed = (vs: readonly number[]): number => vs.filter(passes).length / vs.length;
  return [passed(attacks), 1 - passed(bonaFide)];
}

/** The DET curve of one score: [APCER, BPCER] at every threshold, from the strictest (nothing passes) to the most lenient. */
export function detCurve(bonaFide: readonly number[], attacks: readonly number[], end: BonaFideEnd): Array<[apcer: number, bpcer: number]> {
  const thresholds = [...new Set([...bonaFide, ...attacks].filter(Number.isFinite))].sort((a, b) => (end === 'high' ? b - a : a - b));
  return [[0, 1], ...thresholds.map((t) => errorRatesAt(bonaFide, attacks, end, t))];
}

/** The equal error rate of a DET curve, as the smallest max(APCER, BPCER) over its points (0 when a threshold separates the two). */
export function equalErrorRate(curve: ReadonlyArray<readonly [number, number]>): number {
  return Math.min(...curve.map(([a, b]) => Math.max(a, b)));
}

export function reasonCounts(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) for (const r of o.reasons) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

export type Mode = LivenessOperationMode;
