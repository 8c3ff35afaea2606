/**
 * Receiver-side accounting (after the Collector's receiverhelper/obsreport): every batch handed to the pipeline is
 * counted as accepted or refused data points, by transport, under the Collector's names.
 */
import type { CreateSettings } from '../component/component.ts';
import { PipelineError } from '../component/errors.ts';
import type { ConsumeContext, Consumer } from '../consumer/consumer.ts';
import { countDataPoints } from '../model/count.ts';
import type { MetricsData } from '../model/types.ts';

export class ReceiverObs {
  private readonly accepted;
  private readonly refused;
  private readonly failed;

  constructor(settings: CreateSettings) {
    const t = settings.telemetry;
    this.accepted = t.counter('otelcol_receiver_accepted_metric_points', 'Number of metric points successfully pushed into the pipeline.', '{datapoints}');
    this.refused = t.counter('otelcol_receiver_refused_metric_points', 'Number of metric points that could not be pushed into the pipeline.', '{datapoints}');
    this.failed = t.counter('otelcol_receiver_failed_metric_points', 'Number of metric points that failed to be processed by the receiver due to internal errors.', '{datapoints}');
  }

  /**
   * Pushes `md` into the pipeline and counts the outcome; rethrows the classified PipelineError.
   * Points are counted before handing over (the pipeline owns `md` afterwards).
   */
  async push(next: Consumer, md: MetricsData, ctx: ConsumeContext, transport: string): Promise<number> {
    const n = countDataPoints(md);
    try {
      await next.consume(md, ctx);
      this.accepted.add(n, { transport });
      return n;
    } catch (err) {
      const e = PipelineError.from(err);
      this.refused.add(n, { transport, reason: e.code });
      throw e;
    }
  }

  /** Points the receiver itself rejected (bad input) before the pipeline. */
  rejected(n: number, transport: string, reason: string): void {
    this.failed.add(n, { transport, reason });
  }
}
