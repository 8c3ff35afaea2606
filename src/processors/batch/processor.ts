/**
 * `batch` processor (Collector options and defaults): groups data into batches of `send_batch_size` data points or
 * whatever arrived within `timeout`, splits above `send_batch_max_size`, and keeps separate batches per distinct
 * values of `metadata_keys` (e.g. a tenant header), up to `metadata_cardinality_limit` of them.
 * Unlike the Collector's, `consume` resolves only when the batch holding the data has been accepted downstream, so
 * errors and backpressure reach the receiver and nothing acknowledged is lost in this processor.
 * Hot path: parts are kept as they came and merged at flush; lazily decoded OTLP parts are merged as bytes (see
 * consumer/batcher.ts, shared with the exporters' sending_queue.batch), so OTLP in -> batch -> OTLP out never builds
 * objects; points are counted in O(1) for those.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import type { CreateSettings, ProcessorComponent, ProcessorFactory } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import type { ConsumeContext, Consumer } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import { Batcher } from '../../consumer/batcher.ts';
import type { MetricsData } from '../../model/types.ts';
import { processorCounters } from '../helper.ts';

export const batchSchema = z
  .strictObject({
    send_batch_size: z.number().int().min(0).default(8192),
    send_batch_max_size: z.number().int().min(0).default(0),
    timeout: duration('200ms'),
    metadata_keys: z.array(z.string()).default([]),
    metadata_cardinality_limit: z.number().int().min(0).default(1000),
  })
  .superRefine((c, ctx) => {
    if (c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size) {
      ctx.addIssue({ code: 'custom', path: ['send_batch_max_size'], message: `send_batch_max_size (${c.send_batch_max_size}) must be 0 or at least send_batch_size (${c.send_batch_size})` });
    }
  });
export type BatchConfig = z.output<typeof batchSchema>;

class BatchProcessor implements ProcessorComponent {
  readonly mutatesData = true;
  /** Keeps MetricsData.encoded right: concatenated for merged batches, dropped for split ones. */
  readonly preservesEncoding = true;
  private readonly cfg: BatchConfig;
  private readonly next: Consumer;
  private readonly batcher: Batcher;
  private readonly counters;
  private closed = false;

  constructor(settings: CreateSettings, cfg: BatchConfig, next: Consumer) {
    this.cfg = cfg;
    this.next = next;
    this.counters = processorCounters(settings);
    const t = settings.telemetry;
    const sizeTrigger = t.counter('otelcol_processor_batch_batch_size_trigger_send', 'Number of times the batch was sent due to a size trigger');
    const timeoutTrigger = t.counter('otelcol_processor_batch_timeout_trigger_send', 'Number of times the batch was sent due to a timeout trigger');
    this.batcher = new Batcher(
      { minSize: cfg.send_batch_size, maxSize: cfg.send_batch_max_size, timeoutMs: cfg.timeout },
      (md, n, ctx) => this.send(md, n, ctx),
      (trigger) => (trigger === 'size' ? sizeTrigger : timeoutTrigger).add(1),
    );
  }

  /** Batching reads no objects (a split does, but lazily decoded data decodes itself): as the next consumer. */
  get usesEncodedOnly(): boolean {
    return this.next.usesEncodedOnly === true;
  }

  async start(): Promise<void> {}

  private keyOf(ctx: ConsumeContext): string {
    if (this.cfg.metadata_keys.length === 0) return '';
    return JSON.stringify(this.cfg.metadata_keys.map((k) => ctx.metadata?.get(k.toLowerCase()) ?? []));
  }

  consume(md: MetricsData, ctx: ConsumeContext): Promise<void> {
    if (this.closed) return Promise.reject(PipelineError.retryable('OB_PROCESSOR_STOPPED', 'batch processor is shutting down'));
    const points = countDataPoints(md);
    this.counters.incoming.add(points, { otel_signal: 'metrics' });
    const key = this.keyOf(ctx);
    if (this.cfg.metadata_keys.length > 0 && this.cfg.metadata_cardinality_limit > 0 && !this.batcher.has(key) && this.batcher.pendingBatches >= this.cfg.metadata_cardinality_limit) {
      this.counters.dropped.add(points, { reason: 'metadata_cardinality_limit' });
      return Promise.reject(PipelineError.permanent('OB_BATCH_CARDINALITY', `too many distinct metadata values for metadata_keys (limit ${this.cfg.metadata_cardinality_limit})`, points));
    }
    return this.batcher.add(md, points, ctx, key);
  }

  private async send(md: MetricsData, n: number, ctx: ConsumeContext): Promise<void> {
    this.counters.outgoing.add(n, { otel_signal: 'metrics' });
    await this.next.consume(md, ctx);
  }

  /** Every batch goes out at once from now on (the pipeline drains before shutdown). */
  prepareShutdown(): void {
    this.batcher.flushEveryAdd();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    await this.batcher.drain();
  }

  status(): Record<string, unknown> {
    return { pendingBatches: this.batcher.pendingBatches, pendingPoints: this.batcher.pendingPoints };
  }
}

export const batchFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  configSchema: batchSchema,
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};
