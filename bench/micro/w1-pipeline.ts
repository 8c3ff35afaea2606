/**
 * W1's data path in one process, without HTTP or timers: 100 targets x ~1000 series (the farm's bodies of
 * bench/load/targets.ts, values moving every scrape) -> scrape path (parse, cache, W1's metric relabel, model) ->
 * the remote-write exporter's translate + shard + RW1 encode + snappy, requests cut every 10 targets (as the
 * exporter's flush_interval collects ~10 scrapes). 100k distinct series, so caches and memos see W1's working set,
 * which the 10k-series micro benchmarks do not. What W1 costs beyond this is HTTP (both ways), scheduling, GC of
 * retained buffers and self-telemetry. Each run is one target's scrape; it returns the samples scraped.
 *
 * Run alone under the profiler: `BENCH_SECONDS=20 npx node --cpu-prof bench/run.ts --child w1-pipeline.ts`.
 */
import type { MicroBench } from '../harness.ts';
import type { Label } from '../../src/model/types.ts';
import { compileRelabel } from '../../src/relabel/index.ts';
import { prometheusReceiverSchema } from '../../src/receivers/prometheus/config.ts';
import type { Appender } from '../../src/receivers/prometheus/scrape/append.ts';
import type { PointGroup } from '../../src/receivers/prometheus/scrape/cache.ts';
import { populateLabels, Target } from '../../src/receivers/prometheus/scrape/target.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/index.ts';
import { ShardedEncoder } from '../../src/exporters/prometheusremotewrite/batcher.ts';
import { makeTemplate, render } from '../load/targets.ts';
import { appendBody, benchAppender } from './prometheus-scrape.ts';

const TARGETS = 100;
const SERIES = 1000;
/** Bodies pre-rendered per target (scrape k = 1..BODIES, then again from 1 with a higher base: counters keep rising). */
const BODIES = 6;

interface Tgt {
  app: Appender;
  report: PointGroup[];
  bodies: Buffer[];
}

export function w1Pipeline(): () => number {
  const cfg = prometheusReceiverSchema.parse({
    config: {
      scrape_configs: [
        {
          job_name: 'bench',
          static_configs: [{ targets: ['127.0.0.1:9100'], labels: { cluster: 'bench' } }],
          metric_relabel_configs: [
            { source_labels: ['__name__', 'shard'], regex: 'app_queue_depth_.*;0', action: 'drop' },
            { target_label: 'region', replacement: 'eu-1' },
          ],
        },
      ],
    },
  });
  const job = cfg.jobs[0]!;
  const metricRelabel = compileRelabel(job.metricRelabelConfigs, { validate: false });
  const external: Label[] = [];
  const targets: Tgt[] = [];
  for (let t = 0; t < TARGETS; t++) {
    const r = populateLabels(new Map([['__address__', `127.0.0.1:${20000 + t}`], ['cluster', 'bench']]), job, null);
    if (r.labels === null) throw new Error(`target dropped: ${r.error ?? ''}`);
    const target = new Target(job, r.labels, r.discovered);
    const { app, report } = benchAppender(target.labels, metricRelabel, external);
    const tpl = makeTemplate(t, SERIES);
    const bodies: Buffer[] = [];
    for (let k = 1; k <= BODIES; k++) bodies.push(Buffer.from(render(tpl, k), 'latin1'));
    targets.push({ app, report, bodies });
  }
  const translator = new PrometheusTranslator({ targetInfo: true, deltaToCumulative: true });
  const enc = new ShardedEncoder({ shards: 5, version: 1, maxBytes: 3_000_000, sendMetadata: false, relabel: undefined });
  let i = 0;
  let ts = 1_700_000_000_000;
  const once = (): number => {
    const tg = targets[i % TARGETS]!;
    const round = Math.floor(i / TARGETS);
    if (i % TARGETS === 0) ts += 2000;
    i++;
    const { app, report } = tg;
    const md = appendBody(app, report, tg.bodies[round % BODIES]!, ts);
    translator.translate(md, enc);
    enc.endBatch();
    enc.takeRequests();
    if (i % 10 === 0) {
      enc.cutAll();
      enc.takeRequests();
    }
    return app.total;
  };
  for (let k = 0; k < TARGETS * 2; k++) once(); // first scrapes (cold) and one warm round
  return once;
}

const benches: MicroBench[] = [
  { name: 'W1 pipeline in process: 100 targets x 1000 series, scrape path + remote-write translate/encode/snappy', items: 'samples', prepare: w1Pipeline },
];
export default benches;

