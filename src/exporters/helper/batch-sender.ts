/**
 * The exporters' `sending_queue.batch` (the Collector's exporterhelper batching, `sizer: items`): data points from
 * consecutive `consume` calls are merged into one request of at least `min_size` points, or whatever arrived within
 * `flush_timeout`, and split above `max_size`, before they enter the sending queue (in memory or persistent).
 *
 *   sending_queue:
 *     batch: {flush_timeout: 200ms, min_size: 8192, max_size: 0}   # max_size 0 = no split
 *
 * Contract
 * - `consume` resolves once the request holding the data is in the queue (fsynced, with a persistent queue), so what
 *   a client saw accepted is never held only in the batcher; a full queue rejects every caller of that request.
 * - Shutdown sends what is pending into the queue first, then shuts the queue down.
 * - OTLP input that nothing decoded stays undecoded: requests are merged as bytes (consumer/batcher.ts).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { Batcher } from '../../consumer/batcher.ts';
import { EMPTY_CONTEXT } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';

export const exportBatchSchema = z
  .strictObject({
    flush_timeout: duration('200ms'),
    min_size: z.number().int().min(0).default(8192),
    max_size: z.number().int().min(0).default(0),
    /** Only `items` (data points): the Collector's `bytes` / `requests` sizers are not supported here. */
    sizer: z.literal('items', { error: 'sending_queue.batch.sizer: only "items" (data points) is supported' }).default('items'),
  })
  .superRefine((c, ctx) => {
    if (c.max_size > 0 && c.max_size < c.min_size) {
      ctx.addIssue({ code: 'custom', path: ['max_size'], message: `max_size (${c.max_size}) must be 0 or at least min_size (${c.min_size})` });
    }
  });
export type ExportBatchConfig = z.output<typeof exportBatchSchema>;

export interface QueueingSender {
  consume(md: MetricsData): Promise<void>;
  shutdown(deadlineMs: number): Promise<void>;
  status(): Record<string, unknown>;
}

export class BatchingSender implements QueueingSender {
  private readonly batcher: Batcher;
  private readonly inner: QueueingSender;

  constructor(cfg: ExportBatchConfig, inner: QueueingSender) {
    this.inner = inner;
    this.batcher = new Batcher({ minSize: cfg.min_size, maxSize: cfg.max_size, timeoutMs: cfg.flush_timeout }, (md) => inner.consume(md));
  }

  consume(md: MetricsData): Promise<void> {
    return this.batcher.add(md, countDataPoints(md), EMPTY_CONTEXT);
  }

  /** Pending batches go now, and every later consume goes at once (the pipeline is draining). */
  flushNow(): void {
    this.batcher.flushEveryAdd();
  }

  async shutdown(deadlineMs: number): Promise<void> {
    this.batcher.flushEveryAdd();
    await this.batcher.drain();
    await this.inner.shutdown(deadlineMs);
  }

  status(): Record<string, unknown> {
    return { ...this.inner.status(), batch: { pendingPoints: this.batcher.pendingPoints } };
  }
}
