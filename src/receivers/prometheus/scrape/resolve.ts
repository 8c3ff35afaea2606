/**
 * The cache-miss path of the scrape loop: a raw series line seen for the first time becomes a `SeriesEntry`.
 *
 * Contract
 * - `buildEntry` reads the current Series entry of the parser and applies, in Prometheus 2.42's order: duplicate label
 *   name check (head: `label name "x" is not unique`), target labels (`mutateSampleLabels`: honor_labels keeps the
 *   scraped value, otherwise clashing scraped labels become `exported_<name>`), empty values dropped,
 *   metric_relabel_configs, `__name__` presence, name validity, label limits, then external labels (added when
 *   absent, as remote write does). Failures throw `ScrapeError` (the whole scrape fails, as upstream).
 * - `resolveRole` maps the final name onto the target's metadata (TYPE lines) as the Collector's prometheus receiver
 *   does (exact name, else the name without `_bucket`/`_count`/`_sum`/`_total`/`_created`/`_info`...) and interns the
 *   entry's `PointGroup` (and slots) by final identity. It is re-run when the cache's `metaGen` changed.
 */
import type { Parser } from '../../../codec/promtext/index.ts';
import type { KeyValue, Label } from '../../../model/types.ts';
import { promSeries } from '../../../model/prom-memo.ts';
import { internKeyValue, internLabel, internLabels } from '../../../model/label-intern.ts';
import { applyRelabel, type CompiledRelabel } from '../../../relabel/index.ts';
import { byName, getLabel } from '../labels.ts';
import { MetricSlot, PointGroup, ResourceSlot, Role, ScopeSlot, ScrapeCache, SeriesEntry, type SlotKind } from './cache.ts';
import { ScrapeError } from './http-client.ts';

export interface LabelLimits {
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
}

