/**
 * Prometheus -> OTLP model, per the OpenTelemetry "Prometheus and OpenMetrics Compatibility" spec (section A of
 * ../shared/conformance/otel/prometheus_compat_checklist.md), fed from the scrape cache's point groups.
 *
 * Contract
 * - `PointBuilder.emit(group)` turns one group's per-scrape scratch into a data point of its slot's metric, creating
 *   the Metric / ScopeMetrics / ResourceMetrics of this scrape on first use (order of first appearance). Counters:
 *   monotonic cumulative sums, start from `_created` (else unset, or first sight / reset in `first_seen` mode);
 *   histograms: buckets de-cumulated (+Inf last), dropped without `_count`, `_sum` optional; summaries: quantiles
 *   ascending, dropped without `_count`, `_sum` 0 when missing; unknown -> gauge; info/stateset -> non-monotonic sums.
 *   Every metric carries `prometheus.type` metadata, HELP as description, UNIT in UCUM.
 * - `emitStale(group)` adds the group's point with FLAG_NO_RECORDED_VALUE (same layout as its last point).
 * - `finish()` fills each resource: service.name = job, service.instance.id = instance, server.address/port from the
 *   instance, url.scheme, then the `target_info` labels unaltered; returns the MetricsData, which the caller hands
 *   to the pipeline (ownership passes). Points get `prom` = the group's cached identity (shared across scrapes).
 * - Point attributes are fresh copies when `shareAttributes` is false (a mutating consumer downstream), otherwise
 *   the group's cached array (nobody may mutate it); the same for an empty exemplar list (a shared frozen array).
 */
import type { Exemplar, HistogramDataPoint, KeyValue, Metric, MetricsData, NumberDataPoint, SummaryDataPoint } from '../../model/types.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../model/types.ts';
import type { MetricSlot, PointGroup, ResourceSlot, ScopeSlot } from './scrape/cache.ts';
import { splitHostPort } from './labels.ts';

const UCUM: Record<string, string> = {
  days: 'd',
  hours: 'h',
  minutes: 'min',
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  nanoseconds: 'ns',
  bytes: 'By',
  kibibytes: 'KiBy',
  mebibytes: 'MiBy',
  gibibytes: 'GiBy',
  tebibytes: 'TiBy',
  kilobytes: 'kBy',
  megabytes: 'MBy',
  gigabytes: 'GBy',
  terabytes: 'TBy',
  meters: 'm',
  volts: 'V',
  amperes: 'A',
  joules: 'J',
  watts: 'W',
  grams: 'g',
  celsius: 'Cel',
  hertz: 'Hz',
  percent: '%',
  ratio: '1',
};

/** The denominators of rate units ("_per_second"). */
const PER_UCUM: Record<string, string> = { second: 's', minute: 'min', hour: 'h', day: 'd', week: 'w', month: 'mo', year: 'y' };

/** Prometheus UNIT word -> UCUM ("seconds" -> "s", "meters_per_second" -> "m/s"); unknown words unchanged. */
export function unitToUcum(unit: string): string {
  if (unit === '') return '';
  const direct = UCUM[unit];
  if (direct !== undefined) return direct;
  const per = unit.indexOf('_per_');
  if (per > 0) {
    const a = unit.slice(0, per);
    const b = unit.slice(per + 5);
    return `${UCUM[a] ?? a}/${PER_UCUM[b] ?? UCUM[b] ?? b}`;
  }
  return unit;
}

const HEX = /^[0-9a-fA-F]+$/;

