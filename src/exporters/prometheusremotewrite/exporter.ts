/**
 * `prometheusremotewrite` exporter: OTLP model -> Prometheus series (src/translate/prometheus) -> remote-write
 * requests sharded by series (batcher.ts) -> one sequential sender per shard (lanes.ts) -> HTTP (client.ts).
 *
 * Contract
 * - Translation happens in `consume`, in call order (delta state and per-series order follow the pipeline's order).
 *   Capacity is checked BEFORE translating, so a refused batch leaves no trace and the client's retry is exact.
 * - Three delivery modes; `consume` resolves when the batch is
 *     wal set:            appended to the WAL and fdatasynced (helper/wal). Shipped from there; a record is retried
 *                         until delivered or permanently rejected; on shutdown what is unsent stays on disk.
 *                         Full (overflow: block) -> backpressure error (receivers answer 429).
 *     queue enabled:      queued in memory (at most queue_size requests; beyond -> backpressure). A shard's request
 *                         lingers open for up to `remote_write_queue.flush_interval` collecting later batches
 *                         (counted as queued from consume on). On shutdown the open requests are cut and the
 *                         queue drains for up to 5 s; the rest is counted failed{reason="shutdown"}.
 *     queue disabled:     delivered (or failed: the error is returned to the pipeline).
 * - Retries: 5xx, 429 and connection errors with exponential backoff honouring Retry-After; other 4xx are dropped at
 *   once, counted in otelcol_exporter_send_failed_metric_points{reason="OB_PRW_HTTP_<status>"} and logged with the
 *   receiver's message as is. RW 2.0: a 415 (or 2xx without `*-Written` headers) switches this exporter to RW 1.0
 *   for good and re-encodes the request in hand.
 * - Self-metrics: otelcol_exporter_sent_metric_points, otelcol_exporter_send_failed_metric_points{reason},
 *   otelcol_exporter_enqueue_failed_metric_points, otelcol_exporter_queue_size / _capacity (requests),
 *   otelbridge_exporter_prw_{sent_samples,sent_exemplars,sent_bytes,requests{status},failed_samples{reason},
 *   relabel_dropped_samples}, otelbridge_exporter_prw_wal_{bytes,backlog_bytes}.
 */
import type { CreateSettings, ExporterComponent, ExporterFactory, Host } from '../../component/component.ts';
import { PipelineError, strongestError } from '../../component/errors.ts';
import type { ConsumeContext } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';
import { clientAuthenticator } from '../../component/auth.ts';
import { compileRelabel } from '../../relabel/index.ts';
import { PrometheusTranslator } from '../../translate/prometheus/index.ts';
import type { RetryConfig } from '../helper/config.ts';
import { withRetry } from '../helper/retry.ts';
import { Wal } from '../helper/wal/index.ts';
import type { WalRecord } from '../helper/wal/index.ts';
import { ShardedEncoder, type EncodedRequest } from './batcher.ts';
import { RemoteWriteClient, UNSUPPORTED_PROTO } from './client.ts';
import { PROTO_V2, prwExporterSchema, type PrwExporterConfig } from './config.ts';
import { v2ToV1 } from './fallback.ts';
import { Lanes, type LaneJob } from './lanes.ts';

interface Job extends LaneJob {
  rec?: WalRecord;
  settle?: (err: PipelineError | undefined) => void;
}

const DRAIN_MS = 5000;
const WAL_STOP_GRACE_MS = 2000;
const RETRY_LOG_MS = 10_000;

export class PrwExporter implements ExporterComponent {
  readonly mutatesData = false;
  private readonly s: CreateSettings;
  private readonly cfg: PrwExporterConfig;
  private readonly who: string;
  private readonly translator: PrometheusTranslator;
  private readonly batcher: ShardedEncoder;
  private readonly client: RemoteWriteClient;
  private readonly retry: RetryConfig;
  private readonly shards: number;
  private lanes: Lanes<Job> | undefined;
  private wal: Wal | undefined;
  private dispatcher: Promise<void> | undefined;
  private slotWaiters: (() => void)[] = [];
  private truncateTimer: NodeJS.Timeout | undefined;
  /** Linger timer of the shards' open requests (in-memory queue with flush_interval). */
  private flushTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Aborted at shutdown in WAL mode: retries stop at once (the data stays on disk), in-flight requests may finish. */
  private readonly stopRetries = new AbortController();
  private lastError: { at: string; message: string } | undefined;
  private lastRetryLog = 0;
  private retriesNotLogged = 0;
  private readonly m;

