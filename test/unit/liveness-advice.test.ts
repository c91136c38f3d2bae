/** captureAdvice: what an uncertain attempt tells the user to fix; nothing for spoofs or realface. */
import { describe, expect, it } from 'vitest';
import { captureAdvice } from '../../src/domain/liveness/advice.js';
import { REASONS } from '../../src/domain/liveness/decision.js';

describe('captureAdvice', () => {
  it('turns the fixable reasons of an uncertain attempt into advice, once each, in the order of the reasons', () => {
    expect(captureAdvice('uncertain', ['LIGHT_TOO_DARK', 'FACE_TOO_SMALL', 'LIGHT_FACE_TOO_FAR', 'TOO_FEW_USABLE_FRAMES'])).toEqual([
      'MORE_LIGHT',
      'MOVE_CLOSER',
    ]);
    expect(captureAdvice('uncertain', ['MULTIPLE_FACES'])).toEqual(['ONE_FACE_ONLY']);
    expect(captureAdvice('uncertain', ['LIGHT_TOO_BRIGHT', 'LOW_QUALITY'])).toEqual(['LESS_LIGHT', 'CLEARER_PICTURES']);
    expect(captureAdvice('uncertain', ['NO_FACE', 'LIGHT_UNJUDGEABLE'])).toEqual(['KEEP_FACE_IN_VIEW']);
  });

  it('gives none for a spoof, even with fixable reasons beside the spoof reason, nor for realface', () => {
    expect(captureAdvice('spoofface', ['LIGHT_SEQUENCE_MISMATCH', 'FACE_TOO_SMALL'])).toEqual([]);
    expect(captureAdvice('realface', [])).toEqual([]);
    expect(captureAdvice(null, ['LIGHT_TOO_DARK'])).toEqual([]);
  });

  it('never turns a spoof reason into advice, whatever the decision says', () => {
    const spoofReasons = Object.entries(REASONS)
      .filter(([, d]) => d === 'spoofface')
      .map(([r]) => r);
    expect(spoofReasons.length).toBeGreaterThan(5);
    expect(captureAdvice('uncertain', spoofReasons)).toEqual([]);
  });
});
