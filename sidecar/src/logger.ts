import pino from 'pino';

export type Logger = pino.Logger;

// Structured JSON logs. Callers never pass bodies, addresses or secrets; the redact list is a
// second line of defence for fields that might slip through.
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'retain-sidecar' },
      redact: {
        paths: ['email', '*.email', 'to', '*.to', 'secret', '*.secret', 'apiKey', '*.apiKey', 'headers.authorization', 'req.headers.authorization', 'body', '*.body'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
