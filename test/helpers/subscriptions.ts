/**
 * GraphQL subscriptions as a browser client makes them: graphql-ws's own client (what Apollo
 * Client's GraphQLWsLink wraps) over `ws`, to a test server's /graphql. A Subscription hands out
 * its messages one at a time; waiting for one has a generous limit that only guards against a
 * hang (it is never the thing a test asserts).
 */
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** How long a test waits for an expected message before failing instead of hanging. */
export const HANG_GUARD_MS = 60_000;

export type Message<T> = FormattedExecutionResult<T, unknown>;

/** The ws:// URL of an http:// GraphQL endpoint. */
export const wsUrl = (httpUrl: string): string => httpUrl.replace(/^http/, 'ws');

/** A graphql-ws client: no retries (a refused connection must fail the test), no lazy close delay. */
export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazyCloseTimeout: 0,
  });
}

/** Rejects after `ms` with a message naming what was awaited: a hang guard, not a timing assertion. */
function guard<T>(promise: Promise<T>, what: string, ms = HANG_GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms (hang guard)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Subscription<T> {
  private readonly iterator: AsyncIterableIterator<FormattedExecutionResult<T, unknown>>;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.iterator = client.iterate<T, unknown>({ query, variables });
  }

  /** The next message; rejects with the server's errors (an `error` message) or the CloseEvent (a refused socket). */
  async next(): Promise<Message<T>> {
    const result = await guard(this.iterator.next(), 'subscription message');
    if (result.done) throw new Error('the subscription completed');
    return result.value;
  }

  /** Resolves true when the server completes the subscription next (no further message). */
  async completes(): Promise<boolean> {
    const result = await guard(this.iterator.next(), 'subscription completion');
    return result.done === true;
  }

  /** The reason the subscription failed: the error messages or the close event. */
  async failure(): Promise<unknown> {
    try {
      const message = await this.next();
      return { unexpectedMessage: message };
    } catch (err) {
      return err;
    }
  }

  /** Completes it from the client's side. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
