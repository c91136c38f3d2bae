/**
 * Evaluation for bench/liveness.ts: attempts (windows) built from analysed sequences, run through
 * decideAttempt in both modes, and counted in ISO/IEC 30107-3 terms. Pure (no engine, no I/O).
 *
 * Challenge issuance in PassiveActive (the same rule for bona fide and attack presentations):
 * each attempt is decided under every one of the 106 challenges createChallenge can issue
 * (ALL_ACTIVE_SEQUENCES; ~1 ms per decideAttempt: exact, no sampling needed), and counts as
 * ACCEPTED if ANY of them yields realface. For an attack that is the attacker's best
 * case (the challenge their motion happens to perform); for a bona fide window it is the
 * challenge the performer's real motion performs (he does not follow our instructions).
 * The acceptance under RANDOM issuance (the attacker cannot choose: the share of the 106
 * challenges that accept) is reported as well: the real-world figure for a pre-recorded video.
 *
 * The light check (light-judge.ts) joins each decision when the attempt carries light evidence
 * (a lit attempt: the light window's samples, paired with a motion window, liveness-light.ts);
 * motion thresholds are passed in (the bench tunes them on one time part and reports on the
 * other), the light thresholds are the shipped LIGHT_THRESHOLDS.
 */
import { ALL_ACTIVE_SEQUENCES, STEP_TIMEOUT_MS, evaluateChallenge } from '../../src/domain/liveness/challenge.js';
import {
  decideAttempt,
  flatnessMeasures,
  frameStatus,
  identityMeasures,
  LIVENESS_THRESHOLDS,
  motionResidual,
  type LivenessThresholds,
} from '../../src/domain/liveness/decision.js';
import type { Challenge, DecisionResult, FrameAnalysis, LivenessDecision, LivenessOperationMode } from '../../src/domain/liveness/types.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { judgeLight, LIGHT_THRESHOLDS, withLight, type LightJudgement, type LightSample, type LightThresholds } from './light-judge.js';
import { digestOf, FPS, PARTS, type CapturedFrame, type Sequence } from './liveness-data.js';

export interface WindowConfig {
  name: string;
  /** Frames in the attempt. */
  count: number;
  /** Take every `stride`-th frame of the 10 fps sequence. */
  stride: number;
}

/**
 * 2 s at 10 fps (20 frames), 2 s at 5 fps (10 frames). (The 3 s window the bench used before the
 * time split does not fit in one half of the 4.3 s close-up.)
 */
export const WINDOW_CONFIGS: readonly WindowConfig[] = [
  { name: '20 frames @10 fps (2 s)', count: 20, stride: 1 },
  { name: '10 frames @5 fps (2 s)', count: 10, stride: 2 },
];

/**
 * (f) the recording replayed on a second screen lit by the capture screen's flashes (glare);
 * (g) a genuine lit recording submitted for a session that issued another sequence;
 * (h) the recording with no reflection at all (injected, or a screen in a dark corner).
 */
export type Species = 'genuine' | 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';

/** Which time segment of the footage an attempt comes from: thresholds are tuned on one, reported on the other. */
export type Part = 'tune' | 'held';

/** The light challenge's evidence: one sample per frame, and the sequence the session issued. */
export interface LightEvidence {
  samples: LightSample[];
  issued: LightFlash[];
}

export interface Attempt {
  id: string;
  species: Species;
  variant: string;
  config: string;
  frames: FrameAnalysis[];
  digest: string;
  previousDigests: ReadonlySet<string>;
  part: Part;
  /**
   * Light evidence (lit attempts only: the samples of the part's light window, which is not `frames`,
   * see liveness-light.ts); null: no light rendered, the light check is taken as passed (worst case).
   */
  light: LightEvidence | null;
}

export const spanOf = (c: WindowConfig): number => (c.count - 1) * c.stride + 1;

function window(frames: readonly CapturedFrame[], start: number, c: WindowConfig): CapturedFrame[] {
  return Array.from({ length: c.count }, (_, i) => frames[start + i * c.stride]!);
}

/** Analyses with client timestamps (ms since the first frame) for frames taken at `stride` / FPS intervals. */
export function timed(frames: readonly CapturedFrame[], c: WindowConfig): FrameAnalysis[] {
  return frames.map((f, i) => ({ ...f.analysis, t: Math.round((i * c.stride * 1000) / FPS) }));
}

function attempt(id: string, species: Species, variant: string, c: WindowConfig, frames: CapturedFrame[], part: Part): Attempt {
  return {
    id,
    species,
    variant,
    config: c.name,
    frames: timed(frames, c),
    digest: digestOf(frames),
    previousDigests: new Set(),
    part,
    light: null,
  };
}

export interface Attempts {
  genuine: Attempt[];
  attacks: Attempt[];
}

