/**
 * What the capture page can tell the user after an `uncertain` attempt: the capture problems the
 * user can fix (too dark, too far, another face in view...), from the decision's reasons. Pure.
 *
 * Only for `uncertain` decisions: a spoof's reasons are never turned into advice (they would
 * coach an attacker), and a realface needs none. The client gets advice only where it gets the
 * decision (sessions created with sendResultsToClient).
 */
import type { ReasonCode } from './decision.js';
import type { LivenessDecision } from './types.js';

export type CaptureAdvice = 'MORE_LIGHT' | 'LESS_LIGHT' | 'MOVE_CLOSER' | 'ONE_FACE_ONLY' | 'KEEP_FACE_IN_VIEW' | 'CLEARER_PICTURES';

/** The advice each reason gives (reasons a user cannot act on give none). In the order shown. */
const ADVICE: Partial<Record<ReasonCode, CaptureAdvice>> = {
  MULTIPLE_FACES: 'ONE_FACE_ONLY',
  NO_FACE: 'KEEP_FACE_IN_VIEW',
  LIGHT_UNJUDGEABLE: 'KEEP_FACE_IN_VIEW',
  FACE_TOO_SMALL: 'MOVE_CLOSER',
  LIGHT_FACE_TOO_FAR: 'MOVE_CLOSER',
  LIGHT_TOO_DARK: 'MORE_LIGHT',
  LIGHT_TOO_BRIGHT: 'LESS_LIGHT',
  // Blur, exposure or noise: the frames do not say which, so the advice covers all three.
  LOW_QUALITY: 'CLEARER_PICTURES',
};

/** Advice for an attempt's decision and reasons: distinct, in the order of the reasons; empty unless uncertain. */
export function captureAdvice(decision: LivenessDecision | null, reasons: readonly string[]): CaptureAdvice[] {
  if (decision !== 'uncertain') return [];
  const out: CaptureAdvice[] = [];
  for (const r of reasons) {
    const a = ADVICE[r as ReasonCode];
    if (a && !out.includes(a)) out.push(a);
  }
  return out;
}
