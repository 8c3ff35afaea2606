/**
 * What both transports do with a decoded request: drop invalid points (partial success), push the rest into the
 * pipeline through ReceiverObs, and turn a pipeline failure into the status both protocols need.
 *
 * Contract
 * - When `lazy` (the pipelines only forward `encoded`, e.g. OTLP in -> batch -> OTLP out), the transports decode
 *   protobuf requests lazily (codec/otlp/proto-scan.ts): they are passed on without building their objects; the
 *   scan already established that no point is invalid. Otherwise they decode at once, as before.
 * - `exportMetrics` resolves with the partial-success to answer (undefined = full success) or rejects with a
 *   PipelineError (already counted as refused by ReceiverObs). An empty request (no resource metrics, or nothing
 *   left after dropping invalid points) is answered as success without touching the pipeline, as the spec allows.
 * - `failureFor(err)` maps a PipelineError to HTTP status + gRPC code + retry delay: backpressure -> 429 /
 *   RESOURCE_EXHAUSTED, retryable -> 503 / UNAVAILABLE (both with Retry-After / RetryInfo, default 1 s, so that
 *   clients treat RESOURCE_EXHAUSTED as retryable), permanent -> 400 / INVALID_ARGUMENT.
 */
import type { CreateSettings } from '../../component/component.ts';
import { PipelineError, httpStatusFor } from '../../component/errors.ts';
import type { ConsumeContext, Consumer } from '../../consumer/consumer.ts';
import type { ExportMetricsPartialSuccess } from '../../codec/otlp/index.ts';
import { lazyState, resourceCount } from '../../model/lazy.ts';
import type { MetricsData } from '../../model/types.ts';
import { ReceiverObs } from '../helper.ts';
import { dropInvalidPoints, rejectionMessage, type Rejection } from './validate.ts';
import type { Transport } from './instruments.ts';

/** google.rpc.Code values used here. */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface Failure {
  httpStatus: number;
  grpcCode: number;
  message: string;
  /** Seconds, for Retry-After / RetryInfo; undefined when the client must not retry. */
  retryAfter: number | undefined;
}

export function failureFor(err: PipelineError): Failure {
  const httpStatus = httpStatusFor(err);
  switch (err.errorClass) {
    case 'backpressure':
      return { httpStatus, grpcCode: GrpcCode.RESOURCE_EXHAUSTED, message: err.message, retryAfter: Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1)) };
    case 'retryable':
      return { httpStatus, grpcCode: GrpcCode.UNAVAILABLE, message: err.message, retryAfter: Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1)) };
    default:
      return { httpStatus, grpcCode: GrpcCode.INVALID_ARGUMENT, message: err.message, retryAfter: undefined };
  }
}

const NOTHING_REJECTED: Rejection = Object.freeze({ rejected: 0, reasons: [] });

export class ExportHandler {
  private readonly next: Consumer;
  private readonly obs: ReceiverObs;
  private readonly settings: CreateSettings;
  private lastPartialLog = 0;

  constructor(settings: CreateSettings, next: Consumer) {
    this.settings = settings;
    this.next = next;
    this.obs = new ReceiverObs(settings);
  }

  /** Whether protobuf requests may go on undecoded (nothing downstream reads the objects; see Consumer). */
  get lazy(): boolean {
    return this.next.usesEncodedOnly === true;
  }

  async exportMetrics(md: MetricsData, transport: Transport, metadata: ReadonlyMap<string, readonly string[]> | undefined): Promise<ExportMetricsPartialSuccess | undefined> {
    if (resourceCount(md) === 0) return undefined;
    // A lazy MetricsData was scanned: nothing in it is invalid, and validating would build its objects.
    const rej = lazyState(md) !== undefined ? NOTHING_REJECTED : dropInvalidPoints(md);
    let partial: ExportMetricsPartialSuccess | undefined;
    if (rej.rejected > 0) {
      md.encoded = undefined; // the data changed: the received bytes no longer describe it
      partial = { rejectedDataPoints: rej.rejected, errorMessage: rejectionMessage(rej) };
      this.obs.rejected(rej.rejected, transport, 'invalid_data_point');
      const now = Date.now();
      if (now - this.lastPartialLog >= 10_000) {
        this.lastPartialLog = now;
        this.settings.logger.warn({ transport, rejected: rej.rejected, reason: partial.errorMessage }, 'rejected invalid data points (partial success; logged at most every 10 s)');
      }
      if (!hasMetrics(md)) return partial;
    }
    const ctx: ConsumeContext = metadata === undefined ? { receiver: this.settings.id } : { receiver: this.settings.id, metadata };
    await this.obs.push(this.next, md, ctx, transport);
    return partial;
  }
}

function hasMetrics(md: MetricsData): boolean {
  for (const rm of md.resourceMetrics) for (const sm of rm.scopeMetrics) if (sm.metrics.length > 0) return true;
  return false;
}

export { PipelineError };