function hexBytes(s: string, n: number): Uint8Array | undefined {
  if (s.length !== n * 2 || !HEX.test(s)) return undefined;
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

const EMPTY = new Uint8Array(0);

/** OpenMetrics exemplar -> OTLP exemplar: trace_id/span_id (valid hex) to ids, other labels filtered attributes. */
export function toExemplar(labels: readonly [string, string][], value: number, tsMs: number): Exemplar {
  const filtered: KeyValue[] = [];
  let traceId: Uint8Array = EMPTY;
  let spanId: Uint8Array = EMPTY;
  for (const [k, v] of labels) {
    if (k === 'trace_id') {
      const b = hexBytes(v, 16);
      if (b !== undefined) {
        traceId = b;
        continue;
      }
    } else if (k === 'span_id') {
      const b = hexBytes(v, 8);
      if (b !== undefined) {
        spanId = b;
        continue;
      }
    }
    filtered.push({ key: k, value: v });
  }
  return { filteredAttributes: filtered, timeUnixNano: msToNs(tsMs), value, traceId, spanId };
}

export function msToNs(ms: number): bigint {
  if (Number.isInteger(ms)) return BigInt(ms) * 1_000_000n;
  return BigInt(Math.round(ms * 1e6));
}

/** `_created` seconds (float) -> ns, keeping sub-second digits without float overflow. */
function secondsToNs(s: number): bigint {
  const whole = Math.floor(s);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((s - whole) * 1e9));
}

/** Remembers the layout for stale markers in an array of the group's own (the point's may be mutated downstream). */
function keepLayout(g: PointGroup, layout: readonly number[]): void {
  const cur = g.lastLayout;
  if (cur.length === layout.length && cur.every((v, i) => v === layout[i])) return;
  g.lastLayout = layout.slice();
}

