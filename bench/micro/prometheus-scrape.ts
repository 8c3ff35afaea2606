/**
 * The prometheus receiver's scrape path without HTTP or scheduling, as `ScrapeLoop.scrapeAndReport` runs it for one
 * ~1000-series text 0.0.4 body (the generated target of promtext.ts): streaming parse, scrape-cache lookup, metric
 * relabeling (a drop and a replace rule), staleness bookkeeping, translation to OTLP points and the report series.
 * - warm cache: the steady state, the same target scraped again (the body's values are unchanged, so the cost is
 *   the cache-hit path);
 * - cold cache: a target's first scrape (a fresh cache each run: every series resolved and relabelled).
 * Each run returns the samples scraped (`scrape_samples_scraped`).
 */
import type { MicroBench } from '../harness.ts';
import { createParser, writeText } from '../../src/codec/promtext/index.ts';
import type { Label, MetricsData } from '../../src/model/types.ts';
import { compileRelabel } from '../../src/relabel/index.ts';
import { prometheusReceiverSchema } from '../../src/receivers/prometheus/config.ts';
import { Appender, reportGroups } from '../../src/receivers/prometheus/scrape/append.ts';
import { ScrapeCache, type PointGroup } from '../../src/receivers/prometheus/scrape/cache.ts';
import type { ResolveContext } from '../../src/receivers/prometheus/scrape/resolve.ts';
import { populateLabels, Target } from '../../src/receivers/prometheus/scrape/target.ts';
import { benchFamilies } from './promtext.ts';

/** A target's appender and report series as the scrape loop sets them up (fresh cache; honor_labels false). */
export function benchAppender(targetLabels: readonly Label[], metricRelabel: ResolveContext['metricRelabel'], external: Label[]): { app: Appender; report: PointGroup[] } {
  const cache = new ScrapeCache();
  const ctx: ResolveContext = {
    cache,
    targetLabels,
    honorLabels: false,
    metricRelabel,
    externalLabels: external,
    limits: { labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0 },
    scopeName: 'otel-bridge/receiver/prometheus',
    scopeVersion: 'bench',
  };
  const app = new Appender(
    ctx,
    { honorTimestamps: true, trackTimestampsStaleness: false, sampleLimit: 0 },
    { counterStartTime: 'created', shareAttributes: true, scheme: 'http', meta: (f) => cache.metadata.get(f) },
  );
  return { app, report: reportGroups(ctx) };
}

/** One scrape's append of a whole text 0.0.4 body at `tsMs`, as ScrapeLoop runs it (parser with lazy labels). */
export function appendBody(app: Appender, report: PointGroup[], body: Buffer, tsMs: number): MetricsData {
  app.begin(tsMs);
  const p = createParser('text', undefined, { lazyLabels: true }); // as the scrape loop creates it
  p.write(body);
  app.feed(p);
  p.end();
  app.feed(p);
  app.commit();
  app.report(report, true, 0.005);
  return app.finish();
}

function scrapePath(cold: boolean): () => number {
  const cfg = prometheusReceiverSchema.parse({
    config: {
      global: { external_labels: { cluster: 'bench' } },
      scrape_configs: [
        {
          job_name: 'bench',
          static_configs: [{ targets: ['10.0.0.1:9100'] }],
          metric_relabel_configs: [
            { source_labels: ['__name__'], regex: 'go_gc_duration_seconds_1.*', action: 'drop' },
            { source_labels: ['code'], regex: '(5..)', target_label: 'error_class', replacement: 'server_$1' },
          ],
        },
      ],
    },
  });
  const job = cfg.jobs[0]!;
  const r = populateLabels(new Map([['__address__', '10.0.0.1:9100']]), job, null);
  if (r.labels === null) throw new Error(`target dropped: ${r.error ?? ''}`);
  const target = new Target(job, r.labels, r.discovered);
  const external: Label[] = [{ name: 'cluster', value: 'bench' }];
  const metricRelabel = compileRelabel(job.metricRelabelConfigs, { validate: false });
  const body = Buffer.from(writeText(benchFamilies(1000)));

  const make = () => benchAppender(target.labels, metricRelabel, external);
  let cur = make();
  let ts = 1_700_000_000_000;
  const once = (): number => {
    if (cold) cur = make();
    const { app, report } = cur;
    ts += 15_000;
    const md = appendBody(app, report, body, ts);
    if (md.resourceMetrics.length === 0) throw new Error('empty batch');
    return app.total;
  };
  once(); // warm-up scrape: fills the cache for the warm variant
  return once;
}

const benches: MicroBench[] = [
  { name: 'prometheus receiver: scrape path, ~1000 series, warm cache (parse + relabel + translate)', items: 'samples', prepare: () => scrapePath(false) },
  { name: 'prometheus receiver: scrape path, ~1000 series, cold cache (first scrape)', items: 'samples', prepare: () => scrapePath(true) },
];

export default benches;
