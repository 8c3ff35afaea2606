/**
 * `aggregate` processor configuration (streaming aggregation in the spirit of vmagent's stream aggregation):
 *
 *   aggregate:
 *     directory: /var/lib/otel-bridge/aggregate     # optional: state checkpoint (see checkpoint.ts)
 *     rules:
 *       - match: '{__name__="http_requests_total"}'  # series selector, or a list of them (any matches); default: all
 *         interval: 1m                               # >= 1s; outputs are emitted at wall-clock multiples of it
 *         by: [job, code]                            # or without: [instance]; neither = per input series
 *         outputs: [total, sum_samples, "quantiles(0.5, 0.9, 0.99)"]
 *         keep_input: false                          # false (default): matched inputs are dropped (counted as aggregated)
 *         staleness_interval: 2m                     # default 2 x interval
 *         dedup_interval: 30s                        # optional: only the last sample per series per 30s counts
 *
 * Contract
 * - Output names as vmagent: `<metric>:<interval>[_by_<labels>|_without_<labels>]_<output>`, the labels sorted and
 *   joined by "_" (vmagent sorts them: `by: [job, code]` gives `..._by_code_job_...`), the interval as written.
 * - `__name__` is always part of the grouping and may not be listed in `by`/`without`.
 * - dedup_interval (vmagent): per input series only the latest sample of each aligned dedup_interval is aggregated
 *   (for replicated sources); the interval must be a multiple of it. Meant for cumulative and gauge inputs: on delta
 *   inputs it would keep one delta per dedup_interval.
 * - Outputs: sum_samples, count_samples, count_series, min, max, avg, last, total, increase, rate_sum, rate_avg,
 *   histogram_bucket, quantiles(phi, ...) with 0 <= phi <= 1 (see state.ts for their semantics and which input
 *   types each takes: gauges/sums, explicit and exponential histograms, summaries as `_sum`/`_count` counters).
 */
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';
import { parseSelector, type Selector } from '../../selector/selector.ts';

export const SIMPLE_OUTPUTS = ['sum_samples', 'count_samples', 'count_series', 'min', 'max', 'avg', 'last', 'total', 'increase', 'rate_sum', 'rate_avg', 'histogram_bucket'] as const;
export type SimpleOutput = (typeof SIMPLE_OUTPUTS)[number];
export interface Output {
  /** The output name used in the metric name (`quantiles` for quantiles(...)). */
  readonly name: SimpleOutput | 'quantiles';
  readonly phis: readonly number[];
}

/** Parses one `outputs` entry; throws an Error with a user-facing message. */
export function parseOutput(text: string): Output {
  const t = text.trim();
  if ((SIMPLE_OUTPUTS as readonly string[]).includes(t)) return { name: t as SimpleOutput, phis: [] };
  const m = /^quantiles\((.*)\)$/.exec(t);
  if (m === null) {
    if (t.startsWith('quantiles(')) throw new Error('missing closing brace for quantiles()');
    throw new Error(`unsupported output ${JSON.stringify(text)}; supported: ${SIMPLE_OUTPUTS.join(', ')}, quantiles(phi, ...)`);
  }
  const args = m[1]!.split(',').map((s) => s.trim());
  if (args.length === 1 && args[0] === '') throw new Error('quantiles() must contain at least one phi');
  const phis = args.map((a) => {
    const phi = Number(a);
    if (a === '' || !Number.isFinite(phi)) throw new Error(`cannot parse phi=${JSON.stringify(a)} in ${t}`);
    if (phi < 0 || phi > 1) throw new Error(`phi inside ${t} must be in the range [0..1]; got ${a}`);
    return phi;
  });
  return { name: 'quantiles', phis };
}

const labelList = z.array(z.string().min(1)).optional();

