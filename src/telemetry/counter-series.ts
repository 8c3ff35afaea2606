/**
 * Counter storage behind ComponentTelemetry: the cumulative value of every counter series lives in plain numbers
 * here, and one SDK observable counter per name reports them at collection time. An `add` is then a few Map lookups
 * and number bumps, with no allocation (an SDK sync counter hashes the attribute set with Object.keys + sort +
 * JSON.stringify and allocates on every call).
 *
 * Contract
 * - Series are identified as the SDK does (metric name + attribute set, key order ignored) and keep the attributes
 *   object of their first `add`, so names, attributes and their order on /metrics and OTLP are the SDK's.
 * - Values live as long as the CounterStore (one per SelfTelemetry, i.e. per gateway): a component re-created by a
 *   reload with the same id continues its series, and a reader change (new MeterProvider) does not reset them.
 * - Negative increments are not counted (the SDK drops them too); the status-page mirrors do count them.
 *
 * Hot path: `CounterHandleImpl.add` walks a per-handle trie keyed by the caller's (key, value) pairs in their own
 * order (for...in, no allocation); only the first `add` of an attribute set (in a given key order) builds keys.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import type { Attrs, CounterHandle } from './component-telemetry.ts';

/** One exported series: its full attributes (component id + the caller's) and cumulative value. */
interface SeriesCell {
  readonly attrs: Attrs;
  value: number;
}

interface CounterMeta {
  readonly description: string;
  readonly unit: string;
  /** By the SDK's attribute hash (sorted keys). */
  readonly cells: Map<string, SeriesCell>;
}

/** The SDK's attribute-set identity (sdk-metrics utils hashAttributes): key order does not matter. */
function attributeKey(attrs: Attrs): string {
  const keys = Object.keys(attrs);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, attrs[k]]));
}

export class CounterStore {
  private readonly counters = new Map<string, CounterMeta>();
  private meter: Meter | undefined;

  /** The series of counter `name` with these full attributes, created (and its instrument registered) on first use. */
  cell(name: string, description: string, unit: string, attrs: Attrs): SeriesCell {
    let meta = this.counters.get(name);
    if (!meta) {
      this.counters.set(name, (meta = { description, unit, cells: new Map() }));
      if (this.meter) this.observe(this.meter, name, meta);
    }
    const key = attributeKey(attrs);
    let c = meta.cells.get(key);
    if (!c) meta.cells.set(key, (c = { attrs, value: 0 }));
    return c;
  }

  /** Registers every counter on a (new) meter, later counters register themselves on it; `undefined` after shutdown. */
  bind(meter: Meter | undefined): void {
    this.meter = meter;
    if (meter) for (const [name, meta] of this.counters) this.observe(meter, name, meta);
  }

  private observe(meter: Meter, name: string, meta: CounterMeta): void {
    meter.createObservableCounter(name, { description: meta.description, unit: meta.unit }).addCallback((res) => {
      for (const c of meta.cells.values()) res.observe(c.value, c.attrs as Attributes);
    });
  }
}

/** A status-page mirror of one counter in one component instance (reset with the instance). */
export interface Mirror {
  total: number;
  /** By JSON.stringify of the caller's attributes, in their key order. */
  byAttrs: Map<string, { n: number }>;
}

/** Where one attribute set (in one key order) ends: its exported series and its mirror entry. */
interface Leaf {
  readonly cell: SeriesCell;
  readonly entry: { n: number };
}

interface TrieNode {
  /** key -> value -> next node. */
  next: Map<string, Map<unknown, TrieNode>> | undefined;
  leaf: Leaf | undefined;
}

export class CounterHandleImpl implements CounterHandle {
  private readonly root: TrieNode = { next: undefined, leaf: undefined };
  private baseCell: SeriesCell | undefined;
  private readonly store: CounterStore;
  private readonly name: string;
  private readonly description: string;
  private readonly unit: string;
  private readonly base: Attrs;
  private readonly mirror: Mirror;

  constructor(store: CounterStore, name: string, description: string, unit: string, base: Attrs, mirror: Mirror) {
    this.store = store;
    this.name = name;
    this.description = description;
    this.unit = unit;
    this.base = base;
    this.mirror = mirror;
  }

  add(n: number, attrs?: Attrs): void {
    if (n === 0) return;
    this.mirror.total += n;
    if (attrs === undefined) {
      if (n > 0) (this.baseCell ??= this.store.cell(this.name, this.description, this.unit, { ...this.base })).value += n;
      return;
    }
    let node: TrieNode | undefined = this.root;
    for (const k in attrs) {
      node = node.next?.get(k)?.get(attrs[k]);
      if (node === undefined) break;
    }
    const leaf = node?.leaf ?? this.insert(attrs);
    leaf.entry.n += n;
    if (n > 0) leaf.cell.value += n;
  }

  /** First add of this attribute set in this key order: find or create its series and mirror entry. */
  private insert(attrs: Attrs): Leaf {
    let node = this.root;
    for (const k in attrs) {
      const byValue = (node.next ??= new Map()).get(k) ?? new Map<unknown, TrieNode>();
      node.next.set(k, byValue);
      let child = byValue.get(attrs[k]);
      if (!child) byValue.set(attrs[k], (child = { next: undefined, leaf: undefined }));
      node = child;
    }
    const json = JSON.stringify(attrs);
    let entry = this.mirror.byAttrs.get(json);
    if (!entry) this.mirror.byAttrs.set(json, (entry = { n: 0 }));
    return (node.leaf = { cell: this.store.cell(this.name, this.description, this.unit, { ...this.base, ...attrs }), entry });
  }
}
