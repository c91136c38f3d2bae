/** Structured JSON logs (pino) on stdout. Never log image bytes, base64 or API keys. */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'facegraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers["ocp-apim-subscription-key"]', '*.base64'], censor: '[redacted]' },
  });
}
