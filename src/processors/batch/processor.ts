/**
 * `batch` processor (Collector options and defaults): groups data into batches of `send_batch_size` data points or
 * whatever arrived within `timeout`, splits above `send_batch_max_size`, and keeps separate batches per distinct
 * values of `metadata_keys` (e.g. a tenant header), up to `metadata_cardinality_limit` of them.
 * Unlike the Collector's, `consume` resolves only when the batch holding the data has been accepted downstream, so
 * errors and backpressure reach the receiver and nothing acknowledged is lost in this processor.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import type { CreateSettings, ProcessorComponent, ProcessorFactory } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import type { ConsumeContext, Consumer } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import { appendMetrics, splitByPoints } from '../../model/split.ts';
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

interface Pending {
  md: MetricsData;
  points: number;
  ctx: ConsumeContext;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
  timer: NodeJS.Timeout | undefined;
  /** Received encodings of every part, in order, while all parts had one (protobuf messages concatenate). */
  encodedParts: Uint8Array[] | undefined;
}

class BatchProcessor implements ProcessorComponent {
  readonly mutatesData = true;
  /** Keeps MetricsData.encoded right: concatenated for merged batches, dropped for split ones. */
  readonly preservesEncoding = true;
  private readonly cfg: BatchConfig;
  private readonly next: Consumer;
  private readonly pending = new Map<string, Pending>();
  private readonly counters;
  private readonly sizeTrigger;
  private readonly timeoutTrigger;
  private closed = false;
  /** Set by prepareShutdown: every batch goes out at once. */
  private draining = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(settings: CreateSettings, cfg: BatchConfig, next: Consumer) {
    this.cfg = cfg;
    this.next = next;
    this.counters = processorCounters(settings);
    const t = settings.telemetry;
    this.sizeTrigger = t.counter('otelcol_processor_batch_batch_size_trigger_send', 'Number of times the batch was sent due to a size trigger');
    this.timeoutTrigger = t.counter('otelcol_processor_batch_timeout_trigger_send', 'Number of times the batch was sent due to a timeout trigger');
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
    let p = this.pending.get(key);
    if (!p) {
      if (this.cfg.metadata_keys.length > 0 && this.cfg.metadata_cardinality_limit > 0 && this.pending.size >= this.cfg.metadata_cardinality_limit) {
        this.counters.dropped.add(points, { reason: 'metadata_cardinality_limit' });
        return Promise.reject(PipelineError.permanent('OB_BATCH_CARDINALITY', `too many distinct metadata values for metadata_keys (limit ${this.cfg.metadata_cardinality_limit})`, points));
      }
      p = { md: { resourceMetrics: [] }, points: 0, ctx, waiters: [], timer: undefined, encodedParts: [] };
      this.pending.set(key, p);
    }
    appendMetrics(p.md, md);
    if (md.encoded !== undefined && p.encodedParts !== undefined) p.encodedParts.push(md.encoded);
    else p.encodedParts = undefined;
    p.points += points;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    if (this.draining || this.cfg.send_batch_size === 0 || p.points >= this.cfg.send_batch_size) {
      this.sizeTrigger.add(1);
      this.flush(key);
    } else if (!p.timer) {
      p.timer = setTimeout(() => {
        this.timeoutTrigger.add(1);
        this.flush(key);
      }, this.cfg.timeout);
    }
    return done;
  }

  private flush(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    const sends: Promise<void>[] = [];
    const max = this.cfg.send_batch_max_size;
    if (max > 0 && p.points > max) {
      let left = p.points;
      while (left > 0) {
        const part = splitByPoints(p.md, max);
        const n = countDataPoints(part);
        left -= Math.max(n, 1);
        if (part.resourceMetrics.length === 0) break;
        sends.push(this.send(part, n, p.ctx));
      }
    } else {
      const parts = p.encodedParts;
      if (parts !== undefined && parts.length > 0) p.md.encoded = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      sends.push(this.send(p.md, p.points, p.ctx));
    }
    const all = Promise.all(sends).then(
      () => p.waiters.forEach((w) => w.resolve()),
      (err) => p.waiters.forEach((w) => w.reject(err)),
    );
    this.inflight.add(all);
    void all.finally(() => this.inflight.delete(all));
  }

  private async send(md: MetricsData, n: number, ctx: ConsumeContext): Promise<void> {
    this.counters.outgoing.add(n, { otel_signal: 'metrics' });
    await this.next.consume(md, ctx);
  }

  prepareShutdown(): void {
    this.draining = true;
    for (const key of [...this.pending.keys()]) this.flush(key);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const key of [...this.pending.keys()]) this.flush(key);
    await Promise.allSettled([...this.inflight]);
  }

  status(): Record<string, unknown> {
    let points = 0;
    for (const p of this.pending.values()) points += p.points;
    return { pendingBatches: this.pending.size, pendingPoints: points };
  }
}

export const batchFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  configSchema: batchSchema,
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};
