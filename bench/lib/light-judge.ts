/**
 * The light challenge's product side as bench:liveness uses it: measureLightSample, judgeLight and
 * LIGHT_THRESHOLDS, and how a judgement joins the decision (its reason codes). Until the product
 * modules of branch wt-light are merged these come from the stand-in (light-standin.ts);
 * LIGHT_IMPLEMENTATION says which one a run used.
 */
import type { LivenessDecision } from '../../src/domain/liveness/types.js';
import type { LightOutcome } from './light-standin.js';

export {
  judgeLight,
  LIGHT_THRESHOLDS,
  measureLightSample,
  type LightJudgement,
  type LightOutcome,
  type LightSample,
  type LightThresholds,
} from './light-standin.js';

export const LIGHT_IMPLEMENTATION = 'stand-in (bench/lib/light-standin.ts; the product modules are not merged yet)';

/** The decision reason a light outcome adds, and what it implies (null: the light check passed). */
export const LIGHT_REASONS: Record<LightOutcome, { reason: string; decision: Exclude<LivenessDecision, 'realface'> } | null> = {
  REFLECTED: null,
  NOT_REFLECTED: { reason: 'LIGHT_NOT_REFLECTED', decision: 'spoofface' },
  SEQUENCE_MISMATCH: { reason: 'LIGHT_SEQUENCE_MISMATCH', decision: 'spoofface' },
  TOO_DARK: { reason: 'LIGHT_TOO_DARK', decision: 'uncertain' },
  TOO_BRIGHT: { reason: 'LIGHT_TOO_BRIGHT', decision: 'uncertain' },
  FACE_TOO_FAR: { reason: 'LIGHT_FACE_TOO_FAR', decision: 'uncertain' },
  UNJUDGEABLE: { reason: 'LIGHT_UNJUDGEABLE', decision: 'uncertain' },
};

/** A motion decision joined with the light check's outcome: spoof over uncertain over realface. */
export function withLight(
  decision: LivenessDecision,
  reasons: readonly string[],
  outcome: LightOutcome,
): { decision: LivenessDecision; reasons: string[] } {
  const r = LIGHT_REASONS[outcome];
  if (!r) return { decision, reasons: [...reasons] };
  const joined: LivenessDecision = decision === 'spoofface' || r.decision === 'spoofface' ? 'spoofface' : 'uncertain';
  return { decision: joined, reasons: [...reasons, r.reason] };
}
