/**
 * Relabel engine micro-benchmarks. Each run relabels 1000 realistic series (10 labels each, sorted, with __name__)
 * and returns 1000 (samples processed). Two shapes: a single rule (the common "add a label" case), and 20 typical
 * metric_relabel_configs mixing replace, keep, drop, labeldrop, hashmod, labelmap, lowercase and an `if:` rule
 * (shared with processors.ts: shared/relabel-rules.ts).
 */
import type { MicroBench } from '../harness.ts';
import type { Label } from '../../src/model/types.ts';
import { applyRelabel, compileRelabel, type RelabelConfigInput } from '../../src/relabel/index.ts';
import { ONE_RULE, twentyRules } from './shared/relabel-rules.ts';

const SERIES = 1000;

function makeSeries(): Label[][] {
  const names = ['http_requests_total', 'http_request_duration_seconds_bucket', 'go_goroutines', 'process_cpu_seconds_total', 'node_cpu_seconds_total'];
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const out: Label[][] = [];
  for (let i = 0; i < SERIES; i++) {
    const o: Record<string, string> = {
      __name__: names[i % names.length]!,
      code: String([200, 201, 404, 500, 503][i % 5]),
      env: i % 3 === 0 ? 'prod' : 'staging',
      handler: `/api/v1/items/${i % 37}`,
      instance: `10.0.${i % 8}.${i % 250}:9090`,
      job: `service-${i % 12}`,
      method: methods[i % 4]!,
      namespace: `team-${i % 6}`,
      pod: `service-${i % 12}-7c9d8f-${(i * 7919) % 100000}`,
      __meta_pod_label_app: `app-${i % 9}`,
    };
    out.push(
      Object.entries(o)
        .map(([name, value]) => ({ name, value }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  }
  return out;
}

/** The series carry the pod's app as a discovery label (`__meta_pod_label_app`), as target relabeling sees it. */
const TWENTY_RULES = twentyRules({
  families: 'http|go|process|node',
  labelmap: { regex: '__meta_pod_label_(.+)' },
  dropApp: '__meta_.*',
  familySuffix: 'bucket',
  dropSeries: 'node_cpu_seconds_total@404',
});

function bench(name: string, rules: RelabelConfigInput[]): MicroBench {
  return {
    name,
    items: 'samples',
    prepare() {
      const series = makeSeries();
      const compiled = compileRelabel(rules);
      return () => {
        let kept = 0;
        for (let i = 0; i < series.length; i++) if (applyRelabel(compiled, series[i]!) !== null) kept++;
        if (kept < 0) throw new Error('unreachable');
        return series.length;
      };
    },
  };
}

const benches: MicroBench[] = [
  bench('relabel: 1 rule (add constant label) x 1000 series', ONE_RULE),
  bench('relabel: 20 typical rules x 1000 series', TWENTY_RULES),
];
export default benches;
