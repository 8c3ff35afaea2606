/**
 * Errors on the data path carry a class that receivers map to a protocol status:
 * - permanent: the data is bad and retrying will not help (HTTP 400, gRPC INVALID_ARGUMENT)
 * - retryable: a downstream failed; the client should retry (HTTP 503, gRPC UNAVAILABLE)
 * - backpressure: the gateway is full (HTTP 429, gRPC RESOURCE_EXHAUSTED), with an optional retry-after hint
 * `code` is stable and machine-readable (e.g. OB_QUEUE_FULL).
 */
export type ErrorClass = 'permanent' | 'retryable' | 'backpressure';

const RANK: Record<ErrorClass, number> = { permanent: 0, retryable: 1, backpressure: 2 };

export class PipelineError extends Error {
  readonly errorClass: ErrorClass;
  readonly code: string;
  /** Seconds the client should wait before retrying, when known. */
  readonly retryAfterSeconds: number | undefined;
  /** For partial rejections: how many data points were rejected. */
  readonly rejectedPoints: number;

  constructor(
    errorClass: ErrorClass,
    code: string,
    message: string,
    opts: { retryAfterSeconds?: number; rejectedPoints?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PipelineError';
    this.errorClass = errorClass;
    this.code = code;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.rejectedPoints = opts.rejectedPoints ?? 0;
  }

  static permanent(code: string, message: string, rejectedPoints = 0): PipelineError {
    return new PipelineError('permanent', code, message, { rejectedPoints });
  }
  static retryable(code: string, message: string, cause?: unknown): PipelineError {
    return new PipelineError('retryable', code, message, { cause });
  }
  static backpressure(code: string, message: string, retryAfterSeconds = 1): PipelineError {
    return new PipelineError('backpressure', code, message, { retryAfterSeconds });
  }
  /** Anything that is not a PipelineError is treated as a retryable internal failure. */
  static from(err: unknown): PipelineError {
    if (err instanceof PipelineError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new PipelineError('retryable', 'OB_INTERNAL', msg, { cause: err });
  }
}

export function strongestError(errors: readonly unknown[]): PipelineError {
  let best = PipelineError.from(errors[0]);
  for (let i = 1; i < errors.length; i++) {
    const e = PipelineError.from(errors[i]);
    if (RANK[e.errorClass] > RANK[best.errorClass]) best = e;
  }
  return best;
}

/** HTTP status for an error class (OTLP/HTTP rules). */
export function httpStatusFor(err: PipelineError): number {
  switch (err.errorClass) {
    case 'permanent':
      return 400;
    case 'backpressure':
      return 429;
    default:
      return 503;
  }
}
