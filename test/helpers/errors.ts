/** Assertion helper: a promise must reject with a FaceError of the given code. */
import { expect } from 'vitest';
import { FaceError, type ErrorCode } from '../../src/domain/errors.js';

export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<FaceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the promise to reject').toBeInstanceOf(FaceError);
  expect((err as FaceError).code, (err as FaceError).message).toBe(code);
  return err as FaceError;
}