  constructor(settings: CreateSettings, cfg: PrwExporterConfig) {
    this.s = settings;
    this.cfg = cfg;
    this.who = `exporter ${settings.id}`;
    this.shards = cfg.remote_write_queue.num_consumers;
    // A WAL record is never given up on: retries continue until delivery or a permanent rejection.
    this.retry = cfg.wal ? { ...cfg.retry_on_failure, enabled: true, max_elapsed_time: 0 } : cfg.retry_on_failure;
    this.translator = new PrometheusTranslator({
      namespace: cfg.namespace,
      addMetricSuffixes: cfg.add_metric_suffixes,
      promoteScopeMetadata: !cfg.without_scope_info,
      resourceToTelemetryConversion: cfg.resource_to_telemetry_conversion.enabled,
      externalLabels: cfg.external_labels,
      targetInfo: cfg.target_info.enabled,
      exportCreatedMetric: cfg.export_created_metric.enabled,
      deltaToCumulative: true,
      onWarning: (message) => settings.logger.debug({ message }, 'translation warning'),
    });
    const relabel = cfg.write_relabel_configs.length > 0 ? compileRelabel(cfg.write_relabel_configs) : undefined;
    this.batcher = new ShardedEncoder({ shards: this.shards, version: cfg.protobuf_message === PROTO_V2 ? 2 : 1, maxBytes: cfg.max_batch_size_bytes, sendMetadata: cfg.send_metadata, relabel });
    this.client = new RemoteWriteClient(cfg, this.who);
    const t = settings.telemetry;
    this.m = {
      sent: t.counter('otelcol_exporter_sent_metric_points', 'Number of metric points successfully sent to destination.', '{datapoints}'),
      failed: t.counter('otelcol_exporter_send_failed_metric_points', 'Number of metric points in failed attempts to send to destination.', '{datapoints}'),
      enqueueFailed: t.counter('otelcol_exporter_enqueue_failed_metric_points', 'Number of metric points failed to be added to the sending queue.', '{datapoints}'),
      samples: t.counter('otelbridge_exporter_prw_sent_samples', 'Samples delivered to the remote-write endpoint.', '{samples}'),
      exemplars: t.counter('otelbridge_exporter_prw_sent_exemplars', 'Exemplars delivered to the remote-write endpoint.', '{exemplars}'),
      bytes: t.counter('otelbridge_exporter_prw_sent_bytes', 'Compressed request bytes delivered.', 'By'),
      requests: t.counter('otelbridge_exporter_prw_requests', 'Remote-write HTTP attempts by status (or "error" for connection failures).', '{requests}'),
      failedSamples: t.counter('otelbridge_exporter_prw_failed_samples', 'Samples not delivered, by reason.', '{samples}'),
      relabelDropped: t.counter('otelbridge_exporter_prw_relabel_dropped_samples', 'Samples dropped by write_relabel_configs.', '{samples}'),
    };
    t.gauge('otelcol_exporter_queue_size', 'Requests queued or in flight (WAL: records read ahead).', () => this.lanes?.size ?? 0, '{requests}');
    t.gauge('otelcol_exporter_queue_capacity', 'Queue capacity in requests (WAL: buffer_size).', () => (cfg.wal ? cfg.wal.buffer_size : cfg.remote_write_queue.queue_size), '{requests}');
    if (cfg.wal) {
      t.gauge('otelbridge_exporter_prw_wal_bytes', 'Bytes of WAL segments on disk.', () => this.wal?.bytes ?? 0, 'By');
      t.gauge('otelbridge_exporter_prw_wal_backlog_bytes', 'WAL bytes not yet acknowledged by the receiver.', () => this.wal?.backlogBytes ?? 0, 'By');
    }
  }

  async start(host: Host): Promise<void> {
    const auth = this.cfg.auth ? clientAuthenticator(host, this.cfg.auth.authenticator, `${this.who} auth`) : undefined;
    this.client.start(auth);
    this.lanes = new Lanes<Job>((job, signal) => this.ship(job, signal), (job, err) => this.finished(job, err));
    this.lanes.ensure(this.shards);
    const w = this.cfg.wal;
    if (w) {
      this.wal = await Wal.open({
        dir: w.directory,
        who: this.who,
        logger: this.s.logger,
        maxBytes: w.max_size_bytes,
        overflow: w.overflow,
        onDropped: (records, points, samples) => {
          this.m.failed.add(points, { reason: 'wal_overflow' });
          this.m.failedSamples.add(samples, { reason: 'wal_overflow' });
          this.lastError = { at: new Date().toISOString(), message: `WAL over max_size_bytes: ${records} unsent requests dropped (overflow: drop_oldest)` };
        },
      });
      const r = this.wal.recovered;
      if (r.bytes > 0 || r.tornBytes > 0) this.s.logger.info({ directory: w.directory, segments: r.segments, bytes: r.bytes, tornBytes: r.tornBytes }, 'WAL opened: shipping what the previous run left');
      this.dispatcher = this.dispatch(this.wal);
      this.truncateTimer = setInterval(() => this.wal?.truncate(), w.truncate_frequency);
      this.truncateTimer.unref();
    }
    this.s.logger.info({ endpoint: this.client.target, protocol: this.batcher.version === 2 ? PROTO_V2 : 'prometheus.WriteRequest', shards: this.shards, queue: w ? `wal ${w.directory}` : this.cfg.remote_write_queue.enabled ? 'memory' : 'disabled' }, 'remote-write exporter started');
  }

