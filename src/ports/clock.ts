/** Time as the services see it: injectable so tests can move it (TTLs, token expiry, purges). */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
