/**
 * Structured JSON logs (pino) on stdout. Never log image bytes, base64 or API keys. A line
 * logged while a request is being served carries its `requestId` (platform/request-context.ts),
 * whichever logger or child logger wrote it.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentRequestId } from './request-context.js';

export type Logger = PinoLogger;

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'facegraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers["ocp-apim-subscription-key"]', '*.base64'], censor: '[redacted]' },
    // A requestId given in the log call itself wins over the context's (pino merges the call's object last).
    mixin: (): Record<string, string> => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
