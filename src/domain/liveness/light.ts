/**
 * The light challenge: a random sequence of full-screen colours the capture page shows while it
 * films. A live face in front of the screen reflects each colour as it is shown; a recording
 * replayed on another screen carries no reflection of a sequence it could not know.
 *
 * This module issues sequences. Pure apart from the injected randomness.
 *
 * Deterministic sequences (tests): after the nonce, createLightSequence reads one byte for the
 * number of flashes, then per flash one byte for its colour and one for its duration (bytes that
 * would bias a modulo are redrawn, see randomIndex).
 */
import { randomIndex, type RandomBytes } from './random.js';
import type { LightColor, LightFlash } from './types.js';

/**
 * The sRGB colour the capture page fills the screen with for each LightColor. Saturated
 * primaries and secondaries: far apart in chromaticity, so their reflections are told apart.
 */
export const LIGHT_RGB: Readonly<Record<LightColor, readonly [number, number, number]>> = {
  RED: [255, 0, 0],
  GREEN: [0, 255, 0],
  BLUE: [0, 0, 255],
  YELLOW: [255, 255, 0],
  MAGENTA: [255, 0, 255],
  CYAN: [0, 255, 255],
};

export const LIGHT_COLORS = Object.keys(LIGHT_RGB) as LightColor[];

/** Flashes per sequence, inclusive. */
export const LIGHT_FLASHES = { min: 6, max: 10 } as const;
/** Each flash lasts one of these durations (ms): long enough for 2+ frames at 6 fps plus camera lag. */
export const LIGHT_DURATIONS_MS = [300, 400, 500] as const;

/**
 * A fresh sequence: 6–10 flashes, each a random colour different from the one before (a repeat
 * would merge two flashes into one longer flash), each 300–500 ms.
 */
export function createLightSequence(random: RandomBytes): LightFlash[] {
  const count = LIGHT_FLASHES.min + randomIndex(LIGHT_FLASHES.max - LIGHT_FLASHES.min + 1, random);
  const flashes: LightFlash[] = [];
  for (let i = 0; i < count; i++) {
    const previous = flashes[i - 1]?.color;
    const choices = LIGHT_COLORS.filter((c) => c !== previous);
    const color = choices[randomIndex(choices.length, random)]!;
    const durationMs = LIGHT_DURATIONS_MS[randomIndex(LIGHT_DURATIONS_MS.length, random)]!;
    flashes.push({ color, durationMs });
  }
  return flashes;
}

/** When the sequence ends, ms after its start. */
export const lightDurationMs = (flashes: readonly LightFlash[]): number => flashes.reduce((sum, f) => sum + f.durationMs, 0);
