/**
 * Self-metrics of an exporter's sending queue (in-memory QueueSender and PersistentQueueSender), with the names,
 * descriptions and units of the Collector's exporterhelper: sent / send_failed / enqueue_failed metric points
 * (counters) and queue_size / queue_capacity in batches (gauges read at collection time).
 * Register once per queue, in its constructor.
 */
import type { ComponentTelemetry, CounterHandle } from '../../telemetry/component-telemetry.ts';

export interface ExporterQueueInstruments {
  /** Points the destination accepted. */
  readonly sent: CounterHandle;
  /** Points given up on, `{reason}`. */
  readonly failed: CounterHandle;
  /** Points refused at enqueue (queue full, write failure), `{reason}`. */
  readonly enqueueFailed: CounterHandle;
}

/** `size` is read at every collection; `capacity` is the configured queue_size (batches). */
export function exporterQueueInstruments(t: ComponentTelemetry, size: () => number, capacity: number): ExporterQueueInstruments {
  const sent = t.counter('otelcol_exporter_sent_metric_points', 'Number of metric points successfully sent to destination.', '{datapoints}');
  const failed = t.counter('otelcol_exporter_send_failed_metric_points', 'Number of metric points in failed attempts to send to destination.', '{datapoints}');
  const enqueueFailed = t.counter('otelcol_exporter_enqueue_failed_metric_points', 'Number of metric points failed to be added to the sending queue.', '{datapoints}');
  t.gauge('otelcol_exporter_queue_size', 'Current size of the retry queue (in batches).', size, '{batches}');
  t.gauge('otelcol_exporter_queue_capacity', 'Fixed capacity of the retry queue (in batches).', () => capacity, '{batches}');
  return { sent, failed, enqueueFailed };
}
