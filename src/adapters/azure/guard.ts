/**
 * Tiny shape guards for the JSON the upstream returns. Everything from the network is `unknown`
 * until a guard has checked it; a guard returns a fresh value holding only the fields it knows
 * (unknown fields are dropped, so nothing unexpected travels further), or throws WireShapeError
 * naming the first path that is wrong.
 *
 * Hand-written rather than a schema library: the Azure shapes are few and small, and the
 * combinators below are all they need (no new dependency).
 */

export class WireShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}`);
    this.name = 'WireShapeError';
  }
}

export type Guard<T> = (value: unknown, path: string) => T;

/** A guard whose field may be absent (or null, which Azure uses for "no value"). */
export interface OptionalGuard<T> extends Guard<T | undefined> {
  readonly optional: true;
}

export const string: Guard<string> = (v, path) => {
  if (typeof v !== 'string') throw new WireShapeError(path, 'a string');
  return v;
};

export const number: Guard<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireShapeError(path, 'a finite number');
  return v;
};

export const integer: Guard<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new WireShapeError(path, 'an integer');
  return v;
};

export const boolean: Guard<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new WireShapeError(path, 'a boolean');
  return v;
};

/** One of a closed set of string values (Azure's enums). */
export function oneOf<const T extends readonly string[]>(values: T): Guard<T[number]> {
  const set: ReadonlySet<string> = new Set(values);
  return (v, path) => {
    if (typeof v !== 'string' || !set.has(v)) throw new WireShapeError(path, `one of ${values.join(', ')}`);
    return v;
  };
}

export function arrayOf<T>(item: Guard<T>): Guard<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new WireShapeError(path, 'an array');
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

export function optional<T>(inner: Guard<T>): OptionalGuard<T> {
  const g = (v: unknown, path: string): T | undefined => (v === undefined || v === null ? undefined : inner(v, path));
  return Object.assign(g, { optional: true as const });
}

type Shape = Record<string, Guard<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalGuard<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalGuard<unknown> ? K : never }[keyof S];
type Out<G> = G extends Guard<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Out<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Out<S[K]>, undefined> };

export function object<S extends Shape>(shape: S): Guard<ObjectOf<S>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WireShapeError(path, 'an object');
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, guard] of Object.entries(shape)) {
      const value = guard(src[key], `${path}.${key}`);
      // Absent optional fields stay absent rather than becoming `key: undefined`.
      if (value !== undefined) out[key] = value;
    }
    return out as ObjectOf<S>;
  };
}

/** Runs a guard on a parsed JSON body; the root path is `$`. */
export function check<T>(guard: Guard<T>, value: unknown): T {
  return guard(value, '$');
}