function copyAttrs(a: KeyValue[]): KeyValue[] {
  const out: KeyValue[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = { key: a[i]!.key, value: a[i]!.value };
  return out;
}

const NO_EXEMPLARS: Exemplar[] = Object.freeze([]) as unknown as Exemplar[];

export interface BuilderOptions {
  counterStartTime: 'created' | 'first_seen';
  shareAttributes: boolean;
  scheme: string;
  /** Family metadata (HELP, UNIT) lookup. */
  meta(family: string): { help: string; unit: string } | undefined;
}

export class PointBuilder {
  readonly md: MetricsData = { resourceMetrics: [] };
  private readonly o: BuilderOptions;
  private readonly id: number;
  private readonly resources: ResourceSlot[] = [];
  /** Slots and scopes given a Metric / ScopeMetrics of this batch (their references are dropped in `finish`). */
  private readonly slots: MetricSlot[] = [];
  private readonly scopes: ScopeSlot[] = [];
  private lastMs = -1;
  private lastNs = 0n;

  constructor(o: BuilderOptions, appendId: number) {
    this.o = o;
    this.id = appendId;
  }

  private ns(ms: number): bigint {
    if (ms !== this.lastMs) (this.lastMs = ms), (this.lastNs = msToNs(ms));
    return this.lastNs;
  }

  private metricOf(slot: MetricSlot): Metric {
    if (slot.iter === this.id) return slot.metric!;
    const scope = slot.scope;
    const res = scope.res;
    if (res.iter !== this.id) {
      res.iter = this.id;
      res.rm = { resource: { attributes: [], droppedAttributesCount: 0 }, scopeMetrics: [], schemaUrl: '' };
      this.md.resourceMetrics.push(res.rm);
      this.resources.push(res);
    }
    if (scope.iter !== this.id) {
      scope.iter = this.id;
      scope.sm = {
        scope: { name: scope.name, version: scope.version, attributes: copyAttrs(scope.attributes as KeyValue[]), droppedAttributesCount: 0 },
        metrics: [],
        schemaUrl: scope.schemaUrl,
      };
      res.rm!.scopeMetrics.push(scope.sm);
      this.scopes.push(scope);
    }
    const meta = this.o.meta(slot.family);
    const base = { name: slot.name, description: meta?.help ?? '', unit: unitToUcum(meta?.unit ?? ''), metadata: [{ key: 'prometheus.type', value: slot.promType }] };
    let m: Metric;
    switch (slot.kind) {
      case 'gauge':
        m = { ...base, type: 'gauge', points: [] };
        break;
      case 'sum':
        m = { ...base, type: 'sum', temporality: Temporality.CUMULATIVE, isMonotonic: slot.monotonic, points: [] };
        break;
      case 'histogram':
        m = { ...base, type: 'histogram', temporality: Temporality.CUMULATIVE, points: [] };
        break;
      default:
        m = { ...base, type: 'summary', points: [] };
    }
    slot.iter = this.id;
    slot.metric = m;
    this.slots.push(slot);
    scope.sm!.metrics.push(m);
    return m;
  }

  /** An empty exemplar list: shared (frozen) when nobody downstream mutates, else a fresh array. */
  private noExemplars(): Exemplar[] {
    return this.o.shareAttributes ? NO_EXEMPLARS : [];
  }

  private attrs(g: PointGroup): KeyValue[] {
    return this.o.shareAttributes ? g.attributes : copyAttrs(g.attributes);
  }

  /** Start time of a cumulative point: `_created`, else (first_seen mode) first sight moved on resets. */
  private start(g: PointGroup, cumulative: number): bigint {
    if (g.createdMs >= 0) return secondsToNs(g.createdMs);
    if (this.o.counterStartTime !== 'first_seen') return 0n;
    if (g.startMs < 0 || cumulative < g.lastCumulative) {
      g.startMs = g.startMs < 0 ? g.tsMs : g.tsMs - 1;
      g.startNs = msToNs(g.startMs);
    }
    g.lastCumulative = cumulative;
    return g.startNs;
  }

  /** Builds the group's point from this scrape's samples. Returns false when the point is incomplete (dropped). */
  emit(g: PointGroup): boolean {
    const slot = g.slot;
    const time = this.ns(g.tsMs);
    switch (slot.kind) {
      case 'gauge':
      case 'sum': {
        if (!g.hasValue) return false;
        const p: NumberDataPoint = {
          attributes: this.attrs(g),
          startTimeUnixNano: slot.kind === 'sum' && slot.monotonic ? this.start(g, g.value) : g.createdMs >= 0 ? secondsToNs(g.createdMs) : 0n,
          timeUnixNano: time,
          flags: 0,
          value: g.value,
          exemplars: g.exemplars ?? this.noExemplars(),
          prom: g.prom,
        };
        this.metricOf(slot).points.push(p as never);
        return true;
      }
      case 'histogram':
        return this.histogram(g, time);
      default:
        return this.summary(g, time);
    }
  }

  private histogram(g: PointGroup, time: bigint): boolean {
    if (!g.hasCount) return false;
    const les = g.keys;
    const cums = g.vals;
    let sorted = true;
    for (let i = 1; i < les.length; i++) if (!(les[i]! > les[i - 1]!)) sorted = false;
    let order: number[] | undefined;
    if (!sorted) order = les.map((_, i) => i).sort((a, b) => les[a]! - les[b]!);
    const bounds: number[] = [];
    const counts: number[] = [];
    let prev = 0;
    let inf = -1;
    for (let j = 0; j < les.length; j++) {
      const i = order === undefined ? j : order[j]!;
      const le = les[i]!;
      if (le === Infinity) {
        inf = cums[i]!;
        continue;
      }
      if (bounds.length > 0 && le === bounds[bounds.length - 1]) continue;
      bounds.push(le);
      const c = cums[i]!;
      counts.push(c > prev ? Math.trunc(c - prev) : 0);
      if (c > prev) prev = c;
    }
    const total = inf >= 0 ? inf : g.count;
    if (les.length > 0) counts.push(total > prev ? Math.trunc(total - prev) : 0);
    const count = Math.max(0, Math.trunc(g.count)) || 0;
    const p: HistogramDataPoint = {
      attributes: this.attrs(g),
      startTimeUnixNano: this.start(g, count),
      timeUnixNano: time,
      flags: 0,
      count,
      sum: g.hasSum ? g.sum : undefined,
      bucketCounts: counts,
      explicitBounds: les.length > 0 ? bounds : [],
      exemplars: g.exemplars ?? this.noExemplars(),
      min: undefined,
      max: undefined,
      prom: g.prom,
    };
    keepLayout(g, bounds);
    g.lastHadBuckets = les.length > 0;
    g.lastHadSum = g.hasSum;
    this.metricOf(g.slot).points.push(p as never);
    return true;
  }

  private summary(g: PointGroup, time: bigint): boolean {
    if (!g.hasCount) return false;
    const qs = g.keys;
    const vs = g.vals;
    const qv = qs.map((q, i) => ({ quantile: q, value: vs[i]! }));
    qv.sort((a, b) => a.quantile - b.quantile);
    const count = Math.max(0, Math.trunc(g.count)) || 0;
    const p: SummaryDataPoint = {
      attributes: this.attrs(g),
      startTimeUnixNano: this.start(g, count),
      timeUnixNano: time,
      flags: 0,
      count,
      sum: g.hasSum ? g.sum : 0,
      quantileValues: qv,
      prom: g.prom,
    };
    keepLayout(g, qv.map((q) => q.quantile));
    this.metricOf(g.slot).points.push(p as never);
    return true;
  }

  /** The group's stale marker point at `tsMs`. */
  emitStale(g: PointGroup, tsMs: number): void {
    const slot = g.slot;
    const time = this.ns(tsMs);
    const common = { attributes: this.attrs(g), startTimeUnixNano: 0n, timeUnixNano: time, flags: FLAG_NO_RECORDED_VALUE, prom: g.prom };
    let p: NumberDataPoint | HistogramDataPoint | SummaryDataPoint;
    if (slot.kind === 'histogram') {
      const b = g.lastLayout;
      p = { ...common, count: 0, sum: g.lastHadSum ? NaN : undefined, bucketCounts: g.lastHadBuckets ? new Array<number>(b.length + 1).fill(0) : [], explicitBounds: g.lastHadBuckets ? b.slice() : [], exemplars: [], min: undefined, max: undefined };
    } else if (slot.kind === 'summary') {
      p = { ...common, count: 0, sum: NaN, quantileValues: g.lastLayout.map((q) => ({ quantile: q, value: NaN })) };
    } else {
      p = { ...common, value: NaN, exemplars: [] };
    }
    this.metricOf(slot).points.push(p as never);
  }

  /** Fills the resources of this scrape and returns the batch. */
  finish(): MetricsData {
    for (const r of this.resources) {
      const a: KeyValue[] = [{ key: 'service.name', value: r.job }, { key: 'service.instance.id', value: r.instance }];
      const hp = splitHostPort(r.instance);
      if (typeof hp !== 'string') {
        a.push({ key: 'server.address', value: hp[0] });
        const port = Number(hp[1]);
        if (hp[1] !== '' && Number.isInteger(port)) a.push({ key: 'server.port', value: BigInt(port) });
      } else if (r.instance !== '') a.push({ key: 'server.address', value: r.instance });
      if (this.o.scheme !== '') a.push({ key: 'url.scheme', value: this.o.scheme });
      for (const kv of r.targetInfo) {
        const i = a.findIndex((x) => x.key === kv.key);
        if (i >= 0) a[i] = { key: kv.key, value: kv.value };
        else a.push({ key: kv.key, value: kv.value });
      }
      r.rm!.resource.attributes = a;
    }
    // The batch now belongs to the pipeline: the cache must not keep it alive until the next scrape (100k points
    // held for a whole interval would be promoted to the old generation and collected there, scrape after scrape).
    for (const r of this.resources) r.rm = undefined;
    for (const sc of this.scopes) sc.sm = undefined;
    for (const sl of this.slots) sl.metric = undefined;
    return this.md;
  }

  isEmpty(): boolean {
    return this.md.resourceMetrics.length === 0;
  }
}
