/**
 * OTLP model -> Prometheus series, pushed into a PromSink (see types.ts for the sink contract).
 *
 * Contract
 * - One `PrometheusTranslator` per exporter configuration. `translate(md, sink)` walks the batch once and calls
 *   `sink.family()` before the first sample of each OTLP metric and `sink.series()` per sample; it returns the batch's
 *   `TranslateStats` (every point that yields nothing is counted by reason). It reads `md` and never mutates it,
 *   except `point.prom` when `attachPromIdentity` is set and the point has none.
 * - Types: gauge -> gauge (`prometheus.type` metadata may say unknown/info/stateset); cumulative monotonic sum ->
 *   counter; cumulative non-monotonic sum -> gauge; histogram -> `_bucket{le}` (cumulative, ascending, +Inf = count),
 *   `_sum` (when set), `_count`; summary -> `{quantile}` ascending, `_sum`, `_count`; `_created` (value = start ms) when
 *   `exportCreatedMetric`; delta monotonic sums / delta histograms only with `deltaToCumulative`; cumulative
 *   exponential histograms -> one native histogram per point (native-histogram.ts) through `sink.histogram()`, for
 *   sinks that have it (remote write); for the others (text formats) they count as `unsupported_exponential_histogram`.
 * - FLAG_NO_RECORDED_VALUE -> every series of the point carries STALE_NAN (and delta state is forgotten).
 * - `target_info` (gauge = 1, at the resource's latest sample time) once per job/instance per call.
 *
 * Caching (fast path): a point's `PointEntry` (all its SeriesRefs) is memoised on `point.prom` (src/model/prom-memo.ts) under this
 * instance's private Symbol, so for scraped series (the receiver keeps `prom` across scrapes) the per-sample work is
 * one Map lookup plus the sink call, and the sink's per-series memo slots (label bytes) survive across batches.
 * Points without `prom` (OTLP input) hit a content-keyed cache instead (series-cache.ts): one key build + Map lookup.
 * Resource/scope label contexts are computed lazily, once per resource/scope per call.
 */
import type {
  DataPoint,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Label,
  Metric,
  MetricsData,
  NumberDataPoint,
  SummaryDataPoint,
} from '../../model/types.ts';
import { FLAG_NO_RECORDED_VALUE } from '../../model/types.ts';
import { getPromMemo, setPromMemo } from '../../model/prom-memo.ts';
import { internLabels } from '../../model/label-intern.ts';
import { classify } from './classify.ts';
import type { HistogramResult, SumResult } from './delta-accumulator.ts';
import { DeltaAccumulator } from './delta-accumulator.ts';
import { LabelNamer } from './label-namer.ts';
import { toNativeHistogram } from './native-histogram.ts';
import type { LabelContext, LabelSettings, ResourceLabels } from './labels.ts';
import {
  applyShape,
  findShape,
  labelContext,
  pointLabels,
  resourceLabels,
  scopeLabels,
} from './labels.ts';
import { emitTargetInfo } from './target-info.ts';
import type { NameResult, NamerMetricType } from './metric-namer.ts';
import { buildMetricName, buildUnitName, isClassicMetricName } from './metric-namer.ts';
import { convertExemplar, exemplarsByBucket, PointEntry } from './series.ts';
import { SeriesContentCache } from './series-cache.ts';
import type { DropReason, FamilyType, PromExemplar, PromSink, TranslateStats, TranslatorOptions } from './types.ts';
import { newStats, SeriesKind } from './types.ts';
import { STALE_NAN } from './values.ts';

