/**
 * What an edge tells the server's request metrics about the response it wrote: the error code
 * it answered (REST: Azure's code and facegraph's inner code; liveness client API: its code).
 * api/server.ts reads it back when the response is finished (facegraph_errors_total).
 */
import type { Response } from 'express';

export interface AnsweredError {
  code: string;
  /** facegraph's own code when the answer's code is another vocabulary's (Azure's); '' if none. */
  innerCode: string;
}

const KEY = 'facegraphAnsweredError';

export function noteAnsweredError(res: Response, code: string, innerCode = ''): void {
  res.locals[KEY] = { code, innerCode } satisfies AnsweredError;
}

export function answeredError(res: Response): AnsweredError | undefined {
  return res.locals[KEY] as AnsweredError | undefined;
}
