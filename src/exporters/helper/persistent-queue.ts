/**
 * Persistent sending queue (`sending_queue.storage: file_storage/<name>`): the in-memory QueueSender's behaviour,
 * but batches live in a segment log on disk (persistent-queue-log.ts) so a restart, a crash or kill -9 loses
 * nothing that was acknowledged upstream.
 *
 * Contract
 * - `consume(md)` encodes the batch with our OTLP protobuf codec, appends it (length + CRC32 framing) and resolves
 *   only once it is written and, with file_storage `fsync: true`, fdatasynced. Concurrent consumes share one write
 *   and one fdatasync (group commit). Full queue (`queue_size` batches on disk): backpressure error, or wait when
 *   `blocking`. A write failure (disk full...) rejects with a retryable error and nothing half-written remains.
 * - `num_consumers` workers send records in order of arrival (completions may be out of order) with
 *   retry_on_failure. The acknowledged position (cursor) advances over the contiguous prefix of finished records;
 *   segments wholly before it are deleted. Permanently rejected records are counted as failed and acknowledged.
 * - `start()` replays what the previous run left: every record after the cursor is queued again.
 * - At-least-once: a record sent successfully whose acknowledgement did not reach the cursor before the process died
 *   (it finished out of order behind a slower one, or the process was killed between the server's answer and the
 *   cursor write) is sent again after restart. Such records (dispatched before the crash: before the persisted
 *   dispatch mark) are counted in `otelbridge_exporter_queue_redelivered_metric_points` when resent.
 * - `shutdown(deadline)`: stops taking new records and stops retrying at once, lets attempts already on the wire
 *   finish until the deadline, then cancels them; whatever was not acknowledged stays on disk for the next start.
 */
import type { CreateSettings } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import { encodeExportMetricsRequest } from '../../codec/otlp/index.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';
import type { QueueDir, StorageExtension } from '../../extensions/filestorage/extension.ts';
import type { QueueConfig, RetryConfig } from './config.ts';
import { exporterQueueInstruments, type ExporterQueueInstruments } from './queue-metrics.ts';
import { withRetry } from './retry.ts';
import { SegmentLog, frame, type LogRecord, type Position } from './persistent-queue-log.ts';

export type SendEncodedFn = (payload: Uint8Array, points: number, signal: AbortSignal) => Promise<void>;

interface Entry {
  rec: LogRecord;
  done: boolean;
  maybeDelivered: boolean;
}

interface PendingAppend {
  framed: Buffer;
  points: number;
  length: number;
  resolve: (r: LogRecord) => void;
  reject: (e: unknown) => void;
}

