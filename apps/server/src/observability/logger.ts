// pino options shared by the server and tests. Redaction is by path: credentials never reach a log line.
import type { FastifyServerOptions } from 'fastify';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  // Provider credentials (docs/api.md §12): the PUT /v1/providers body's key, and the key they are encrypted under.
  'api_key',
  '*.api_key',
  'encryptionKey',
  '*.encryptionKey',
  'previousEncryptionKeys',
  '*.previousEncryptionKeys',
  'token',
  '*.token',
  'csrf_token',
  '*.csrf_token',
  'sessionSecret',
  '*.sessionSecret',
  'metricsToken',
  '*.metricsToken',
];

export function loggerOptions(level: string): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only what helps an operator; never headers (they carry credentials).
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: req.url,
        id: req.id,
      }),
    },
  };
}
