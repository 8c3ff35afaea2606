/**
 * The data-path half of the `relabel` processor: applies compiled relabel rules to the Prometheus view of every
 * data point (see promview.ts) and writes the result back into the model.
 *
 * Contract
 * - `RelabelCore.apply(md)` mutates `md` (owned by the caller) and returns counts of dropped points:
 *   `dropped` (a rule dropped the series) and `noName` (the rules removed `__name__` from a named series; dropped
 *   too, as Prometheus refuses series without a metric name).
 * - A point whose labels did not change is not touched.
 * - A changed `__name__` moves the point into a metric of that name in the same scope (a shallow copy of the
 *   original metric: same type, unit, temporality...); one copy per new name per source metric.
 * - A changed `job`/`instance` moves the point into a new ResourceMetrics (inserted right after the original) with
 *   a patched copy of the resource; points with the same patch share it. Scope and metric shells are shallow copies.
 * - Metrics, scopes and resources emptied by drops or moves are removed; ones that arrived empty are kept.
 * - Every point whose attributes or metric name changed gets a new `prom`: for a point that had one and keeps its
 *   resource, a stable output identity (one per input identity, so translators' memos work across scrapes; its
 *   `labels` are empty: only its object identity is meaningful); otherwise (no identity, or a moved resource)
 *   `prom = undefined`.
 * Series cache: relabeling depends only on the series' labels, so each distinct series is relabeled once and its
 * outcome (drop / unchanged / edits) reused: memoised on the point's cached Prometheus identity object (`prom`, which by
 * the model's contract is reset whenever name, attributes or resource change) when present, else by a hash of
 * job, instance, metric name and attributes (in order), verified against the stored identity. That cache holds up to
 * 2 x `cacheSize` series (two generations; the older is dropped when the newer fills up); `cacheSize` 0 turns it off.
 */
import { anyValueToString } from '../../model/attributes.ts';
import type { AnyValue, Attributes, DataPoint, Metric, MetricsData, PromSeries, ResourceMetrics, ScopeMetrics } from '../../model/types.ts';
import { getPromMemo, promSeries, setPromMemo } from '../../model/prom-memo.ts';
import { applyRelabel, type CompiledRelabel } from '../../relabel/index.ts';
import { FNV_OFFSET, fnvMix, fnvString } from '../../util/fnv.ts';
import { diffOutcome, editAttributes, DROPPED, patchResource, resourceView, UNCHANGED, viewLabels, type Outcome, type ResourceView } from './promview.ts';

/** A cached series: its identity (metric name, job/instance, attributes in order) and outcome; chained per hash. */
interface Entry {
  readonly name: string;
  readonly prefix: string;
  readonly keys: readonly string[];
  readonly values: readonly string[];
  readonly outcome: Outcome;
  readonly next: Entry | undefined;
}

/** Most distinct outcomes kept for sharing (see RelabelCore.outcomes). */
const OUTCOME_LIMIT = 100_000;

