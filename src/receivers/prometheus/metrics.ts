/**
 * Self-metrics of the prometheus receiver, per job (per-target series would grow with discovery): scrapes started,
 * completed, failed by reason, scrape duration histogram, pushes skipped (pipeline busy or answering backpressure),
 * duplicate samples dropped, and targets by state. Attribute objects are built once per job/reason so the scrape
 * path does not allocate for telemetry.
 */
import type { Attrs, ComponentTelemetry } from '../../telemetry/component-telemetry.ts';

const DURATION_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface TargetCounts {
  job: string;
  active: number;
  dropped: number;
}

export class ReceiverMetrics {
  private readonly started;
  private readonly completed;
  private readonly failed;
  private readonly duration;
  private readonly skipped;
  private readonly duplicates;
  private readonly jobs = new Map<string, JobMetrics>();

  constructor(t: ComponentTelemetry, targets: () => TargetCounts[]) {
    this.started = t.counter('otelcol_receiver_prometheus_scrapes_started', 'Scrapes started, per job.', '{scrapes}');
    this.completed = t.counter('otelcol_receiver_prometheus_scrapes_completed', 'Scrapes that succeeded (up=1), per job.', '{scrapes}');
    this.failed = t.counter('otelcol_receiver_prometheus_scrapes_failed', 'Scrapes that failed (up=0), per job and reason.', '{scrapes}');
    this.duration = t.histogram('otelcol_receiver_prometheus_scrape_duration', 'Scrape duration (request, parse and translation), per job.', 's', DURATION_BOUNDS);
    this.skipped = t.counter('otelcol_receiver_prometheus_pushes_skipped', "Scrape results not pushed because the pipeline was busy or answered backpressure, per job and reason.", '{scrapes}');
    this.duplicates = t.counter('otelcol_receiver_prometheus_samples_duplicate', 'Samples dropped because their series already had a sample in the same scrape, per job.', '{samples}');
    t.gauge('otelcol_receiver_prometheus_targets', 'Targets per job and state (active, dropped).', () =>
      targets().flatMap((c): Array<[number, Attrs]> => [
        [c.active, { job: c.job, state: 'active' }],
        [c.dropped, { job: c.job, state: 'dropped' }],
      ]),
    '{targets}');
  }

  job(name: string): JobMetrics {
    let j = this.jobs.get(name);
    if (j === undefined) this.jobs.set(name, (j = new JobMetrics(this, name)));
    return j;
  }

  /** @internal */ counters() {
    return { started: this.started, completed: this.completed, failed: this.failed, duration: this.duration, skipped: this.skipped, duplicates: this.duplicates };
  }
}

export class JobMetrics {
  private readonly c;
  private readonly attrs: Attrs;
  private readonly byReason = new Map<string, Attrs>();

  constructor(parent: ReceiverMetrics, job: string) {
    this.c = parent.counters();
    this.attrs = { job };
  }

  private reasonAttrs(reason: string): Attrs {
    let a = this.byReason.get(reason);
    if (a === undefined) this.byReason.set(reason, (a = { job: this.attrs['job'] as string, reason }));
    return a;
  }

  started(): void {
    this.c.started.add(1, this.attrs);
  }

  finished(durationSeconds: number, failure: string | undefined): void {
    this.c.duration.record(durationSeconds, this.attrs);
    if (failure === undefined) this.c.completed.add(1, this.attrs);
    else this.c.failed.add(1, this.reasonAttrs(failure));
  }

  skipped(reason: 'busy' | 'backpressure' | 'error'): void {
    this.c.skipped.add(1, this.reasonAttrs(reason));
  }

  duplicates(n: number): void {
    if (n > 0) this.c.duplicates.add(n, this.attrs);
  }
}
