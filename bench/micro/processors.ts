/**
 * Processor micro-benchmarks: each processor's `consume` (through its factory, as a pipeline runs it) over realistic
 * batches of 1000 series x 10 labels, one data point per series per run; each run returns the points processed.
 *
 * Contract
 * - Inputs are rebuilt each run from prepared templates (fresh point objects and MetricsData shells, shared attribute
 *   arrays and `prom` identities, as the scrape loop hands them over), because processors mutate what they get.
 *   `baseline: build ...` benches measure that construction alone; subtract them to get the processor's own cost.
 * - Scraped-style input (the W1 case): 10 targets (resource service.name/service.instance.id = job/instance) x 5
 *   counters x 20 series, 7 point attributes, each point carrying its series' stable `prom` identity.
 *   OTLP-style input: the same series without `prom` (the relabel series cache keys them by a hash instead).
 * - Timestamps advance by 10 s per run, so stateful processors (deltatocumulative, aggregate) see in-order data.
 * - `run` is synchronous (bench/harness.ts), so each bench drives the processor's synchronous core (RelabelCore,
 *   DeltaToCumulative, AggregateCore.ingest, the filter's datapoint loop), the part of `consume` that does the work.
 */
import type { Attributes, DataPoint, Label, Metric, MetricsData, NumberDataPoint, PromSeries } from '../../src/model/types.ts';
import type { OttlTarget } from '../../src/ottl/index.ts';
import { aggregateSchema } from '../../src/processors/aggregate/config.ts';
import { AggregateCore } from '../../src/processors/aggregate/core.ts';
import { DeltaToCumulative, deltaToCumulativeSchema } from '../../src/processors/deltatocumulative/processor.ts';
import { compileFilter, filterSchema } from '../../src/processors/filter/config.ts';
import { RelabelCore } from '../../src/processors/relabel/core.ts';
import { compileProcessorRules, relabelSchema } from '../../src/processors/relabel/processor.ts';
import type { MicroBench } from '../harness.ts';
import { ONE_RULE, twentyRules } from './shared/relabel-rules.ts';

const TARGETS = 10;
const NAMES = ['http_requests_total', 'http_request_errors_total', 'rpc_calls_total', 'process_cpu_seconds_total', 'node_network_receive_bytes_total'];
const PER_METRIC = 20;
const SERIES = TARGETS * NAMES.length * PER_METRIC;
const T0 = 1_700_000_000_000_000_000n;
const STEP = 10_000_000_000n;

interface Template {
  job: string;
  instance: string;
  metrics: { name: string; series: { attributes: Attributes; prom: PromSeries }[] }[];
}