  async consume(md: MetricsData, _ctx: ConsumeContext): Promise<void> {
    const lanes = this.lanes;
    if (!lanes || this.stopping) throw PipelineError.retryable('OB_EXPORTER_STOPPED', `${this.who} is not running`);
    const q = this.cfg.remote_write_queue;
    if (this.wal?.full() || (!this.wal && q.enabled && lanes.size + this.batcher.openCount() >= q.queue_size)) {
      const points = countDataPoints(md);
      this.m.enqueueFailed.add(points, { reason: 'queue_full' });
      throw this.wal
        ? PipelineError.backpressure('OB_WAL_FULL', `${this.who}: WAL at max_size_bytes (${this.cfg.wal!.max_size_bytes}) with overflow: block; the receiver is behind, retry later`)
        : PipelineError.backpressure('OB_QUEUE_FULL', `${this.who}: remote_write_queue is full (queue_size=${q.queue_size} requests); retry later or enable the WAL`);
    }
    const stats = this.translator.translate(md, this.batcher);
    const linger = !this.wal && q.enabled && q.flush_interval > 0;
    let reqs: EncodedRequest[];
    if (linger) {
      // The shards' open requests keep collecting until flush_interval or max_batch_size_bytes (see flushOpen).
      this.batcher.endBatch();
      reqs = this.batcher.takeRequests();
      if (this.flushTimer === undefined && this.batcher.openCount() > 0) {
        this.flushTimer = setTimeout(() => this.flushOpen(), q.flush_interval);
        this.flushTimer.unref();
      }
    } else reqs = this.batcher.finish();
    this.countTranslation(stats);
    if (reqs.length === 0) return;
    if (this.wal) {
      await this.wal.append(reqs.map((r) => ({ meta: { lane: r.shard, laneCount: this.shards, tag: r.version, points: r.points, samples: r.samples, aux: r.exemplars }, body: r.body })));
      return;
    }
    if (q.enabled) return this.enqueue(reqs);
    const results = await Promise.all(
      reqs.map(
        (r) => new Promise<PipelineError | undefined>((settle) => lanes.push({ lane: r.shard, version: r.version, body: r.body, points: r.points, samples: r.samples, exemplars: r.exemplars, settle })),
      ),
    );
    const errors = results.filter((e) => e !== undefined);
    if (errors.length > 0) throw strongestError(errors);
  }

  private countTranslation(stats: { dropped: number; droppedByReason: Record<string, number> }): void {
    if (stats.dropped > 0) for (const [reason, n] of Object.entries(stats.droppedByReason)) if (n > 0) this.m.failed.add(n, { reason });
    if (this.batcher.relabelDropped > 0) (this.m.relabelDropped.add(this.batcher.relabelDropped), (this.batcher.relabelDropped = 0));
    this.countRejected();
  }

  /** Label sets the encoders refused since the last call, counted by reason. */
  private countRejected(): void {
    for (const [reason, n] of Object.entries(this.batcher.takeRejected())) this.m.failedSamples.add(n, { reason });
  }

  private enqueue(reqs: readonly EncodedRequest[]): void {
    for (const r of reqs) this.lanes!.push({ lane: r.shard, version: r.version, body: r.body, points: r.points, samples: r.samples, exemplars: r.exemplars });
  }

  /** flush_interval elapsed (or shutdown): the shards' open requests go to the queue. */
  private flushOpen(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.batcher.cutAll();
    const reqs = this.batcher.takeRequests();
    this.countRejected();
    if (this.lanes) this.enqueue(reqs);
  }

  /** WAL mode: feeds records to the lanes, at most buffer_size in flight; a lane-count change is a barrier. */
  private async dispatch(wal: Wal): Promise<void> {
    const lanes = this.lanes!;
    const ahead = this.cfg.wal!.buffer_size;
    let laneCount = -1;
    for (;;) {
      while (lanes.size >= ahead && !this.stopping) await new Promise<void>((r) => this.slotWaiters.push(r));
      if (this.stopping) return;
      const rec = await wal.next();
      if (rec === undefined || this.stopping) return;
      if (rec.laneCount !== laneCount) {
        if (laneCount !== -1) await lanes.idle(); // records sharded another way ship only after the older ones
        laneCount = rec.laneCount;
      }
      lanes.push({ lane: rec.lane, version: rec.tag === 2 ? 2 : 1, body: rec.body, points: rec.points, samples: rec.samples, exemplars: rec.aux, rec });
    }
  }

