/**
 * The request a piece of code runs for, carried across awaits by AsyncLocalStorage: the logger
 * adds its `requestId` to every line logged while a request is being served, however deep.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) as part of the request `context`. */
export function runInRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request's id, if code is running for one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
