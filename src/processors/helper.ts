/**
 * Processor helper (after the Collector's processorhelper): an author writes one function `process(md, ctx)` that
 * returns the data to pass on, or SKIP to drop the whole batch (counted, not an error). The helper counts
 * `otelcol_processor_incoming_items` / `otelcol_processor_outgoing_items` (data points, as the Collector's) and
 * dropped points by reason, and forwards to `next`.
 */
import type { Component, CreateSettings, Host, ProcessorComponent } from '../component/component.ts';
import type { ConsumeContext, Consumer } from '../consumer/consumer.ts';
import { countDataPoints } from '../model/count.ts';
import type { MetricsData } from '../model/types.ts';
import type { CounterHandle } from '../telemetry/component-telemetry.ts';

export const SKIP: unique symbol = Symbol('skip');

export interface ProcessorLogic extends Partial<Component> {
  readonly mutatesData: boolean;
  /** See Consumer.mutatesAttributes (absent: as mutatesData). */
  readonly mutatesAttributes?: boolean;
  process(md: MetricsData, ctx: ConsumeContext): MetricsData | typeof SKIP | Promise<MetricsData | typeof SKIP>;
}

export interface ProcessorCounters {
  incoming: CounterHandle;
  outgoing: CounterHandle;
  /** Data points dropped, with attribute `reason`. */
  dropped: CounterHandle;
}

export function processorCounters(settings: CreateSettings): ProcessorCounters {
  const t = settings.telemetry;
  return {
    incoming: t.counter('otelcol_processor_incoming_items', 'Number of items passed to the processor.', '{items}'),
    outgoing: t.counter('otelcol_processor_outgoing_items', 'Number of items emitted from the processor.', '{items}'),
    dropped: t.counter('otelbridge_processor_dropped_items', 'Number of data points dropped by the processor, by reason.', '{items}'),
  };
}

export function createProcessor(settings: CreateSettings, next: Consumer, logic: ProcessorLogic): ProcessorComponent {
  const c = processorCounters(settings);
  const otel = { otel_signal: 'metrics' };
  return {
    mutatesData: logic.mutatesData,
    ...(logic.mutatesAttributes === undefined ? {} : { mutatesAttributes: logic.mutatesAttributes }),
    async consume(md: MetricsData, ctx: ConsumeContext): Promise<void> {
      const n = countDataPoints(md);
      c.incoming.add(n, otel);
      const out = await logic.process(md, ctx);
      if (out === SKIP) {
        c.dropped.add(n, { reason: 'skipped' });
        return;
      }
      // Always recount: a processor may drop points in place and return the same object.
      const m = countDataPoints(out);
      c.outgoing.add(m, otel);
      if (out.resourceMetrics.length === 0) return;
      await next.consume(out, ctx);
    },
    start: (host: Host) => logic.start?.(host) ?? Promise.resolve(),
    shutdown: () => logic.shutdown?.() ?? Promise.resolve(),
    status: logic.status ? () => logic.status!() : undefined,
  } as ProcessorComponent;
}
