/**
 * `aggregate` processor: streaming aggregation (config.ts for the options, state.ts for what each output means,
 * core.ts for matching and the OTLP shape of outputs, checkpoint.ts for persistence).
 *
 * Contract
 * - Inputs pass through unless matched by a rule with `keep_input: false`; those are removed and counted in
 *   `otelbridge_processor_aggregated_items` (not as drops), except removed points that no output of their rules
 *   could use (e.g. a histogram for a rule without histogram_bucket/count_series): those count in
 *   `otelbridge_processor_dropped_items{reason="unsupported_input"}`.
 * - Points (or parts of points) an output could not take are counted in
 *   `otelbridge_processor_aggregate_ignored_items{rule, output, reason}` (rule = its index in `rules`; reasons and
 *   the output x input table in state.ts), whether or not the input is kept.
 * - Each rule flushes at wall-clock multiples of its interval (a 1m rule at hh:mm:00): the outputs go to the next
 *   consumer in their own batch (see core.ts for resources) and are counted as outgoing items. A failed delivery is
 *   logged and counted (`otelbridge_processor_aggregate_emit_failures`); cumulative outputs recover at the next
 *   flush, gauges of that interval are lost.
 * - With `directory`, the state is restored at start and checkpointed after every flush and at shutdown.
 * - Shutdown flushes every rule (a partial interval, stamped with the shutdown time), then writes the checkpoint.
 */
import type { CreateSettings, ProcessorComponent, ProcessorFactory } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import { EMPTY_CONTEXT, type ConsumeContext, type Consumer } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';
import { processorCounters } from '../helper.ts';
import { checkpointPath, readCheckpoint, restore, snapshot, writeCheckpoint } from './checkpoint.ts';
import { aggregateSchema, type AggregateConfig } from './config.ts';
import { AggregateCore } from './core.ts';
import type { OutputSeries } from './state.ts';

class AggregateProcessor implements ProcessorComponent {
  readonly mutatesData = true;
  private readonly settings: CreateSettings;
  private readonly cfg: AggregateConfig;
  private readonly next: Consumer;
  private readonly core: AggregateCore;
  private readonly counters;
  private readonly aggregated;
  private readonly emitFailures;
  private readonly ignored;
  /** Last reported values of the monotonic ignored/dropped counts (reported as deltas). */
  private readonly reported = new Map<string, number>();
  private droppedReported = 0;
  private readonly timers: (NodeJS.Timeout | undefined)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly path: string | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private flushes = 0;
  private emitted = 0;
  private lastCheckpoint: { at: string; error?: string } | undefined;

  constructor(settings: CreateSettings, cfg: AggregateConfig, next: Consumer) {
    this.settings = settings;
    this.cfg = cfg;
    this.next = next;
    this.core = new AggregateCore(cfg, Date.now());
    this.counters = processorCounters(settings);
    const t = settings.telemetry;
    this.aggregated = t.counter('otelbridge_processor_aggregated_items', 'Input data points consumed by aggregation rules with keep_input: false.', '{items}');
    this.ignored = t.counter('otelbridge_processor_aggregate_ignored_items', 'Input points (or their parts) an aggregate output could not take, by rule, output and reason.', '{items}');
    this.emitFailures = t.counter('otelbridge_processor_aggregate_emit_failures', 'Aggregate flushes whose outputs the next consumer refused.', '{flushes}');
    this.path = cfg.directory === undefined ? undefined : checkpointPath(cfg.directory, settings.id, settings.pipeline);
  }

  async start(): Promise<void> {
    if (this.path !== undefined) {
      try {
        const cp = await readCheckpoint(this.path);
        if (cp !== undefined) {
          const n = restore(cp, this.core.rules);
          this.settings.logger.info({ file: this.path, rules: n, writtenAt: new Date(cp.writtenAt).toISOString() }, 'aggregate state restored');
        }
      } catch (err) {
        this.settings.logger.error({ err: (err as Error).message }, 'cannot restore the aggregate state; starting empty');
      }
    }
    // One timer per distinct interval: rules sharing it flush together (one batch, one checkpoint write).
    const byInterval = new Map<number, number[]>();
    this.core.rules.forEach((r, i) => byInterval.set(r.rule.intervalMs, [...(byInterval.get(r.rule.intervalMs) ?? []), i]));
    let slot = 0;
    for (const [iv, indices] of byInterval) this.schedule(slot++, iv, indices);
    // dedup windows end at multiples of dedup_interval; the ones on an interval boundary drain in flush().
    this.core.rules.forEach((r, i) => {
      if (r.rule.dedupMs > 0 && r.rule.dedupMs < r.rule.intervalMs) this.scheduleDrain(slot++, r.rule.dedupMs, i);
    });
  }