  private async ship(job: Job, signal: AbortSignal): Promise<void> {
    await withRetry(
      this.retry,
      this.wal ? AbortSignal.any([signal, this.stopRetries.signal]) : signal,
      async () => {
        try {
          await this.client.send(job.body, job.version, signal);
          this.m.requests.add(1, { status: '2xx' });
        } catch (err) {
          const e = PipelineError.from(err);
          this.m.requests.add(1, { status: e.code.startsWith('OB_PRW_HTTP_') ? e.code.slice(12) : 'error' });
          if (e.code !== UNSUPPORTED_PROTO || job.version !== 2) throw e;
          if (this.batcher.version === 2) {
            this.batcher.setVersion(1);
            // Requests the linger held open were cut as 2.0 by the switch: queue them (each falls back like this one).
            this.enqueue(this.batcher.takeRequests());
            this.s.logger.warn({ endpoint: this.client.target, err: e.message }, 'receiver does not accept remote-write 2.0: falling back to 1.0 for good');
          }
          job.body = v2ToV1(job.body);
          job.version = 1;
          await this.client.send(job.body, 1, signal);
          this.m.requests.add(1, { status: '2xx' });
        }
      },
      (err, waitMs) => this.retryLog(err, waitMs),
    );
  }

  /** One warning per RETRY_LOG_MS while the endpoint keeps failing (an outage must not flood the logs). */
  private retryLog(err: PipelineError, waitMs: number): void {
    const now = Date.now();
    if (now - this.lastRetryLog < RETRY_LOG_MS) return void this.retriesNotLogged++;
    this.s.logger.warn({ err: err.message, retryInMs: Math.round(waitMs), retriesSinceLastLog: this.retriesNotLogged }, 'remote write failed, will retry');
    this.lastRetryLog = now;
    this.retriesNotLogged = 0;
  }

  private finished(job: Job, err: PipelineError | undefined): void {
    for (const w of this.slotWaiters.splice(0)) w();
    if (err === undefined) {
      this.m.sent.add(job.points);
      this.m.samples.add(job.samples);
      if (job.exemplars > 0) this.m.exemplars.add(job.exemplars);
      this.m.bytes.add(job.body.length);
    } else {
      this.lastError = { at: new Date().toISOString(), message: err.message };
      if (job.rec && this.stopping && err.errorClass !== 'permanent') return void job.settle?.(err); // stays in the WAL
      this.m.failed.add(job.points, { reason: err.code });
      this.m.failedSamples.add(job.samples, { reason: err.code });
      this.s.logger.error({ err: err.message, code: err.code, dataPoints: job.points, samples: job.samples }, 'remote write request dropped');
    }
    if (job.rec) this.wal?.ack(job.rec);
    job.settle?.(err);
  }

  async shutdown(): Promise<void> {
    const lanes = this.lanes;
    if (!lanes || this.stopping) return;
    this.stopping = true;
    clearInterval(this.truncateTimer);
    this.flushOpen();
    for (const w of this.slotWaiters.splice(0)) w();
    if (this.wal) {
      this.stopRetries.abort();
      await lanes.stop(Date.now() + WAL_STOP_GRACE_MS, false);
      await this.wal.close();
      await this.dispatcher;
    } else {
      const left = await lanes.stop(Date.now() + DRAIN_MS, true);
      let points = 0;
      for (const j of left) {
        points += j.points;
        this.m.failedSamples.add(j.samples, { reason: 'shutdown' });
        j.settle?.(PipelineError.retryable('OB_EXPORTER_STOPPED', `${this.who} stopped`));
      }
      if (points > 0) {
        this.m.failed.add(points, { reason: 'shutdown' });
        this.s.logger.error({ dataPoints: points }, 'exporter stopped with unsent data in its in-memory queue (set wal.directory for a durable queue)');
      }
    }
    this.client.close();
  }

  status(): Record<string, unknown> {
    const w = this.wal;
    return {
      endpoint: this.client.target,
      protocol: this.batcher.version === 2 ? PROTO_V2 : 'prometheus.WriteRequest',
      ...(this.lanes?.status() ?? {}),
      ...(w ? { wal: { directory: w.dir, bytes: w.bytes, backlogBytes: w.backlogBytes, segments: w.segmentCount, inFlight: w.inFlight, corruptSegments: w.corruptSegments } } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}

export const prwExporterFactory: ExporterFactory<PrwExporterConfig> = {
  kind: 'exporter',
  type: 'prometheusremotewrite',
  configSchema: prwExporterSchema,
  create: (settings, config) => new PrwExporter(settings, config),
};
