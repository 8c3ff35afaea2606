/**
 * The outputs of one group at the end of an interval (state.ts defines what each output means; this file only
 * shapes them). Called by RuleState.flush before the per-interval accumulators are reset.
 *
 * Contract
 * - Output names `<metric><rule suffix>_<output>`; labels sorted, without `__name__`; an extra label (`quantile`,
 *   `vmrange`) is merged in sorted.
 * - Gauges carry start = interval start; `total` and histogram_bucket (histogram kinds) start = the group's start.
 * - Outputs over samples are only emitted for groups that had samples in the interval; `total`, `increase` and
 *   histogram_bucket are emitted every interval while the group lives.
 * - Histogram outputs are copies: later flushes never change an emitted output.
 */
import type { Label } from '../../model/types.ts';
import type { AggregateRule } from './config.ts';
import { cloneExp } from './exphist.ts';
import type { Group, OutputSeries } from './state.ts';
import { vmrange } from './vmrange.ts';

function quantile(sorted: readonly number[], phi: number): number {
  const n = sorted.length;
  const rank = phi * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const w = rank - lo;
  return sorted[lo]! * (1 - w) + sorted[hi]! * w;
}

export function buildOutputs(r: AggregateRule, g: Group, epoch: number, ivStart: bigint, time: bigint, out: OutputSeries[]): void {
  let name = '';
  const labels: Label[] = [];
  for (const l of g.labels) {
    if (l.name === '__name__') name = l.value;
    else labels.push(l);
  }
  const prefix = name + r.suffix + '_';
  const withLabel = (extra: Label) => [...labels, extra].sort((a, b) => (a.name < b.name ? -1 : 1));
  const gauge = (output: string, value: number, extra?: Label) => out.push({ metric: prefix + output, labels: extra === undefined ? labels : withLabel(extra), kind: 'gauge', value, start: ivStart, time });
  const had = g.n > 0;
  let rateSum = 0;
  let rateN = 0;
  for (const s of g.series.values()) {
    if (s.rTo > s.rFrom && s.rFrom >= 0 && s.epoch === epoch) {
      rateSum += s.rInc / ((s.rTo - s.rFrom) / 1000);
      rateN++;
    }
    if (s.epoch === epoch && s.rTo >= 0) s.rFrom = s.rTo;
    s.rInc = 0;
  }
  for (const o of r.outputs) {
    switch (o.name) {
      case 'sum_samples':
        if (had) gauge(o.name, g.sum);
        break;
      case 'count_samples':
        if (had) gauge(o.name, g.n);
        break;
      case 'count_series':
        if (g.seenTotal > 0) gauge(o.name, g.seenTotal);
        break;
      case 'min':
        if (had) gauge(o.name, g.min);
        break;
      case 'max':
        if (had) gauge(o.name, g.max);
        break;
      case 'avg':
        if (had) gauge(o.name, g.sum / g.n);
        break;
      case 'last':
        if (had) gauge(o.name, g.last);
        break;
      case 'increase':
        gauge(o.name, g.increase);
        break;
      case 'rate_sum':
        if (rateN > 0) gauge(o.name, rateSum);
        break;
      case 'rate_avg':
        if (rateN > 0) gauge(o.name, rateSum / rateN);
        break;
      case 'total':
        out.push({ metric: prefix + o.name, labels, kind: 'sum', value: g.total, start: g.start, time });
        break;
      case 'histogram_bucket':
        if (g.hist !== undefined) out.push({ metric: prefix + o.name, labels, kind: 'histogram', value: 0, start: g.start, time, hist: { bounds: g.hist.bounds, counts: g.hist.counts.slice(), count: g.hist.count, sum: g.hist.sum } });
        else if (g.ehist !== undefined) out.push({ metric: prefix + o.name, labels, kind: 'exphistogram', value: 0, start: g.start, time, ehist: cloneExp(g.ehist) });
        else if (g.vmh !== undefined) {
          for (const b of [...g.vmh.keys()].sort((x, y) => x - y)) out.push({ metric: prefix + o.name, labels: withLabel({ name: 'vmrange', value: vmrange(b) }), kind: 'gauge', value: g.vmh.get(b)!, start: g.start, time });
        }
        break;
      case 'quantiles':
        if (g.samples.length > 0) {
          const sorted = g.samples.slice().sort((a, b) => a - b);
          for (const phi of o.phis) gauge(o.name, quantile(sorted, phi), { name: 'quantile', value: String(phi) });
        }
        break;
    }
  }
}