  private scheduleDrain(slot: number, every: number, i: number): void {
    if (this.closed) return;
    const now = Date.now();
    const boundary = (Math.floor(now / every) + 1) * every;
    const t = setTimeout(() => {
      if (boundary % this.core.rules[i]!.rule.intervalMs !== 0) this.core.rules[i]!.drain(Date.now());
      this.scheduleDrain(slot, every, i);
    }, boundary - now);
    t.unref();
    this.timers[slot] = t;
  }

  private schedule(slot: number, iv: number, indices: number[]): void {
    if (this.closed) return;
    const now = Date.now();
    const boundary = (Math.floor(now / iv) + 1) * iv;
    const t = setTimeout(() => {
      void this.flushRules(indices, boundary);
      this.schedule(slot, iv, indices);
    }, boundary - now);
    t.unref();
    this.timers[slot] = t;
  }

  /** Flushes rules, emits their outputs, then checkpoints. `boundary` stamps the outputs. */
  private flushRules(indices: number[], boundary: number): Promise<void> {
    const now = Date.now();
    const outputs: OutputSeries[] = [];
    for (const i of indices) for (const o of this.core.rules[i]!.flush(boundary, now)) outputs.push(o);
    this.flushes++;
    const p = this.emit(outputs).finally(() => this.checkpoint());
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private async emit(outputs: OutputSeries[]): Promise<void> {
    if (outputs.length === 0) return;
    const md = this.core.toMetrics(outputs);
    const n = countDataPoints(md);
    this.counters.outgoing.add(n, { otel_signal: 'metrics' });
    this.emitted += n;
    try {
      await this.next.consume(md, EMPTY_CONTEXT);
    } catch (err) {
      this.emitFailures.add(1);
      this.settings.logger.warn({ err: (err as Error).message, points: n }, 'aggregate outputs were refused downstream');
    }
  }

  private checkpoint(): Promise<void> {
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    const cp = snapshot(this.settings.id, this.core.startMs, this.core.rules, Date.now());
    this.writing = this.writing.then(() =>
      writeCheckpoint(path, cp).then(
        () => {
          this.lastCheckpoint = { at: new Date().toISOString() };
        },
        (err: Error) => {
          this.lastCheckpoint = { at: new Date().toISOString(), error: err.message };
          this.settings.logger.error({ err: err.message, file: path }, 'cannot write the aggregate checkpoint');
        },
      ),
    );
    return this.writing;
  }

  async consume(md: MetricsData, ctx: ConsumeContext): Promise<void> {
    if (this.closed) throw PipelineError.retryable('OB_PROCESSOR_STOPPED', 'aggregate processor is shutting down');
    const n = countDataPoints(md);
    this.counters.incoming.add(n, { otel_signal: 'metrics' });
    const removed = this.core.ingest(md, Date.now());
    if (removed > 0) {
      const dropped = this.core.dropped - this.droppedReported;
      this.droppedReported = this.core.dropped;
      if (removed > dropped) this.aggregated.add(removed - dropped);
      if (dropped > 0) this.counters.dropped.add(dropped, { reason: 'unsupported_input' });
    }
    this.reportIgnored();
    if (n - removed === 0 && md.resourceMetrics.length === 0) return;
    this.counters.outgoing.add(n - removed, { otel_signal: 'metrics' });
    await this.next.consume(md, ctx);
  }

  private reportIgnored(): void {
    const rules = this.core.rules;
    for (let i = 0; i < rules.length; i++) {
      for (const [output, reason, n] of rules[i]!.ignored()) {
        const k = `${i}/${output}/${reason}`;
        const d = n - (this.reported.get(k) ?? 0);
        if (d <= 0) continue;
        this.reported.set(k, n);
        this.ignored.add(d, { rule: String(i), output, reason });
      }
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.flushRules(
      this.core.rules.map((_, i) => i),
      Date.now(),
    );
    await Promise.allSettled([...this.inflight]);
    await this.writing;
  }

  status(): Record<string, unknown> {
    return {
      rules: this.core.rules.map((r) => ({ interval: r.rule.interval, outputs: r.rule.outputs.map((o) => o.name), groups: r.groups.size, series: [...r.groups.values()].reduce((a, g) => a + g.series.size, 0), histogramBoundsMismatch: r.boundsMismatch, ignored: r.ignored().map(([output, reason, n]) => ({ output, reason, points: n })) })),
      flushes: this.flushes,
      emittedPoints: this.emitted,
      checkpoint: this.path === undefined ? null : { file: this.path, ...this.lastCheckpoint },
    };
  }
}

export const aggregateFactory: ProcessorFactory<AggregateConfig> = {
  kind: 'processor',
  type: 'aggregate',
  configSchema: aggregateSchema,
  create: (settings, config, next) => new AggregateProcessor(settings, config, next),
};
