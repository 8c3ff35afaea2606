/**
 * pino JSON logs. One root logger per process; components get children bound with `{kind, id}` so every line says
 * which component wrote it. Secrets never reach a log line: config is logged only through redactConfig().
 */
import { pino, type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createRootLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'otel-bridge', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.*'], censor: '[REDACTED]' },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export function componentLogger(root: Logger, kind: string, id: string, pipeline?: string): Logger {
  return root.child(pipeline === undefined ? { kind, id } : { kind, id, pipeline });
}