/**
 * Per part (PARTS: close-up frame ranges):
 * bona fide: every window of the part's close-up frames (all starts, each config);
 * (a), (b), (c1): one attempt per config from the start of each 3 s sequence, in the part of its source frame;
 * (c2): sliding windows like the genuine ones, on the screen-replayed video, inside the part;
 * (d): the first half of a genuine window of the part (first, middle and last start per config)
 *      then another person's frames, and the reverse order; each other person belongs to one part;
 * (e): each genuine window again, its digest already seen.
 */
export function buildAttempts(closeup: Sequence, attacks: readonly Sequence[], others: readonly Sequence[]): Attempts {
  const genuine: Attempt[] = [];
  const out: Attempt[] = [];
  for (const [part, range] of Object.entries(PARTS) as Array<[Part, { first: number; end: number }]>) {
    for (const c of WINDOW_CONFIGS) {
      const span = spanOf(c);
      const starts: number[] = [];
      for (let s = range.first; s + span <= range.end; s++) starts.push(s);
      for (const s of starts) {
        genuine.push(attempt(`genuine/${c.count}f/s${s}`, 'genuine', 'clip close-up', c, window(closeup.frames, s, c), part));
      }
      for (const seq of attacks) {
        if (seq.id.startsWith('c2')) {
          for (const s of starts)
            out.push(attempt(`${seq.id}/${c.count}f/s${s}`, seq.kind, seq.variant, c, window(seq.frames, s, c), part));
        } else if (seq.part === part && span <= seq.frames.length) {
          out.push(attempt(`${seq.id}/${c.count}f/s0`, seq.kind, seq.variant, c, window(seq.frames, 0, c), part));
        }
      }
      if (starts.length === 0) continue;
      const genuineStarts = [...new Set([starts[0]!, starts[Math.floor(starts.length / 2)]!, starts[starts.length - 1]!])];
      const half = Math.ceil(c.count / 2);
      for (const other of others.filter((o) => o.part === part)) {
        for (const s of genuineStarts) {
          const g = window(closeup.frames, s, c);
          const o = other.frames.slice(0, c.count - half);
          out.push(attempt(`d/${other.id}/${c.count}f/s${s}`, 'd', `${other.variant} after genuine`, c, [...g.slice(0, half), ...o], part));
          const o2 = other.frames.slice(0, half);
          out.push(
            attempt(`d-rev/${other.id}/${c.count}f/s${s}`, 'd', `${other.variant} before genuine`, c, [...o2, ...g.slice(half)], part),
          );
        }
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

/** One mode's result for an attempt, motion-only or with the light check joined. */
export interface ModeResult {
  passive: Outcome;
  /** PassiveActive under each of the 106 challenges, in ALL_ACTIVE_SEQUENCES order. */
  active: Outcome[];
  /** Accepted (realface) under at least one challenge: the presenter's best case. */
  activeBest: LivenessDecision;
  /** Challenges (joined step names) under which the attempt was accepted. */
  activeAccepted: string[];
  /** Share of the 106 challenges that accept it: the acceptance probability under random issuance. */
  activeRandom: number;
}

export interface AttemptResult extends ModeResult {
  attempt: Attempt;
  /** The same with the light check joined (equal to the motion-only result when the attempt has no light evidence). */
  lit: ModeResult;
  light: LightJudgement | null;
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

function modeResult(passive: Outcome, active: Outcome[]): ModeResult {
  const accepted = active.flatMap((o, i) => (o.decision === 'realface' ? [challengeName(ALL_ACTIVE_SEQUENCES[i]!)] : []));
  // Best case for the presenter: realface if any; else spoofface only if every challenge says so.
  const activeBest: LivenessDecision = accepted.length
    ? 'realface'
    : active.every((o) => o.decision === 'spoofface')
      ? 'spoofface'
      : 'uncertain';
  return { passive, active, activeBest, activeAccepted: accepted, activeRandom: accepted.length / active.length };
}

/**
 * Decides an attempt in both modes, motion-only and with the light check. The footage is too short
 * for the product's order (light first, then the steps from stepsStartMs): the motion is decided on
 * the attempt's frames (a motion window, stepsStartMs = 0) and the light judged on its light
 * evidence (a separate light window of the same part, liveness-light.ts), then joined (withLight).
 */
export function evaluate(
  a: Attempt,
  th: LivenessThresholds = LIVENESS_THRESHOLDS,
  lightTh: LightThresholds = LIGHT_THRESHOLDS,
): AttemptResult {
  const base = { frames: a.frames, digest: a.digest, previousDigests: a.previousDigests };
  const light = a.light ? judgeLight(a.light.samples, a.light.issued, lightTh) : null;
  const passive = outcome(
    decideAttempt(
      {
        ...base,
        mode: 'Passive',
        challenge: { nonce: 'bench', light: [], steps: [], stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS },
      },
      th,
    ),
  );
  const active = ALL_ACTIVE_SEQUENCES.map((steps) => {
    const challenge: Challenge = { nonce: 'bench', light: [], steps: [...steps], stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS };
    return outcome(decideAttempt({ ...base, mode: 'PassiveActive', challenge }, th));
  });
  const join = (o: Outcome): Outcome => (light ? { ...o, ...withLight(o.decision, o.reasons, light.outcome) } : o);
  return {
    attempt: a,
    ...modeResult(passive, active),
    lit: modeResult(join(passive), active.map(join)),
    light,
    performable: performable(a),
  };
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

/** The Wilson score interval of k successes in n trials (95 % by default): [low, high]. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [Number.NaN, Number.NaN];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const finite = (vs: readonly number[]): number[] => vs.filter(Number.isFinite);
const midpoint = (bonaFideEdge: number, attackEdge: number, fallback: number): number =>
  Number.isFinite(bonaFideEdge) && Number.isFinite(attackEdge) ? Math.round(((bonaFideEdge + attackEdge) / 2) * 1000) / 1000 : fallback;

export interface TunedThreshold {
  name: string;
  shipped: number;
  tuned: number;
  bonaFideEdge: number;
  attackEdge: number;
}

/**
 * The decision's data-fitted thresholds re-derived on the TUNING part only, by the rule the shipped
 * ones were set with (the midpoint between the bona fide edge and the attacks' edge):
 *   flatResidual          min bona fide flatness (turn >= 15°) ↔ max flat-PAI flatness at the yaw extremes;
 *   motionLiveResidual    min bona fide live motion ↔ max flat-PAI live motion (a, b, c1);
 *   identitySplitDistance max bona fide split distance ↔ min identity-switch split distance.
 * The rest are not fitted to this footage (challenge angles, quality gates, the verify threshold)
 * or do not change an accept (motionSpoofResidual only splits spoof from uncertain; it is capped
 * at the tuned motionLiveResidual).
 */
export function tuneMotionThresholds(
  tuning: ReadonlyArray<{ species: Species; variant: string; raw: RawMeasures }>,
  shipped: LivenessThresholds = LIVENESS_THRESHOLDS,
): { thresholds: LivenessThresholds; table: TunedThreshold[] } {
  const bona = tuning.filter((a) => a.species === 'genuine');
  const flat = tuning.filter((a) => a.species === 'a' || a.species === 'b' || a.variant.startsWith('screen still'));
  const switches = tuning.filter((a) => a.species === 'd');
  const min = (vs: number[]): number => (vs.length ? Math.min(...vs) : Number.NaN);
  const max = (vs: number[]): number => (vs.length ? Math.max(...vs) : Number.NaN);
  const row = (name: keyof LivenessThresholds, bonaFideEdge: number, attackEdge: number): TunedThreshold => ({
    name,
    shipped: shipped[name],
    tuned: midpoint(bonaFideEdge, attackEdge, shipped[name]),
    bonaFideEdge,
    attackEdge,
  });
  const table = [
    row('flatResidual', min(finite(bona.map((a) => a.raw.flatnessGated))), max(finite(flat.map((a) => a.raw.flatnessAtExtremes)))),
    row('motionLiveResidual', min(finite(bona.map((a) => a.raw.motion))), max(finite(flat.map((a) => a.raw.motion)))),
    row('identitySplitDistance', max(finite(bona.map((a) => a.raw.identitySplit))), min(finite(switches.map((a) => a.raw.identitySplit)))),
  ];
  const thresholds: Record<string, number> = { ...shipped };
  for (const r of table) thresholds[r.name] = r.tuned;
  thresholds.motionSpoofResidual = Math.min(shipped.motionSpoofResidual, thresholds.motionLiveResidual!);
  return { thresholds: Object.freeze(thresholds) as LivenessThresholds, table };
}

/**
 * The light check's score threshold chosen on the TUNING part: the value minimising
 * max(BPCER, worst APCER over the light attacks) of the score alone (the equal-error point), i.e.
 * the check's other outcomes (too dark, too far...) aside. Returns the threshold and its rates on
 * the tuning part.
 */
export function tuneLightScore(
  bonaFide: readonly number[],
  attacks: ReadonlyArray<readonly number[]>,
  fallback: number,
): { minScore: number; bpcer: number; apcer: number } {
  const candidates = [...new Set(finite([...bonaFide, ...attacks.flat()]))].sort((a, b) => a - b);
  let best = { minScore: fallback, bpcer: Number.NaN, apcer: Number.NaN, worst: Infinity };
  for (const [i, t] of candidates.entries()) {
    // Cut halfway between this score and the one below (the rule passes score >= t).
    const cut = i === 0 ? t : (t + candidates[i - 1]!) / 2;
    const [, b] = errorRatesAt(bonaFide, [], 'high', cut);
    const a = Math.max(...attacks.map((as) => errorRatesAt([], as, 'high', cut)[0]));
    const worst = Math.max(a, b);
    if (worst < best.worst) best = { minScore: Math.round(cut * 1000) / 1000, bpcer: b, apcer: a, worst };
  }
  return { minScore: best.minScore, bpcer: best.bpcer, apcer: best.apcer };
}