function byName(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** 1000 series: 7 attributes + __name__, job, instance = 10 labels each. */
function templates(): Template[] {
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const out: Template[] = [];
  for (let t = 0; t < TARGETS; t++) {
    const job = `service-${t % 4}`;
    const instance = `10.0.${t}.${(t * 37) % 250}:9090`;
    out.push({
      job,
      instance,
      metrics: NAMES.map((name) => ({
        name,
        series: Array.from({ length: PER_METRIC }, (_, i) => {
          const o: Record<string, string> = {
            code: String([200, 201, 404, 500, 503][i % 5]),
            env: t % 3 === 0 ? 'prod' : 'staging',
            handler: `/api/v1/items/${i % 7}`,
            method: methods[(i >> 2) % 4]!,
            namespace: `team-${t % 6}`,
            pod: `${job}-7c9d8f-${(t * 7919 + i) % 100000}`,
            app: `app-${t % 9}`,
          };
          const attributes: Attributes = Object.entries(o).map(([key, value]) => ({ key, value }));
          const labels: Label[] = [{ name: '__name__', value: name }, { name: 'job', value: job }, { name: 'instance', value: instance }, ...attributes.map((kv) => ({ name: kv.key, value: kv.value as string }))].sort(byName);
          return { attributes, prom: { name, labels } };
        }),
      })),
    });
  }
  return out;
}

/** A fresh batch from the templates: one cumulative (or delta) sum point per series at `time`. */
function build(ts: Template[], time: bigint, opts: { prom: boolean; delta?: boolean }): MetricsData {
  return {
    resourceMetrics: ts.map((t) => ({
      resource: { attributes: [{ key: 'service.name', value: t.job }, { key: 'service.instance.id', value: t.instance }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeMetrics: [
        {
          scope: { name: 'bench', version: '', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          metrics: t.metrics.map(
            (m): Metric => ({
              name: m.name,
              description: '',
              unit: '',
              metadata: [],
              type: 'sum',
              temporality: opts.delta ? 1 : 2,
              isMonotonic: true,
              points: m.series.map(
                (s, i): NumberDataPoint => ({
                  attributes: s.attributes,
                  startTimeUnixNano: opts.delta ? time - STEP : T0,
                  timeUnixNano: time,
                  flags: 0,
                  value: Number(time / STEP) + i,
                  exemplars: [],
                  prom: opts.prom ? s.prom : undefined,
                }),
              ),
            }),
          ),
        },
      ],
    })),
  };
}

/** `run` must be synchronous (bench/harness.ts), so benches drive each processor's synchronous core, the part of
 * `consume` that does the work (the helper around it only counts points and forwards). */
function syncBench(name: string, input: { prom: boolean; delta?: boolean }, make: () => (md: MetricsData) => void): MicroBench {
  return {
    name,
    items: 'points',
    prepare() {
      const ts = templates();
      const apply = make();
      let time = T0;
      return () => {
        time += STEP;
        apply(build(ts, time, input));
        return SERIES;
      };
    },
  };
}

function relabel(name: string, rules: unknown[], input: { prom: boolean }): MicroBench {
  return syncBench(name, input, () => {
    const core = new RelabelCore(compileProcessorRules(relabelSchema.parse({ relabel_configs: rules })));
    // As in W1 (relabel -> remote write): nothing after the processor changes data, so outputs may be shared.
    core.shareOutput = core.shareKeyValues = true;
    return (md) => {
      core.apply(md);
    };
  });
}

/** The filter processor's datapoint loop (FilterCore is private to its module) over the compiled conditions. */
function filter(name: string, cfg: unknown): MicroBench {
  return syncBench(name, OTLP, () => {
    const f = compileFilter(filterSchema.parse(cfg));
    const t: OttlTarget = { resource: { attributes: [], droppedAttributesCount: 0 }, scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, metric: undefined as unknown as Metric, point: undefined };
    return (md) => {
      for (const rm of md.resourceMetrics) {
        t.resource = rm.resource;
        for (const sm of rm.scopeMetrics) {
          t.scope = sm.scope;
          for (const m of sm.metrics) {
            t.metric = m;
            const pts = m.points as DataPoint[];
            let w = 0;
            for (let i = 0; i < pts.length; i++) {
              t.point = pts[i];
              let drop = false;
              for (const c of f.datapoint) {
                if (c.eval(t)) {
                  drop = true;
                  break;
                }
              }
              if (!drop) pts[w++] = pts[i]!;
            }
            pts.length = w;
          }
        }
      }
    };
  });
}

function baseline(name: string, input: { prom: boolean }): MicroBench {
  return {
    name,
    items: 'points',
    prepare() {
      const ts = templates();
      let time = T0;
      let keep = 0;
      return () => {
        time += STEP;
        keep += build(ts, time, input).resourceMetrics.length;
        if (keep < 0) throw new Error('unreachable');
        return SERIES;
      };
    },
  };
}

/** Typical metric_relabel_configs on scraped series (no __meta_ labels at that stage: the app is a plain `app`). */
const TWENTY_RULES = twentyRules({
  families: 'http|rpc|process|node',
  labelmap: { regex: 'app', replacement: 'app_name' },
  dropApp: 'app',
  familySuffix: 'total',
  dropSeries: 'rpc_calls_total@404',
});

function aggregate(name: string, input: { prom: boolean }): MicroBench {
  return syncBench(name, input, () => {
    const core = new AggregateCore(aggregateSchema.parse({ rules: [{ interval: '1m', by: ['job', 'code'], outputs: ['sum_samples', 'total'] }] }), Date.now());
    let now = Date.now();
    return (md) => {
      core.ingest(md, (now += 10));
    };
  });
}

const SCRAPED = { prom: true };
const OTLP = { prom: false };

const benches: MicroBench[] = [
  baseline('processors: baseline: build scraped-style batch (1000 series x 10 labels)', SCRAPED),
  relabel('processors: relabel 1 rule, scraped (prom identity, W1)', ONE_RULE, SCRAPED),
  relabel('processors: relabel 20 rules, scraped (prom identity, W1)', TWENTY_RULES, SCRAPED),
  relabel('processors: relabel 1 rule, OTLP (no prom)', ONE_RULE, OTLP),
  relabel('processors: relabel 20 rules, OTLP (no prom)', TWENTY_RULES, OTLP),
  filter('processors: filter 2 OTTL datapoint conditions', { error_mode: 'ignore', metrics: { datapoint: ['attributes["code"] == "404" and metric.name == "rpc_calls_total"', 'IsMatch(attributes["handler"], "/debug/.*")'] } }),
  syncBench('processors: deltatocumulative (delta sums)', { prom: false, delta: true }, () => {
    const d = new DeltaToCumulative(deltaToCumulativeSchema.parse({}));
    return (md) => d.apply(md);
  }),
  aggregate('processors: aggregate 1 rule (sum_samples, total by 2 labels)', SCRAPED),
  aggregate('processors: aggregate 1 rule, OTLP (no prom)', OTLP),
];
export default benches;