export class PersistentQueueSender {
  private readonly settings: CreateSettings;
  private readonly queue: QueueConfig;
  private readonly retry: RetryConfig;
  private readonly storage: StorageExtension;
  private readonly send: SendEncodedFn;
  private dir: QueueDir | undefined;
  private log: SegmentLog | undefined;
  /** Records in log order; `window[base..]` are not yet acknowledged, `window[next]` is the next to dispatch. */
  private window: Entry[] = [];
  private base = 0;
  private next = 0;
  private appending = 0;
  private appendQueue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private readonly waiters: (() => void)[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  /** Aborted when shutdown starts: no new attempt, no more waiting between retries. */
  private readonly stop = new AbortController();
  /** Aborted at the shutdown deadline: cancels the attempts still in flight. */
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private closed = false;
  private inFlight = 0;
  private lastAckEnd: Position | undefined;
  private replayed = { batches: 0, points: 0, maybeDelivered: 0 };
  private readonly metrics: ExporterQueueInstruments;
  private readonly redelivered;

  constructor(settings: CreateSettings, queue: QueueConfig, retry: RetryConfig, storage: StorageExtension, send: SendEncodedFn) {
    this.settings = settings;
    this.queue = queue;
    this.retry = retry;
    this.storage = storage;
    this.send = send;
    this.metrics = exporterQueueInstruments(settings.telemetry, () => this.size, queue.queue_size);
    this.redelivered = settings.telemetry.counter('otelbridge_exporter_queue_redelivered_metric_points', 'Points sent again after a restart because their acknowledgement was not persisted (at-least-once duplicates).', '{datapoints}');
  }

  get size(): number {
    return this.window.length - this.base;
  }

  async start(): Promise<void> {
    this.dir = await this.storage.openQueueDir('exporter', this.settings.id);
    this.log = new SegmentLog(this.dir.path, this.storage.fsync);
    let report;
    try {
      report = await this.log.open();
    } catch (err) {
      this.dir.release();
      throw new Error(`cannot open persistent queue in "${this.dir.path}": ${(err as Error).message}`, { cause: err });
    }
    for (const rec of report.records) {
      const maybe = this.replayed.batches < report.maybeDelivered;
      this.window.push({ rec, done: false, maybeDelivered: maybe });
      this.replayed.batches++;
      this.replayed.points += rec.points;
    }
    this.replayed.maybeDelivered = report.maybeDelivered;
    const log = this.settings.logger;
    if (report.tornBytes > 0) log.warn({ dir: this.dir.path, bytes: report.tornBytes }, 'persistent queue: cut off a record torn by a crash (it had not been acknowledged upstream)');
    if (report.lostBytes > 0) log.error({ dir: this.dir.path, bytes: report.lostBytes }, 'persistent queue: corrupt data skipped');
    if (report.records.length > 0) {
      log.info({ dir: this.dir.path, batches: this.replayed.batches, dataPoints: this.replayed.points, maybeAlreadyDelivered: report.maybeDelivered }, 'persistent queue: replaying batches left by the previous run');
    }
    for (let i = 0; i < this.queue.num_consumers; i++) this.workers.push(this.work());
  }

  async consume(md: MetricsData): Promise<void> {
    const points = countDataPoints(md);
    const stopped = () => PipelineError.retryable('OB_EXPORTER_STOPPED', `exporter ${this.settings.id} is shutting down`);
    if (this.closed || !this.log) throw stopped();
    while (this.size + this.appending >= this.queue.queue_size) {
      if (!this.queue.blocking) {
        this.metrics.enqueueFailed.add(points, { reason: 'queue_full' });
        throw PipelineError.backpressure('OB_QUEUE_FULL', `persistent sending queue of exporter ${this.settings.id} is full (queue_size=${this.queue.queue_size} batches); retry later or raise sending_queue.queue_size`);
      }
      await new Promise<void>((r) => this.spaceWaiters.push(r));
      if (this.closed) throw stopped();
    }
    const payload = md.encoded ?? encodeExportMetricsRequest(md);
    this.appending++;
    let rec: LogRecord;
    try {
      rec = await new Promise<LogRecord>((resolve, reject) => {
        this.appendQueue.push({ framed: frame(points, payload), points, length: payload.length, resolve, reject });
        this.flushing ??= this.flush();
      });
    } catch (err) {
      this.metrics.enqueueFailed.add(points, { reason: 'write_failed' });
      throw PipelineError.retryable('OB_QUEUE_WRITE', `cannot write to the persistent queue of exporter ${this.settings.id}: ${(err as Error).message}`, err);
    } finally {
      this.appending--;
    }
    this.window.push({ rec, done: false, maybeDelivered: false });
    this.waiters.shift()?.();
  }

  /** Group commit: every append queued while a write is in progress goes into the next single write + fsync. */
  private async flush(): Promise<void> {
    while (this.appendQueue.length > 0) {
      const group = this.appendQueue;
      this.appendQueue = [];
      try {
        const recs = await this.log!.append(group.map((g) => g.framed), group.map((g) => g.points), group.map((g) => g.length));
        group.forEach((g, i) => g.resolve(recs[i]!));
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.flushing = undefined;
  }

  private take(): Entry | undefined {
    if (this.closed || this.next >= this.window.length) return undefined;
    return this.window[this.next++];
  }

  private async work(): Promise<void> {
    for (;;) {
      const e = this.take();
      if (e === undefined) {
        if (this.closed) return;
        await new Promise<void>((r) => this.waiters.push(r));
        continue;
      }
      this.log!.markDispatched({ seg: e.rec.pos.seg, off: e.rec.end });
      this.inFlight++;
      try {
        await this.deliver(e);
      } finally {
        this.inFlight--;
      }
      if (this.stop.signal.aborted) return;
    }
  }

  private async deliver(e: Entry): Promise<void> {
    let payload: Uint8Array;
    try {
      payload = await this.log!.read(e.rec);
    } catch (err) {
      this.metrics.failed.add(e.rec.points, { reason: 'corrupt_record' });
      this.settings.logger.error({ err: (err as Error).message }, 'persistent queue: unreadable record dropped');
      return this.ack(e);
    }
    const signal = this.abort.signal;
    try {
      await withRetry(this.retry, this.stop.signal, () => this.send(payload, e.rec.points, signal), (err, wait) =>
        this.settings.logger.warn({ err: err.message, retryInMs: Math.round(wait) }, 'export failed, will retry (batch kept on disk)'),
      );
    } catch (err) {
      if (this.stop.signal.aborted) return; // shutting down: the record stays on disk and is sent after the next start
      const pe = PipelineError.from(err);
      this.metrics.failed.add(e.rec.points, { reason: pe.code });
      this.settings.logger.error({ err: pe.message, code: pe.code, dataPoints: e.rec.points }, 'export failed, data dropped');
      return this.ack(e);
    }
    this.metrics.sent.add(e.rec.points);
    if (e.maybeDelivered) this.redelivered.add(e.rec.points);
    this.ack(e);
  }

  /** Marks a record finished and commits the contiguous finished prefix. */
  private ack(e: Entry): void {
    e.done = true;
    const from = this.base;
    while (this.base < this.window.length && this.window[this.base]!.done) {
      const r = this.window[this.base]!.rec;
      this.lastAckEnd = { seg: r.pos.seg, off: r.end };
      this.window[this.base++] = undefined as never;
    }
    const n = this.base - from;
    if (n === 0) return;
    const head = this.window[this.base];
    this.log!.commit(head ? head.rec.pos : this.lastAckEnd!);
    if (this.base > 1024 && this.base * 2 > this.window.length) {
      this.window.splice(0, this.base);
      this.next -= this.base;
      this.base = 0;
    }
    for (let i = 0; i < n; i++) this.spaceWaiters.shift()?.();
  }

  async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    this.stop.abort();
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const w of this.waiters.splice(0)) w();
    const timer = setTimeout(() => this.abort.abort(), Math.max(0, deadlineMs - Date.now()));
    await Promise.allSettled(this.workers);
    clearTimeout(timer);
    this.abort.abort();
    await this.flushing;
    await this.log?.close();
    this.dir?.release();
    if (this.size > 0) this.settings.logger.info({ batches: this.size }, 'persistent queue: unsent batches kept on disk for the next start');
  }

  status(): Record<string, unknown> {
    return {
      queue: 'persistent',
      directory: this.dir?.path,
      queueSize: this.size,
      queueCapacity: this.queue.queue_size,
      inFlight: this.inFlight,
      consumers: this.queue.num_consumers,
      segments: this.log?.segmentCount ?? 0,
      replayedAtStart: this.replayed,
    };
  }
}
