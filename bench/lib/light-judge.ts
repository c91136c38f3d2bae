/**
 * The light challenge's product side as bench:liveness uses it: measureLightSample, judgeLight and
 * LIGHT_THRESHOLDS (src/domain/liveness/light-sample.ts, light-check.ts, merged from branch
 * wt-light), and how a verdict joins the decision (its reason codes, as the product's decision
 * rule names them). LIGHT_IMPLEMENTATION says which implementation a run used.
 */
import type { LightOutcome } from '../../src/domain/liveness/light-check.js';
import { LIGHT_REASONS, REASONS } from '../../src/domain/liveness/decision.js';
import type { LivenessDecision } from '../../src/domain/liveness/types.js';

export {
  judgeLight,
  LIGHT_THRESHOLDS,
  type LightVerdict as LightJudgement,
  type LightOutcome,
  type LightThresholds,
} from '../../src/domain/liveness/light-check.js';
export { measureLightSample, type LightSample } from '../../src/domain/liveness/light-sample.js';

export const LIGHT_IMPLEMENTATION = "the product's (src/domain/liveness/light-sample.ts, light-check.ts)";

/** The decision reason a light outcome adds, and what it implies (null: the light check passed): the product's rule. */
function lightReason(outcome: LightOutcome): { reason: string; decision: Exclude<LivenessDecision, 'realface'> } | null {
  if (outcome === 'REFLECTED') return null;
  const reason = LIGHT_REASONS[outcome];
  return { reason, decision: REASONS[reason] };
}

/** A motion decision joined with the light check's outcome: spoof over uncertain over realface. */
export function withLight(
  decision: LivenessDecision,
  reasons: readonly string[],
  outcome: LightOutcome,
): { decision: LivenessDecision; reasons: string[] } {
  const r = lightReason(outcome);
  if (!r) return { decision, reasons: [...reasons] };
  const joined: LivenessDecision = decision === 'spoofface' || r.decision === 'spoofface' ? 'spoofface' : 'uncertain';
  return { decision: joined, reasons: [...reasons, r.reason] };
}