export interface ResolveContext {
  cache: ScrapeCache;
  /** Target labels without `__` ones, sorted. */
  targetLabels: readonly Label[];
  honorLabels: boolean;
  metricRelabel: CompiledRelabel | null;
  /** Sorted. */
  externalLabels: readonly Label[];
  limits: LabelLimits;
  scopeName: string;
  scopeVersion: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function lsetString(name: string, labels: readonly Label[]): string {
  const all = [{ name: '__name__', value: name }, ...labels].sort(byName);
  return '{' + all.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
}

function trunc50(s: string): string {
  return s.length > 50 ? s.slice(0, 50) : s;
}

function checkLimits(name: string, labels: readonly Label[], l: LabelLimits): void {
  if (l.labelLimit > 0 && labels.length + 1 > l.labelLimit) {
    throw new ScrapeError('label_limit', `label_limit exceeded (metric: ${trunc50(name)}, number of labels: ${labels.length + 1}, limit: ${l.labelLimit})`);
  }
  if (l.labelNameLengthLimit === 0 && l.labelValueLengthLimit === 0) return;
  const all = [{ name: '__name__', value: name }, ...labels].sort(byName);
  for (const lb of all) {
    const nl = Buffer.byteLength(lb.name);
    if (l.labelNameLengthLimit > 0 && nl > l.labelNameLengthLimit) {
      throw new ScrapeError('label_limit', `label_name_length_limit exceeded (metric: ${trunc50(name)}, label name: ${trunc50(lb.name)}, length: ${nl}, limit: ${l.labelNameLengthLimit})`);
    }
    const vl = Buffer.byteLength(lb.value);
    if (l.labelValueLengthLimit > 0 && vl > l.labelValueLengthLimit) {
      throw new ScrapeError(
        'label_limit',
        `label_value_length_limit exceeded (metric: ${trunc50(name)}, label name: ${trunc50(lb.name)}, value: ${JSON.stringify(trunc50(lb.value))}, length: ${vl}, limit: ${l.labelValueLengthLimit})`,
      );
    }
  }
}

/** Cache miss: final labels for the parser's current series, or a dropped entry. Throws ScrapeError. */
export function buildEntry(ctx: ResolveContext, p: Parser, raw: string): SeriesEntry {
  const exposed = new Map<string, string>();
  exposed.set('__name__', p.metricName());
  const n = p.labelCount();
  for (let i = 0; i < n; i++) {
    const k = p.labelName(i);
    if (exposed.has(k)) throw new ScrapeError('invalid_series', `label name ${JSON.stringify(k)} is not unique: invalid sample`);
    exposed.set(k, p.labelValue(i));
  }
  const lb = new Map(exposed);
  const tl = ctx.targetLabels;
  if (ctx.honorLabels) {
    for (const l of tl) if (!exposed.has(l.name)) lb.set(l.name, l.value);
  } else {
    const conflicts: Label[] = [];
    for (const l of tl) {
      const existing = exposed.get(l.name) ?? '';
      if (existing !== '') conflicts.push({ name: l.name, value: existing });
      lb.set(l.name, l.value);
    }
    if (conflicts.length > 0) {
      conflicts.sort((a, b) => a.name.length - b.name.length);
      const taken = (nm: string, upto: number) => exposed.has(nm) || getLabel(tl, nm) !== '' || tl.some((l) => l.name === nm) || conflicts.slice(0, upto).some((c) => c.name === nm);
      for (let i = 0; i < conflicts.length; i++) {
        let nm = conflicts[i]!.name;
        do nm = 'exported_' + nm;
        while (taken(nm, i));
        conflicts[i] = { name: nm, value: conflicts[i]!.value };
      }
      for (const c of conflicts) lb.set(c.name, c.value);
    }
  }
  let lset: readonly Label[] = [...lb].filter(([, v]) => v !== '').map(([name, value]) => ({ name, value })).sort(byName);
  if (ctx.metricRelabel !== null && ctx.metricRelabel.rules.length > 0) {
    const r = applyRelabel(ctx.metricRelabel, lset);
    if (r === null) return ctx.cache.addDropped(raw);
    lset = r;
  }
  const name = getLabel(lset, '__name__');
  if (name === '') {
    if (lset.length === 0) return ctx.cache.addDropped(raw);
    throw new ScrapeError('invalid_series', 'missing metric name (__name__ label)');
  }
  let labels = lset.filter((l) => l.name !== '__name__');
  if (!METRIC_NAME.test(name) || labels.some((l) => !LABEL_NAME.test(l.name))) {
    throw new ScrapeError('invalid_series', `invalid metric name or label names: ${lsetString(name, labels)}`);
  }
  checkLimits(name, labels, ctx.limits);
  if (ctx.externalLabels.length > 0) {
    const extra = ctx.externalLabels.filter((e) => getLabel(labels, e.name) === '');
    if (extra.length > 0) labels = [...labels, ...extra].sort(byName);
  }
  // Long-lived: shared label objects and owned strings (parser strings are slices of the whole body).
  return ctx.cache.insert(raw, new SeriesEntry(false, internName(name), internLabels(labels)));
}

/** The metric name as an owned string, shared with the `__name__` label table. */
function internName(name: string): string {
  return internLabel('__name__', name).value;
}

interface Plan {
  role: Role;
  family: string;
  type: string;
}

const SUFFIXES = ['_bucket', '_count', '_sum', '_gcount', '_gsum', '_total', '_created', '_info'] as const;

/** Which family and role the final name has, from the target's TYPE metadata. */
function plan(cache: ScrapeCache, name: string, labels: readonly Label[]): Plan {
  const direct = cache.metadata.get(name);
  if (direct !== undefined) {
    const t = direct.type;
    if (t === 'summary') return getLabel(labels, 'quantile') !== '' || hasLabel(labels, 'quantile') ? { role: Role.QUANTILE, family: name, type: t } : { role: Role.VALUE, family: name, type: 'unknown' };
    if (t === 'histogram' || t === 'gaugehistogram') return { role: Role.VALUE, family: name, type: 'unknown' };
    return { role: Role.VALUE, family: name, type: t };
  }
  for (const s of SUFFIXES) {
    if (!name.endsWith(s) || name.length === s.length) continue;
    const base = name.slice(0, -s.length);
    const m = cache.metadata.get(base);
    if (m === undefined) continue;
    const t = m.type;
    if (t === 'gaugehistogram' && (s === '_bucket' || s === '_gcount' || s === '_gsum' || s === '_created')) return { role: Role.IGNORE, family: base, type: t };
    if (t === 'histogram' && s === '_bucket') return { role: Role.BUCKET, family: base, type: t };
    if ((t === 'histogram' || t === 'summary') && (s === '_count' || s === '_sum')) return { role: s === '_count' ? Role.COUNT : Role.SUM, family: base, type: t };
    if ((t === 'counter' || t === 'histogram' || t === 'summary') && s === '_created') return { role: Role.CREATED, family: base, type: t };
    if (t === 'counter' && s === '_total') return { role: Role.VALUE, family: base, type: t };
    if (t === 'info' && s === '_info') return { role: Role.VALUE, family: base, type: t };
  }
  return { role: Role.VALUE, family: name, type: 'unknown' };
}

function hasLabel(labels: readonly Label[], n: string): boolean {
  for (const l of labels) if (l.name === n) return true;
  return false;
}

function kindOf(type: string): [SlotKind, boolean, string] {
  switch (type) {
    case 'counter':
      return ['sum', true, 'counter'];
    case 'gauge':
      return ['gauge', false, 'gauge'];
    case 'info':
    case 'stateset':
      return ['sum', false, type];
    case 'histogram':
      return ['histogram', false, 'histogram'];
    case 'summary':
      return ['summary', false, 'summary'];
    default:
      return ['gauge', false, 'unknown'];
  }
}

const SCOPE_PREFIX = 'otel_scope_';

function resourceSlot(cache: ScrapeCache, job: string, instance: string): ResourceSlot {
  const key = job + '\xff' + instance;
  let r = cache.resources.get(key);
  if (r === undefined) cache.resources.set(key, (r = new ResourceSlot(job, instance)));
  return r;
}

function scopeSlot(ctx: ResolveContext, res: ResourceSlot, labels: readonly Label[]): ScopeSlot {
  let name = ctx.scopeName;
  let version = ctx.scopeVersion;
  let schemaUrl = '';
  const attrs: KeyValue[] = [];
  let scoped = false;
  for (const l of labels) {
    if (!l.name.startsWith(SCOPE_PREFIX)) continue;
    scoped = true;
    const k = l.name.slice(SCOPE_PREFIX.length);
    if (k === 'name') name = l.value;
    else if (k === 'version') version = l.value;
    else if (k === 'schema_url') schemaUrl = l.value;
    else attrs.push({ key: k, value: l.value });
  }
  if (scoped && getLabel(labels, 'otel_scope_version') === '') version = '';
  const key = res.job + '\xff' + res.instance + '\xff' + name + '\xff' + version + '\xff' + schemaUrl + '\xff' + attrs.map((a) => `${a.key}=${String(a.value)}`).join('\xfe');
  let s = ctx.cache.scopes.get(key);
  if (s === undefined) ctx.cache.scopes.set(key, (s = new ScopeSlot(res, name, version, schemaUrl, attrs)));
  return s;
}

/** (Re)resolves `e`'s role, bound and point group under the current metadata. */
export function resolveRole(ctx: ResolveContext, e: SeriesEntry): void {
  const cache = ctx.cache;
  e.metaGen = cache.metaGen;
  if (e.name === 'target_info') {
    e.role = Role.TARGET_INFO;
    e.group = undefined;
    return;
  }
  const pl = plan(cache, e.name, e.labels);
  let role = pl.role;
  let strip = '';
  if (role === Role.BUCKET || role === Role.QUANTILE) {
    strip = role === Role.BUCKET ? 'le' : 'quantile';
    const raw = getLabel(e.labels, strip);
    const v = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (raw === '' || Number.isNaN(v) || raw.trim() !== raw) role = Role.IGNORE;
    else e.bound = v;
  }
  e.role = role;
  if (role === Role.IGNORE) {
    e.group = undefined;
    return;
  }
  const [kind, monotonic, promType] = kindOf(pl.type);
  const ident = strip === '' ? e.labels : e.labels.filter((l) => l.name !== strip);
  // The OTLP name: the family name, except that counters keep the `_total` of their samples (OpenMetrics style).
  let otlpName = pl.family;
  if (pl.type === 'counter') otlpName = role === Role.VALUE ? e.name : pl.family.endsWith('_total') ? pl.family : pl.family + '_total';
  else if (pl.type === 'info') otlpName = e.name.endsWith('_info') ? e.name : pl.family;
  let g = cache.groups.get(kind, pl.family, ident);
  if (g === undefined) {
    const res = resourceSlot(cache, getLabel(e.labels, 'job'), getLabel(e.labels, 'instance'));
    const scope = scopeSlot(ctx, res, e.labels);
    const skey = `${res.job}\xff${res.instance}\xff${scope.name}\xff${scope.version}\xff${scope.schemaUrl}\xff${scope.attributes.map((a) => `${a.key}=${String(a.value)}`).join('\xfe')}\xff${otlpName}\xff${kind}`;
    let slot = cache.slots.get(skey);
    if (slot === undefined) cache.slots.set(skey, (slot = new MetricSlot(scope, otlpName, kind, monotonic, promType, pl.family)));
    const attributes: KeyValue[] = [];
    for (const l of ident) {
      if (l.name === 'job' || l.name === 'instance' || l.name.startsWith(SCOPE_PREFIX)) continue;
      attributes.push(internKeyValue(l.name, l.value));
    }
    g = new PointGroup(slot, attributes, promSeries(otlpName, ident));
    cache.groups.add(g);
  }
  g.lastIter = cache.iter;
  e.group = g;
}

export { resourceSlot, scopeSlot };
