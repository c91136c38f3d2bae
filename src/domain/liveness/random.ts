/** Uniform draws from an injected random byte source (challenges, light sequences). Pure. */

export type RandomBytes = (size: number) => Uint8Array;

/** Uniform integer in [0, n) from the random source, without modulo bias. */
export function randomIndex(n: number, random: RandomBytes): number {
  const limit = Math.floor(256 / n) * n;
  for (;;) {
    const b = random(1)[0];
    if (b === undefined) throw new Error('random source returned no bytes');
    if (b < limit) return b % n;
  }
}