function str(v: AnyValue): string {
  return typeof v === 'string' ? v : anyValueToString(v);
}

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`; a separator unit ends each string. */
function strHash(h: number, s: string): number {
  return fnvMix(fnvString(h, s), 0xffff);
}

function attrsHash(h: number, attrs: Attributes): number {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    h = strHash(strHash(h, kv.key), str(kv.value));
  }
  return h;
}

function find(e: Entry | undefined, name: string, prefix: string, attrs: Attributes): Entry | undefined {
  for (; e !== undefined; e = e.next) {
    if (e.name !== name || e.prefix !== prefix || e.keys.length !== attrs.length) continue;
    let i = 0;
    for (; i < attrs.length; i++) {
      const kv = attrs[i]!;
      if (e.keys[i] !== kv.key || e.values[i] !== str(kv.value)) break;
    }
    if (i === attrs.length) return e;
  }
  return undefined;
}

/**
 * Per input identity (memo on its PromSeries): the outcome and, once a point needed them (resource unchanged), the
 * output identity and the edited attributes (shared by the points of this identity only when `shareOutput`).
 * One object per series (it used to be two: the output pair was its own object).
 */
interface PromMemo {
  readonly outcome: Outcome;
  outProm: PromSeries | undefined;
  outAttrs: Attributes | undefined;
}

interface Moved {
  rm: ResourceMetrics;
  scopes: Map<ScopeMetrics, ScopeMetrics>;
}

export interface RelabelResult {
  dropped: number;
  noName: number;
}

export class RelabelCore {
  readonly compiled: CompiledRelabel;
  private readonly cacheSize: number;
  /** Memo key on input identities (model/prom-memo.ts): the series' PromMemo. One property read when inline. */
  private readonly memoKey = Symbol('relabel');
  /** Nothing downstream mutates data: relabeled points of one identity may share one attribute list. */
  shareOutput = false;
  /** Nothing downstream changes KeyValue objects in place: added/changed attributes may be shared interned objects. */
  shareKeyValues = false;
  /**
   * Distinct outcomes, hash-consed by their content: series that get the same edits (most of a target's series get
   * the same added labels) share one Outcome, its edits and its plan. Bounded: cleared when full (outcomes already
   * handed out stay valid).
   */
  private outcomes = new Map<string, Outcome>();
  private young = new Map<number, Entry>();
  private old = new Map<number, Entry>();
  private youngSize = 0;
  private oldSize = 0;
  /** Cache hits and misses (status page). */
  hits = 0;
  misses = 0;

  constructor(compiled: CompiledRelabel, cacheSize = 100_000) {
    this.compiled = compiled;
    this.cacheSize = cacheSize;
  }

  get cachedSeries(): number {
    return this.youngSize + this.oldSize;
  }

  apply(md: MetricsData): RelabelResult {
    const res: RelabelResult = { dropped: 0, noName: 0 };
    const out: ResourceMetrics[] = [];
    for (const rm of md.resourceMetrics) {
      const moved = new Map<string, Moved>();
      const rv = resourceView(rm.resource);
      const prefix = `${rv.job ?? ''}\u0000${rv.instance ?? ''}`;
      const hadScopes = rm.scopeMetrics.length > 0;
      let sw = 0;
      for (const sm of rm.scopeMetrics) {
        const hadMetrics = sm.metrics.length > 0;
        const metrics: Metric[] = [];
        for (const m of sm.metrics) {
          if (m.points.length === 0) metrics.push(m);
          else this.metric(rm, sm, m, rv, prefix, metrics, moved, res);
        }
        sm.metrics = metrics;
        if (metrics.length > 0 || !hadMetrics) rm.scopeMetrics[sw++] = sm;
      }
      rm.scopeMetrics.length = sw;
      if (sw > 0 || !hadScopes) out.push(rm);
      for (const mv of moved.values()) out.push(mv.rm);
    }
    md.resourceMetrics = out;
    return res;
  }

  /** The outcome for one point, from the cache or computed. */
  private outcome(name: string, nameHash: number, p: DataPoint, rv: ResourceView, prefix: string): Outcome {
    const prom = p.prom;
    let h = 0;
    if (prom !== undefined) {
      const o = getPromMemo(prom, this.memoKey) as PromMemo | undefined;
      if (o !== undefined) {
        this.hits++;
        return o.outcome;
      }
    } else if (this.cacheSize > 0) {
      h = attrsHash(nameHash, p.attributes);
      let e = find(this.young.get(h), name, prefix, p.attributes);
      if (e === undefined) {
        e = find(this.old.get(h), name, prefix, p.attributes);
        if (e !== undefined) this.remember(h, name, prefix, p.attributes, e.outcome);
      }
      if (e !== undefined) {
        this.hits++;
        return e.outcome;
      }
    }
    this.misses++;
    const labels = viewLabels(name, p.attributes, rv);
    const after = applyRelabel(this.compiled, labels);
    const o = after === null ? DROPPED : after === labels ? UNCHANGED : this.shared(diffOutcome(labels, after, name, p.attributes, rv));
    if (prom !== undefined) setPromMemo(prom, this.memoKey, { outcome: o, outProm: undefined, outAttrs: undefined } satisfies PromMemo);
    else if (this.cacheSize > 0) this.remember(h, name, prefix, p.attributes, o);
    return o;
  }

  /** The shared Outcome equal to `o` (see `outcomes`). */
  private shared(o: Outcome): Outcome {
    if (o.kind !== 3) return o;
    let key = `${o.nameChanged ? 'r' : 'k'}${o.name}\u0000${o.resourceKey}`;
    for (const e of o.edits) key += e.value === null ? `\u0000${e.key}\u0001` : `\u0000${e.key}\u0002${e.value}`;
    const found = this.outcomes.get(key);
    if (found !== undefined) return found;
    if (this.outcomes.size >= OUTCOME_LIMIT) this.outcomes = new Map();
    this.outcomes.set(key, o);
    return o;
  }

  private remember(h: number, name: string, prefix: string, attrs: Attributes, outcome: Outcome): void {
    if (this.youngSize >= this.cacheSize) {
      this.old = this.young;
      this.oldSize = this.youngSize;
      this.young = new Map();
      this.youngSize = 0;
    }
    const keys: string[] = new Array(attrs.length);
    const values: string[] = new Array(attrs.length);
    for (let i = 0; i < attrs.length; i++) {
      keys[i] = attrs[i]!.key;
      values[i] = str(attrs[i]!.value);
    }
    this.young.set(h, { name, prefix, keys, values, outcome, next: this.young.get(h) });
    this.youngSize++;
  }

  /** Relabels one metric's points; pushes the (possibly renamed) metrics that keep points into `metrics`. */
  private metric(rm: ResourceMetrics, sm: ScopeMetrics, m: Metric, rv: ResourceView, prefix: string, metrics: Metric[], moved: Map<string, Moved>, res: RelabelResult): void {
    const points = m.points as DataPoint[];
    let renamed: Map<string, Metric> | null = null;
    let movedTargets: Map<string, Metric> | null = null;
    const nameHash = strHash(strHash(FNV_OFFSET, prefix), m.name);
    let w = 0;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const o = this.outcome(m.name, nameHash, p, rv, prefix);
      if (o.kind === 0) {
        points[w++] = p;
        continue;
      }
      if (o.kind === 1) {
        res.dropped++;
        continue;
      }
      if (o.kind === 2) {
        res.noName++;
        continue;
      }
      // FAST PATH: a scraped series keeps a stable identity through the processor (one output identity per input
      // identity), so exporters' per-series memos keep working scrape after scrape; when nothing downstream mutates,
      // its edited attribute list is computed once and shared too.
      const inProm = p.prom;
      if (inProm !== undefined && o.resourceKey === '') {
        const memo = getPromMemo(inProm, this.memoKey) as PromMemo;
        if (memo.outProm === undefined) {
          memo.outProm = promSeries(o.name, []);
          memo.outAttrs = editAttributes(p.attributes, o, this.shareKeyValues);
        }
        p.attributes = this.shareOutput ? memo.outAttrs! : editAttributes(p.attributes, o, this.shareKeyValues);
        p.prom = memo.outProm;
      } else {
        p.attributes = editAttributes(p.attributes, o, this.shareKeyValues);
        p.prom = undefined;
      }
      const name = o.name;
      if (o.resourceKey === '') {
        if (!o.nameChanged) {
          points[w++] = p;
          continue;
        }
        renamed ??= new Map();
        let target = renamed.get(name);
        if (target === undefined) {
          target = { ...m, name, points: [] } as Metric;
          renamed.set(name, target);
        }
        (target.points as DataPoint[]).push(p);
        continue;
      }
      let mv = moved.get(o.resourceKey);
      if (mv === undefined) {
        mv = { rm: { resource: patchResource(rm.resource, o.patch, rv), scopeMetrics: [], schemaUrl: rm.schemaUrl }, scopes: new Map() };
        moved.set(o.resourceKey, mv);
      }
      let osm = mv.scopes.get(sm);
      if (osm === undefined) {
        osm = { scope: sm.scope, metrics: [], schemaUrl: sm.schemaUrl };
        mv.scopes.set(sm, osm);
        mv.rm.scopeMetrics.push(osm);
      }
      // One shell per (patch, new name) for this source metric.
      movedTargets ??= new Map();
      const key = `${o.resourceKey}\u0001${name}`;
      let target = movedTargets.get(key);
      if (target === undefined) {
        target = { ...m, name, points: [] } as Metric;
        movedTargets.set(key, target);
        osm.metrics.push(target);
      }
      (target.points as DataPoint[]).push(p);
    }
    points.length = w;
    if (w > 0) metrics.push(m);
    if (renamed !== null) for (const r of renamed.values()) metrics.push(r);
  }
}
