/**
 * Mutation payloads (`{ ...result, userErrors }`): a FaceError about the caller's input becomes
 * the payload's one userError, with `field` the input path it concerns; the service's own
 * failures (OVERLOADED, UPSTREAM_*) stay GraphQL errors with `extensions.code`.
 */
import { FaceError, type ErrorCode } from '../../domain/errors.js';
import { rethrow } from './errors.js';

export interface UserError {
  code: ErrorCode;
  message: string;
  field: string[] | null;
}

/** The input path of an error: `details.field` when set, else `input.<details.argument>`, else `fallback`. */
function fieldOf(err: FaceError, fallback: string[] | null): string[] | null {
  const { field, argument } = err.details;
  if (Array.isArray(field) && field.every((p) => typeof p === 'string')) return field;
  if (typeof argument === 'string' && argument !== '') return ['input', ...argument.split('.')];
  return fallback;
}

export async function payload<T extends object>(
  run: () => Promise<T> | T,
  empty: { [K in keyof T]: null },
  fallbackField: string[] | null = ['input'],
): Promise<(T | { [K in keyof T]: null }) & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (err) {
    // RATE_LIMITED (a spent pixel budget) is retryable like the service's failures: an error, not a userError.
    if (err instanceof FaceError && !err.isInfrastructure && err.code !== 'RATE_LIMITED') {
      return { ...empty, userErrors: [{ code: err.code, message: err.message, field: fieldOf(err, fallbackField) }] };
    }
    return rethrow(err);
  }
}
