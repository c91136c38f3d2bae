/** The HTTP status of each kind of error, for facegraph's own HTTP routes (the liveness client API, session images). */
import type { ErrorKind } from '../../domain/errors.js';

export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  'quota-exceeded': 403,
  'rate-limited': 429,
  'unsupported-media-type': 415,
  unavailable: 503,
  'bad-gateway': 502,
  'gateway-timeout': 504,
};
