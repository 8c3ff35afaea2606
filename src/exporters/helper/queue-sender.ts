/**
 * In-memory sending queue (the Collector's sending_queue without storage): a bounded FIFO of batches drained by
 * `num_consumers` workers that call `send` with retry. When full it refuses with a backpressure error
 * (the receiver answers 429 / RESOURCE_EXHAUSTED), or waits when `blocking`. Shutdown stops accepting, lets workers
 * drain what is queued until the deadline, then aborts retries; what could not be sent is counted as failed.
 * Contract: `consume` resolves once the batch is queued (not sent); with the queue disabled it resolves when sent.
 */
import { PipelineError } from '../../component/errors.ts';
import type { CreateSettings } from '../../component/component.ts';
import type { MetricsData } from '../../model/types.ts';
import { countDataPoints } from '../../model/count.ts';
import type { QueueConfig, RetryConfig } from './config.ts';
import { exporterQueueInstruments, type ExporterQueueInstruments } from './queue-metrics.ts';
import { withRetry } from './retry.ts';

interface Item {
  md: MetricsData;
  points: number;
}

export type SendFn = (md: MetricsData, signal: AbortSignal) => Promise<void>;

export class QueueSender {
  private readonly items: Item[] = [];
  private head = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private closed = false;
  private workers: Promise<void>[] = [];
  private inFlight = 0;
  private readonly settings: CreateSettings;
  private readonly queue: QueueConfig;
  private readonly retry: RetryConfig;
  private readonly send: SendFn;
  private readonly metrics: ExporterQueueInstruments;

  constructor(settings: CreateSettings, queue: QueueConfig, retry: RetryConfig, send: SendFn) {
    this.settings = settings;
    this.queue = queue;
    this.retry = retry;
    this.send = send;
    this.metrics = exporterQueueInstruments(settings.telemetry, () => this.size, queue.queue_size);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  start(): void {
    if (!this.queue.enabled) return;
    for (let i = 0; i < this.queue.num_consumers; i++) this.workers.push(this.work());
  }

  async consume(md: MetricsData): Promise<void> {
    const points = countDataPoints(md);
    if (this.closed) throw PipelineError.retryable('OB_EXPORTER_STOPPED', `exporter ${this.settings.id} is shutting down`);
    if (!this.queue.enabled) return this.sendOne({ md, points });
    while (this.size >= this.queue.queue_size) {
      if (!this.queue.blocking) {
        this.metrics.enqueueFailed.add(points, { reason: 'queue_full' });
        throw PipelineError.backpressure('OB_QUEUE_FULL', `sending queue of exporter ${this.settings.id} is full (queue_size=${this.queue.queue_size} batches); retry later or raise sending_queue.queue_size`);
      }
      await new Promise<void>((r) => this.spaceWaiters.push(r));
      if (this.closed) throw PipelineError.retryable('OB_EXPORTER_STOPPED', `exporter ${this.settings.id} is shutting down`);
    }
    this.items.push({ md, points });
    this.waiters.shift()?.();
  }

  private take(): Item | undefined {
    if (this.head >= this.items.length) return undefined;
    const it = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.spaceWaiters.shift()?.();
    return it;
  }

  private async work(): Promise<void> {
    for (;;) {
      const it = this.take();
      if (it === undefined) {
        if (this.closed) return;
        await new Promise<void>((r) => this.waiters.push(r));
        continue;
      }
      try {
        await this.sendOne(it);
      } catch {
        // counted in sendOne
      }
    }
  }

  private async sendOne(it: Item): Promise<void> {
    this.inFlight++;
    try {
      await withRetry(this.retry, this.abort.signal, () => this.send(it.md, this.abort.signal), (err, wait) =>
        this.settings.logger.warn({ err: err.message, retryInMs: Math.round(wait) }, 'export failed, will retry'),
      );
      this.metrics.sent.add(it.points);
    } catch (err) {
      const e = PipelineError.from(err);
      this.metrics.failed.add(it.points, { reason: e.code });
      this.settings.logger.error({ err: e.message, code: e.code, dataPoints: it.points }, 'export failed, data dropped');
      throw e;
    } finally {
      this.inFlight--;
    }
  }

  /** Stops accepting; drains until `deadline` (ms epoch), then aborts retries. Unsent batches are counted as failed. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const w of this.waiters.splice(0)) w();
    const timer = setTimeout(() => this.abort.abort(), Math.max(0, deadlineMs - Date.now()));
    await Promise.allSettled(this.workers);
    clearTimeout(timer);
    let lost = 0;
    for (let it = this.take(); it; it = this.take()) lost += it.points;
    if (lost > 0) {
      this.metrics.failed.add(lost, { reason: 'shutdown' });
      this.settings.logger.error({ dataPoints: lost }, 'exporter stopped with unsent data in its in-memory queue (use sending_queue.storage for a persistent queue)');
    }
  }

  status(): Record<string, unknown> {
    return { queueSize: this.size, queueCapacity: this.queue.queue_size, inFlight: this.inFlight, consumers: this.queue.num_consumers };
  }
}