interface Family {
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
  readonly unit: string;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const NO_BOUNDS: readonly number[] = [];

function num(v: number | bigint): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Same length and the same label objects in order (interned labels: equal content is the same object). */
function sameObjects(a: readonly Label[], b: readonly Label[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class PrometheusTranslator {
  readonly options: TranslatorOptions;
  /** Key of this instance's entries in `PromSeries.cache`. */
  readonly cacheKey: symbol = Symbol('prometheus-translator');
  readonly labelNamer: LabelNamer;
  readonly accumulator: DeltaAccumulator | undefined;
  /** Content-keyed entries for points without `prom` (undefined when disabled). */
  readonly content: SeriesContentCache | undefined;
  private readonly settings: LabelSettings;
  private readonly nameMemo = new Map<string, NameResult>();
  private readonly namespace: string;
  private readonly suffixes: boolean;
  private readonly utf8: boolean;
  private readonly now: () => number;
  private lastExpireMs = 0;
  // Per-call state (translate is synchronous and not re-entrant).
  private stats: TranslateStats = newStats();
  private sink: PromSink | undefined = undefined;
  private family: Family | undefined = undefined;
  private familyEmitted = false;
  private familyLegacy: boolean | undefined = undefined;
  private familyNameId = -1;
  private nowMs = 0;
  private tNs = -1n;
  private tMs = 0;
  private sNs = -1n;
  private sMs = 0;
  private readonly sumOut: SumResult = { value: 0, start: 0n };
  private readonly histOut: HistogramResult = { count: 0, sum: 0, bucketCounts: [], bounds: [], start: 0n };

  constructor(options: TranslatorOptions = {}) {
    this.options = options;
    this.namespace = options.namespace ?? '';
    this.suffixes = options.addMetricSuffixes ?? true;
    this.utf8 = options.utf8Allowed ?? false;
    this.now = options.now ?? Date.now;
    this.labelNamer = new LabelNamer({
      utf8Allowed: this.utf8,
      underscoreLabelSanitization: options.underscoreLabelSanitization,
      preserveMultipleUnderscores: options.preserveMultipleUnderscores,
    });
    const external = [];
    for (const [name, value] of Object.entries(options.externalLabels ?? {})) {
      const r = this.labelNamer.build(name);
      if (r.error !== undefined || r.name !== name) throw new Error(`invalid external label name ${JSON.stringify(name)}`);
      if (value !== '') external.push({ name, value });
    }
    this.settings = {
      namer: this.labelNamer,
      promoteScope: options.promoteScopeMetadata ?? true,
      promoteAll: options.resourceToTelemetryConversion ?? false,
      promote: options.promoteResourceAttributes ?? [],
      ignoreResource: options.ignoreResourceAttributes ?? [],
      external: external.sort(byName),
      warn: options.onWarning,
    };
    this.accumulator = options.deltaToCumulative
      ? new DeltaAccumulator({ expirationMs: options.metricExpirationMs })
      : undefined;
    const cacheSize = options.seriesCacheSize ?? 100_000;
    this.content =
      cacheSize > 0 ? new SeriesContentCache(cacheSize, options.metricExpirationMs ?? 5 * 60_000, this.now()) : undefined;
  }

  /** The Prometheus name for an OTLP metric under this configuration (memoised). */
  metricName(name: string, unit: string, type: NamerMetricType): NameResult {
    const key = name + '\0' + unit + '\0' + type;
    let r = this.nameMemo.get(key);
    if (r === undefined) {
      r = buildMetricName(name, unit, type, {
        namespace: this.namespace,
        withMetricSuffixes: this.suffixes,
        utf8Allowed: this.utf8,
      });
      if (this.nameMemo.size >= 16384) this.nameMemo.clear();
      this.nameMemo.set(key, r);
    }
    return r;
  }

  translate(md: MetricsData, sink: PromSink): TranslateStats {
    const stats = (this.stats = newStats());
    this.sink = sink;
    this.nowMs = this.now();
    this.content?.tick(this.nowMs);
    if (this.accumulator !== undefined && this.nowMs - this.lastExpireMs >= 1000) {
      this.accumulator.expire(this.nowMs);
      this.lastExpireMs = this.nowMs;
    }
    try {
      const targets = new Set<string>();
      const targetCtx = {
        settings: this.settings,
        namespace: this.namespace,
        keepIdentifying: this.options.keepIdentifyingResourceAttributes ?? false,
        sink,
        stats,
      };
      let targetFamilyDone = false;
      for (const rm of md.resourceMetrics) {
        let rl: ResourceLabels | undefined;
        let latestMs = -1;
        for (const sm of rm.scopeMetrics) {
          let ctx: LabelContext | undefined;
          const getCtx = (): LabelContext => {
            rl ??= resourceLabels(rm.resource, this.settings);
            return (ctx ??= labelContext(rl, scopeLabels(sm.scope, sm.schemaUrl, this.settings), this.settings));
          };
          for (const m of sm.metrics) {
            const t = this.metric(m, getCtx);
            if (t > latestMs) latestMs = t;
          }
        }
        if (latestMs >= 0 && (this.options.targetInfo ?? true)) {
          rl ??= resourceLabels(rm.resource, this.settings);
          const key = (rl.job ?? '') + '\xff' + (rl.instance ?? '');
          if (!targets.has(key) && emitTargetInfo(rm.resource, rl, latestMs, !targetFamilyDone, targetCtx)) {
            targets.add(key);
            targetFamilyDone = true;
          }
        }
      }
    } finally {
      this.sink = undefined;
      this.family = undefined;
    }
    return stats;
  }

  /** Translate one metric; returns the latest sample time in ms (-1 when nothing was emitted). */
  private metric(m: Metric, getCtx: () => LabelContext): number {
    const points = m.points;
    if (points.length === 0) return -1;
    this.stats.points += points.length;
    if (m.type === 'exponential_histogram' && this.sink!.histogram === undefined) {
      return this.dropAll(points.length, 'unsupported_exponential_histogram');
    }
    const plan = classify(m, this.accumulator !== undefined);
    if (typeof plan === 'string') return this.dropAll(points.length, plan);
    const { kind, delta } = plan;
    const nr = this.metricName(m.name, m.unit, plan.namerType);
    if (nr.error !== undefined || nr.name === '') return this.dropAll(points.length, 'invalid_name');
    this.family = { name: nr.name, type: plan.familyType, help: m.description, unit: buildUnitName(m.unit, this.utf8) };
    // Escaped label names are classic by construction, so only the family name needs checking (once per metric).
    this.familyLegacy = !this.utf8 && isClassicMetricName(nr.name) ? true : undefined;
    this.familyEmitted = false;
    this.familyNameId = -1;
    let latest = -1;
    for (let i = 0; i < points.length; i++) {
      const pt = points[i]!;
      const entry = this.entry(pt, nr.name, getCtx);
      if (entry === undefined) continue;
      let t: number;
      if (kind === 'gauge') t = this.gauge(pt as NumberDataPoint, entry);
      else if (kind === 'counter') t = this.counter(pt as NumberDataPoint, entry, delta);
      else if (kind === 'histogram') t = this.histogram(pt as HistogramDataPoint, entry, delta);
      else if (kind === 'native_histogram') t = this.nativeHistogram(pt as ExponentialHistogramDataPoint, entry);
      else t = this.summary(pt as SummaryDataPoint, entry);
      if (t > latest) latest = t;
    }
    return latest;
  }

  private dropAll(n: number, reason: DropReason): number {
    return this.drop(reason, n), -1;
  }

  private drop(reason: DropReason, n = 1): void {
    this.stats.dropped += n;
    this.stats.droppedByReason[reason] += n;
  }

  /** FAST PATH: cached entry memoised on `prom`; otherwise build the label set (and memoise it when possible). */
  private entry(pt: DataPoint, name: string, getCtx: () => LabelContext): PointEntry | undefined {
    const prom = pt.prom;
    if (prom !== undefined) {
      const hit = getPromMemo(prom, this.cacheKey);
      if (hit !== undefined) return hit as PointEntry;
    }
    const ctx = getCtx();
    const attach = prom === undefined && this.options.attachPromIdentity === true;
    const content = prom === undefined ? this.content : undefined;
    let labels: Label[] | string;
    if (content !== undefined) {
      // Second-fastest path: OTLP points looked up by content (see series-cache.ts).
      const shape = findShape(pt.attributes, ctx, this.settings);
      if (typeof shape === 'string') return this.drop('invalid_label'), undefined;
      if (shape.cacheId < 0) shape.cacheId = content.shapeIdOf(ctx.override, ctx.fill, shape.keys);
      if (this.familyNameId < 0) this.familyNameId = content.nameIdOf(name);
      const hit = content.find(shape.cacheId, this.familyNameId, pt.attributes);
      if (hit !== undefined) {
        if (attach) pt.prom = { name, labels: hit.base.labels, memoKey: this.cacheKey, memo: hit, cache: undefined };
        return hit;
      }
      this.stats.collisions += shape.collisions;
      labels = applyShape(shape, pt.attributes);
    } else {
      labels = pointLabels(pt.attributes, ctx, this.settings, this.stats);
      if (typeof labels === 'string') return this.drop('invalid_label'), undefined;
    }
    const cacheable = prom !== undefined || attach || content !== undefined;
    // Cached entries live as long as their series: share their label objects (model/label-intern.ts).
    if (cacheable) {
      labels = internLabels(labels);
      // Scraped series usually translate to the labels they were scraped with: share that array too.
      if (prom !== undefined && sameObjects(labels, prom.labels)) labels = prom.labels as Label[];
    }
    const entry = new PointEntry(name, labels, cacheable, this.familyLegacy);
    if (prom !== undefined) setPromMemo(prom, this.cacheKey, entry);
    else if (attach) pt.prom = { name, labels, memoKey: this.cacheKey, memo: entry, cache: undefined };
    if (content !== undefined) content.insert(entry); // keyed by the find() above
    return entry;
  }

  private emitFamily(): void {
    this.familyEmitted = true;
    const f = this.family!;
    this.sink!.family(f.name, f.type, f.help, f.unit);
  }

  private timeMs(ns: bigint): number {
    if (ns !== this.tNs) (this.tNs = ns), (this.tMs = Number(ns / 1_000_000n));
    return this.tMs;
  }

  private startMs(ns: bigint): number {
    if (ns === 0n) return 0;
    if (ns !== this.sNs) (this.sNs = ns), (this.sMs = Number(ns / 1_000_000n));
    return this.sMs;
  }

  private readonly exemplarMs = (ns: bigint): number => Number(ns / 1_000_000n);

  private gauge(pt: NumberDataPoint, e: PointEntry): number {
    const ts = this.timeMs(pt.timeUnixNano);
    const v = (pt.flags & FLAG_NO_RECORDED_VALUE) !== 0 ? STALE_NAN : num(pt.value);
    if (!this.familyEmitted) this.emitFamily();
    this.sink!.series(e.base, v, ts, SeriesKind.GAUGE, 0, undefined);
    this.stats.samples++;
    return ts;
  }

  private counter(pt: NumberDataPoint, e: PointEntry, delta: boolean): number {
    const stale = (pt.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    let value = pt.value;
    let start = pt.startTimeUnixNano;
    if (delta) {
      const acc = this.accumulator!;
      if (stale) acc.forget(e.key());
      else {
        const r = acc.accumulateSum(e.key(), start, pt.timeUnixNano, value, this.nowMs, this.sumOut);
        if (r !== 'ok') return this.drop(r), -1;
        (value = this.sumOut.value), (start = this.sumOut.start);
      }
    }
    const ts = this.timeMs(pt.timeUnixNano);
    const startMs = this.startMs(start);
    let ex: PromExemplar[] | undefined;
    if (!stale && pt.exemplars.length > 0 && (this.options.exemplars ?? true)) {
      ex = pt.exemplars.map((x) => convertExemplar(x, this.labelNamer, this.exemplarMs));
    }
    if (!this.familyEmitted) this.emitFamily();
    const sink = this.sink!;
    sink.series(e.base, stale ? STALE_NAN : num(value), ts, SeriesKind.COUNTER, startMs, ex);
    this.stats.samples++;
    if (startMs !== 0 && this.options.exportCreatedMetric) this.created(e, stale, startMs, ts);
    return ts;
  }

  private created(e: PointEntry, stale: boolean, startMs: number, ts: number): void {
    this.sink!.series(e.created(), stale ? STALE_NAN : startMs, ts, SeriesKind.CREATED, startMs, undefined);
    this.stats.samples++;
  }

  private histogram(pt: HistogramDataPoint, e: PointEntry, delta: boolean): number {
    const stale = (pt.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    let count = pt.count;
    let sum = pt.sum;
    let counts: readonly number[] = pt.bucketCounts;
    let bounds: readonly number[] = pt.explicitBounds;
    let start = pt.startTimeUnixNano;
    if (counts.length !== 0 && counts.length !== bounds.length + 1) return this.drop('invalid_histogram'), -1;
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) return this.drop('invalid_histogram'), -1;
    if (delta) {
      const acc = this.accumulator!;
      if (stale) acc.forget(e.key());
      else {
        const h = this.histOut;
        const r = acc.accumulateHistogram(e.key(), pt, this.nowMs, h);
        if (r !== 'ok') return this.drop(r), -1;
        (count = h.count), (sum = h.sum), (counts = h.bucketCounts), (bounds = h.bounds), (start = h.start);
      }
    }
    const ts = this.timeMs(pt.timeUnixNano);
    const startMs = this.startMs(start);
    const refs = e.buckets(counts.length === 0 ? NO_BOUNDS : bounds);
    const nb = refs.length - 1;
    const byBucket =
      !stale && pt.exemplars.length > 0 && (this.options.exemplars ?? true)
        ? exemplarsByBucket(pt.exemplars, bounds, nb, this.labelNamer, this.exemplarMs)
        : undefined;
    if (!this.familyEmitted) this.emitFamily();
    const sink = this.sink!;
    let cum = 0;
    for (let i = 0; i < nb; i++) {
      cum += counts[i]!;
      sink.series(refs[i]!, stale ? STALE_NAN : cum, ts, SeriesKind.BUCKET, startMs, byBucket?.[i]);
    }
    sink.series(refs[nb]!, stale ? STALE_NAN : count, ts, SeriesKind.BUCKET, startMs, byBucket?.[nb]);
    let n = nb + 2;
    if (sum !== undefined) sink.series(e.sum(), stale ? STALE_NAN : sum, ts, SeriesKind.SUM, startMs, undefined), n++;
    sink.series(e.count(), stale ? STALE_NAN : count, ts, SeriesKind.COUNT, startMs, undefined);
    this.stats.samples += n;
    if (startMs !== 0 && this.options.exportCreatedMetric) this.created(e, stale, startMs, ts);
    return ts;
  }

  /** Exponential histogram point -> one native histogram sample (only reached when the sink has `histogram`). */
  private nativeHistogram(pt: ExponentialHistogramDataPoint, e: PointEntry): number {
    const ts = this.timeMs(pt.timeUnixNano);
    const h = toNativeHistogram(pt, ts);
    if (typeof h === 'string') return this.drop(h), -1;
    const stale = (pt.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    const ex =
      !stale && pt.exemplars.length > 0 && (this.options.exemplars ?? true)
        ? pt.exemplars.map((x) => convertExemplar(x, this.labelNamer, this.exemplarMs))
        : undefined;
    if (!this.familyEmitted) this.emitFamily();
    this.sink!.histogram!(e.base, h, SeriesKind.NATIVE_HISTOGRAM, this.startMs(pt.startTimeUnixNano), ex);
    this.stats.samples++;
    return ts;
  }

  private summary(pt: SummaryDataPoint, e: PointEntry): number {
    const stale = (pt.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    const ts = this.timeMs(pt.timeUnixNano);
    const startMs = this.startMs(pt.startTimeUnixNano);
    let qv = pt.quantileValues;
    for (let i = 1; i < qv.length; i++) {
      if (!(qv[i]!.quantile > qv[i - 1]!.quantile)) {
        qv = qv.slice().sort((a, b) => a.quantile - b.quantile); // spec: ascending quantiles
        break;
      }
    }
    const qs: number[] = new Array(qv.length);
    for (let i = 0; i < qv.length; i++) qs[i] = qv[i]!.quantile;
    const refs = e.quantiles(qs);
    if (!this.familyEmitted) this.emitFamily();
    const sink = this.sink!;
    for (let i = 0; i < qv.length; i++) {
      sink.series(refs[i]!, stale ? STALE_NAN : qv[i]!.value, ts, SeriesKind.QUANTILE, startMs, undefined);
    }
    sink.series(e.sum(), stale ? STALE_NAN : pt.sum, ts, SeriesKind.SUM, startMs, undefined);
    sink.series(e.count(), stale ? STALE_NAN : pt.count, ts, SeriesKind.COUNT, startMs, undefined);
    this.stats.samples += qv.length + 2;
    if (startMs !== 0 && this.options.exportCreatedMetric) this.created(e, stale, startMs, ts);
    return ts;
  }
}

/** Convenience: one-shot translation with a fresh translator. */
export function translate(md: MetricsData, options: TranslatorOptions, sink: PromSink): TranslateStats {
  return new PrometheusTranslator(options).translate(md, sink);
}
