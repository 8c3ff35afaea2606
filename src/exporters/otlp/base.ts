/**
 * What the `otlp` (gRPC) and `otlphttp` exporters share: the exporterhelper chain
 *   consume -> [sending_queue.batch] -> sending queue (in memory, or persistent through a file_storage extension) -> retry_on_failure
 *   -> one attempt bounded by `timeout` -> transport
 * plus auth lookup and partial-success accounting.
 *
 * Contract
 * - `consume` resolves once the batch is queued (in memory or fsynced on disk) or, with the queue disabled, sent.
 * - A partial success from the server is not retried (spec): its rejected points are counted in
 *   `otelcol_exporter_send_failed_metric_points{reason="partial_success"}` and logged at most once per 10 s (with the
 *   number of suppressed answers). The batch otherwise counts as sent.
 * - The transport classifies failures (classify.ts); the retry loop honours Retry-After / RetryInfo.
 * - Shutdown: the in-memory queue drains for up to 5 s; the persistent queue stops at once (unsent data stays on
 *   disk and is sent after the next start).
 */
import type { CreateSettings, ExporterComponent, Host } from '../../component/component.ts';
import type { ConsumeContext } from '../../consumer/consumer.ts';
import type { ExportMetricsPartialSuccess } from '../../codec/otlp/index.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';
import { clientAuthenticator, type ClientAuthenticator } from '../../component/auth.ts';
import type { AuthRef } from '../../receivers/otlp/config.ts';
import type { QueueConfig, RetryConfig } from '../helper/config.ts';
import { QueueSender } from '../helper/queue-sender.ts';
import { BatchingSender, type QueueingSender } from '../helper/batch-sender.ts';
import { PersistentQueueSender } from '../helper/persistent-queue.ts';
import { storageExtension } from '../../extensions/filestorage/extension.ts';

export interface ExportTransport {
  /** Where data goes, for logs and the status page (no credentials). */
  readonly target: string;
  start(auth: ClientAuthenticator | undefined): Promise<void>;
  /** One attempt: resolves with the server's partial success (zeros when full success); rejects with a PipelineError. */
  send(body: Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<ExportMetricsPartialSuccess>;
  close(): Promise<void>;
}

export interface CommonExporterConfig {
  timeout: number;
  retry_on_failure: RetryConfig;
  sending_queue: QueueConfig;
  auth?: AuthRef | undefined;
}

export interface Codec {
  /** MetricsData -> request body in the wire encoding. */
  encode(md: MetricsData): Uint8Array;
  /** True when `encode` returns `md.encoded` whenever it is set (never reading the objects then). */
  readonly sendsEncoded: boolean;
  /** Persistent-queue record (OTLP protobuf) -> request body in the wire encoding. */
  fromStored(protobuf: Uint8Array): Uint8Array;
}

const DRAIN_MS = 5000;
const PARTIAL_LOG_INTERVAL_MS = 10_000;

export class OtlpExporterBase implements ExporterComponent {
  readonly mutatesData = false;
  /** See Consumer.usesEncodedOnly: protobuf exporters send the received bytes and never read the objects. */
  readonly usesEncodedOnly: boolean;
  private readonly settings: CreateSettings;
  private readonly cfg: CommonExporterConfig;
  private readonly transport: ExportTransport;
  private readonly codec: Codec;
  private sender: QueueingSender | undefined;
  /** The `sending_queue.batch` stage in front of the queue, when configured. */
  private batching: BatchingSender | undefined;
  private readonly failed;
  private lastPartialLog = 0;
  private suppressedPartials = 0;
  private lastError: { at: string; message: string } | undefined;

  constructor(settings: CreateSettings, cfg: CommonExporterConfig, transport: ExportTransport, codec: Codec) {
    this.settings = settings;
    this.cfg = cfg;
    this.transport = transport;
    this.codec = codec;
    this.usesEncodedOnly = codec.sendsEncoded;
    this.failed = settings.telemetry.counter('otelcol_exporter_send_failed_metric_points', 'Number of metric points in failed attempts to send to destination.', '{datapoints}');
  }

  async start(host: Host): Promise<void> {
    const who = `exporter ${this.settings.id}`;
    const auth = this.cfg.auth ? clientAuthenticator(host, this.cfg.auth.authenticator, `${who} auth`) : undefined;
    await this.transport.start(auth);
    const q = this.cfg.sending_queue;
    if (q.enabled && q.storage !== undefined) {
      const storage = storageExtension(host, q.storage, `${who} sending_queue.storage`);
      const pq = new PersistentQueueSender(this.settings, q, this.cfg.retry_on_failure, storage, (bytes, points, signal) => this.sendBody(this.codec.fromStored(bytes), points, signal));
      await pq.start();
      this.sender = pq;
    } else {
      const qs = new QueueSender(this.settings, q, this.cfg.retry_on_failure, (md, signal) => this.sendBody(this.codec.encode(md), countDataPoints(md), signal));
      qs.start();
      this.sender = qs;
    }
    if (q.enabled && q.batch !== undefined) this.sender = this.batching = new BatchingSender(q.batch, this.sender);
    this.settings.logger.info({ endpoint: this.transport.target, queue: q.enabled ? (q.storage ?? 'memory') : 'disabled' }, 'OTLP exporter started');
  }

  async consume(md: MetricsData, _ctx: ConsumeContext): Promise<void> {
    if (!this.sender) throw new Error(`exporter ${this.settings.id} is not started`);
    return this.sender.consume(md);
  }

  private async sendBody(body: Uint8Array, points: number, signal: AbortSignal): Promise<void> {
    let ps: ExportMetricsPartialSuccess;
    try {
      ps = await this.transport.send(body, this.cfg.timeout, signal);
    } catch (err) {
      this.lastError = { at: new Date().toISOString(), message: (err as Error).message };
      throw err;
    }
    if (ps.rejectedDataPoints > 0 || ps.errorMessage !== '') this.partial(ps, points);
  }

  private partial(ps: ExportMetricsPartialSuccess, points: number): void {
    if (ps.rejectedDataPoints > 0) this.failed.add(ps.rejectedDataPoints, { reason: 'partial_success' });
    const now = Date.now();
    if (now - this.lastPartialLog < PARTIAL_LOG_INTERVAL_MS) {
      this.suppressedPartials++;
      return;
    }
    this.settings.logger.warn(
      { endpoint: this.transport.target, rejected: ps.rejectedDataPoints, sent: points, message: ps.errorMessage, suppressedSinceLastLog: this.suppressedPartials },
      ps.rejectedDataPoints > 0 ? 'partial success: the server rejected some data points (not retried)' : 'the server answered with a warning',
    );
    this.lastPartialLog = now;
    this.suppressedPartials = 0;
  }

  /** Pipeline drain before shutdown: pending exporter-side batches go to the queue at once from now on. */
  prepareShutdown(): void {
    this.batching?.flushNow();
  }

  async shutdown(): Promise<void> {
    const s = this.sender;
    this.sender = undefined;
    if (s) await s.shutdown(Date.now() + DRAIN_MS);
    await this.transport.close();
  }

  status(): Record<string, unknown> {
    return { endpoint: this.transport.target, ...(this.sender?.status() ?? {}), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }
}