const ruleSchema = z
  .strictObject({
    match: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    interval: z.string(),
    by: labelList,
    without: labelList,
    outputs: z.array(z.string()).min(1, 'outputs must list at least one output'),
    keep_input: z.boolean().default(false),
    staleness_interval: z.string().optional(),
    dedup_interval: z.string().optional(),
  })
  .transform((r, ctx) => {
    const issue = (path: (string | number)[], message: string) => {
      ctx.addIssue({ code: 'custom', path, message });
      return z.NEVER;
    };
    const intervalMs = parseDuration(r.interval);
    if (intervalMs === undefined) return issue(['interval'], `invalid duration "${r.interval}"`);
    if (intervalMs < 1000) return issue(['interval'], `interval must be at least 1s; got ${r.interval}`);
    let stalenessMs = intervalMs * 2;
    if (r.staleness_interval !== undefined) {
      const s = parseDuration(r.staleness_interval);
      if (s === undefined) return issue(['staleness_interval'], `invalid duration "${r.staleness_interval}"`);
      if (s < intervalMs) return issue(['staleness_interval'], `staleness_interval (${r.staleness_interval}) cannot be smaller than interval (${r.interval})`);
      stalenessMs = s;
    }
    let dedupMs = 0;
    if (r.dedup_interval !== undefined) {
      const d = parseDuration(r.dedup_interval);
      if (d === undefined) return issue(['dedup_interval'], `invalid duration "${r.dedup_interval}"`);
      if (d > intervalMs) return issue(['dedup_interval'], `dedup_interval (${r.dedup_interval}) cannot exceed interval (${r.interval})`);
      if (d > 0 && intervalMs % d !== 0) return issue(['dedup_interval'], `interval (${r.interval}) must be a multiple of dedup_interval (${r.dedup_interval})`);
      dedupMs = d;
    }
    if (r.by !== undefined && r.without !== undefined && r.by.length > 0 && r.without.length > 0) return issue(['by'], '`by` and `without` cannot be set together');
    for (const key of ['by', 'without'] as const) {
      const i = r[key]?.indexOf('__name__') ?? -1;
      if (i >= 0) return issue([key, i], '__name__ is always part of the grouping; do not list it');
    }
    const selectors: Selector[] = [];
    const matches = r.match === undefined ? [] : typeof r.match === 'string' ? [r.match] : r.match;
    for (let i = 0; i < matches.length; i++) {
      try {
        selectors.push(parseSelector(matches[i]!));
      } catch (err) {
        return issue(typeof r.match === 'string' ? ['match'] : ['match', i], (err as Error).message);
      }
    }
    const outputs: Output[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < r.outputs.length; i++) {
      try {
        const o = parseOutput(r.outputs[i]!);
        if (seen.has(o.name)) return issue(['outputs', i], `output ${o.name} is listed twice`);
        seen.add(o.name);
        outputs.push(o);
      } catch (err) {
        return issue(['outputs', i], (err as Error).message);
      }
    }
    const by = [...new Set(r.by ?? [])].sort();
    const without = [...new Set(r.without ?? [])].sort();
    let suffix = ':' + r.interval;
    if (by.length > 0) suffix += '_by_' + by.join('_');
    if (without.length > 0) suffix += '_without_' + without.join('_');
    return {
      match: matches,
      selectors,
      interval: r.interval,
      intervalMs,
      stalenessMs,
      dedupMs,
      by,
      without,
      outputs,
      keepInput: r.keep_input,
      /** Appended to the input metric name, before `_<output>`. */
      suffix,
      /** Identifies the rule's meaning in checkpoints (a changed rule does not inherit an old state). */
      fingerprint: JSON.stringify([matches, r.interval, by, without, outputs.map((o) => o.name)]),
    };
  });
export type AggregateRule = z.output<typeof ruleSchema>;

export const aggregateSchema = z.strictObject({
  directory: z.string().min(1).optional(),
  rules: z.array(ruleSchema).min(1, 'rules must contain at least one rule'),
});
export type AggregateConfig = z.output<typeof aggregateSchema>;
