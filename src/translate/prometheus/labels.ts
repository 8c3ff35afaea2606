/**
 * Label sets for OTLP points (Prometheus' createAttributes, helper.go), computed in two stages so the per-point work is
 * small: `resourceLabels` + `scopeLabels` once per resource/scope per batch give a `LabelContext`; `pointLabels` then
 * merges the point's attributes into it, following a merge plan computed once per attribute-key set ("shape").
 *
 * Precedence (as upstream): point attributes (sanitised; keys colliding after sanitising are joined with ';' in
 * lexicographic order of the original keys) < otel_scope_* labels < job/instance; promoted resource attributes and
 * external labels only fill names nobody else set (promoted before external). Scope attributes that collide with
 * otel_scope_name/version/schema_url are dropped (spec). Labels with empty values are removed (Prometheus treats an
 * empty value as an absent label; remote write forbids them). A point label named `__name__` is dropped.
 * Results are sorted by name. A key that cannot be sanitised is an error (string result): the caller drops the point.
 * Returned label arrays may share Label objects with the context (never mutate them).
 */
import { anyValueToString } from '../../model/attributes.ts';
import type { Attributes, InstrumentationScope, Label, Resource } from '../../model/types.ts';
import type { LabelNamer } from './label-namer.ts';

export interface LabelSettings {
  readonly namer: LabelNamer;
  readonly promoteScope: boolean;
  readonly promoteAll: boolean;
  readonly promote: readonly string[];
  readonly ignoreResource: readonly string[];
  /** Sorted, already valid. */
  readonly external: readonly Label[];
  readonly warn: ((message: string) => void) | undefined;
}

export interface ResourceLabels {
  readonly job: string | undefined;
  readonly instance: string | undefined;
  /** Promoted resource attributes as sanitised labels, sorted (first key wins on a name clash). */
  readonly promoted: readonly Label[];
}

/**
 * Per (resource, scope): `override` replaces point labels, `fill` only adds missing names (both sorted), and the
 * recently seen attribute-key "shapes" with their precomputed merge plans.
 */
export interface LabelContext {
  readonly override: readonly Label[];
  readonly fill: readonly Label[];
  readonly shapes: Shape[];
}

/**
 * Merge plan for points whose attribute keys are exactly `keys` (same order). Entry k is: `src[k] >= 0` the value of
 * attribute `src[k]` under `names[k]`; `-1` the constant `consts[k]` (from the context); `-2` the ';'-join of the
 * attributes `groups[k]` (a collision).
 */
export interface Shape {
  readonly keys: readonly string[];
  readonly names: readonly string[];
  readonly src: readonly number[];
  readonly consts: readonly (Label | undefined)[];
  readonly groups: readonly (readonly number[] | undefined)[];
  readonly collisions: number;
  /** Free slot for the translator's content cache (persistent id of context + keys); -1 until assigned. */
  cacheId: number;
}

const MAX_SHAPES = 8;

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
export const IDENTIFYING_ATTRIBUTES: readonly string[] = [SERVICE_NAMESPACE, SERVICE_NAME, SERVICE_INSTANCE_ID];

const byName = (a: Label, b: Label): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function lookup(attrs: Attributes, key: string): string | undefined {
  for (let i = 0; i < attrs.length; i++) if (attrs[i]!.key === key) return anyValueToString(attrs[i]!.value);
  return undefined;
}

/** job = `<service.namespace>/<service.name>` or `<service.name>`; instance = service.instance.id. */
export function resourceLabels(resource: Resource, s: LabelSettings): ResourceLabels {
  const attrs = resource.attributes;
  let job = lookup(attrs, SERVICE_NAME);
  if (job !== undefined) {
    const ns = lookup(attrs, SERVICE_NAMESPACE);
    if (ns !== undefined) job = ns + '/' + job;
  }
  const instance = lookup(attrs, SERVICE_INSTANCE_ID);
  const promoted: Label[] = [];
  if (s.promoteAll || s.promote.length > 0) {
    const seen = new Set<string>();
    const add = (key: string, value: string): void => {
      const r = s.namer.build(key);
      if (r.error !== undefined || seen.has(r.name)) return;
      seen.add(r.name);
      promoted.push({ name: r.name, value });
    };
    if (s.promoteAll) {
      for (const kv of attrs) if (!s.ignoreResource.includes(kv.key)) add(kv.key, anyValueToString(kv.value));
    } else {
      for (const key of s.promote) {
        const v = lookup(attrs, key);
        if (v !== undefined) add(key, v);
      }
    }
    promoted.sort(byName);
  }
  return { job, instance, promoted };
}

/** otel_scope_* labels (empty when promotion is off or the scope has no name), sorted. */
export function scopeLabels(scope: InstrumentationScope | undefined, schemaUrl: string, s: LabelSettings): Label[] {
  if (!s.promoteScope || scope === undefined || scope.name === '') return [];
  const out: Label[] = [
    { name: 'otel_scope_name', value: scope.name },
    { name: 'otel_scope_version', value: scope.version },
    { name: 'otel_scope_schema_url', value: schemaUrl },
  ];
  for (const kv of scope.attributes) {
    const r = s.namer.build('otel_scope_' + kv.key);
    if (r.error !== undefined) continue;
    // Spec: scope attributes colliding with the three fixed labels MUST be dropped (also later duplicates).
    if (out.some((l) => l.name === r.name)) continue;
    out.push({ name: r.name, value: anyValueToString(kv.value) });
  }
  return out.sort(byName);
}

/** Combine resource and scope labels with the external labels into the two merge lists used per point. */
export function labelContext(r: ResourceLabels, scope: readonly Label[], s: LabelSettings): LabelContext {
  const override: Label[] = [];
  for (const l of scope) if (l.name !== 'job' && l.name !== 'instance') override.push(l);
  if (r.job !== undefined) override.push({ name: 'job', value: r.job });
  if (r.instance !== undefined) override.push({ name: 'instance', value: r.instance });
  override.sort(byName);
  const taken = new Set(override.map((l) => l.name));
  const fill: Label[] = [];
  for (const l of r.promoted) if (!taken.has(l.name)) (taken.add(l.name), fill.push(l));
  for (const l of s.external) if (!taken.has(l.name)) (taken.add(l.name), fill.push(l));
  fill.sort(byName);
  return { override, fill, shapes: [] };
}

/** Collision counter shared with the translator's stats. */
export interface CollisionSink {
  collisions: number;
}

// Scratch for shape building (synchronous, not re-entrant): original keys, sanitised names, attribute index, order.
const sKey: string[] = [];
const sName: string[] = [];
const sAttr: number[] = [];
const order: number[] = [];

/** (sanitised name, original key) order: equal names stay grouped in original-key order for the ';' join. */
function before(a: number, b: number): boolean {
  const na = sName[a]!;
  const nb = sName[b]!;
  return na < nb || (na === nb && sKey[a]! < sKey[b]!);
}

function sortOrder(m: number): void {
  for (let i = 0; i < m; i++) order[i] = i;
  if (m > 24) {
    const o = order.slice(0, m).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    for (let i = 0; i < m; i++) order[i] = o[i]!;
    return;
  }
  for (let i = 1; i < m; i++) {
    const x = order[i]!;
    let j = i - 1;
    while (j >= 0 && before(x, order[j]!)) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = x;
  }
}

function sameKeys(attrs: Attributes, keys: readonly string[]): boolean {
  if (attrs.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (attrs[i]!.key !== keys[i]) return false;
  return true;
}

/** Builds the merge plan for `attrs`' key set (warns about collisions once per shape), or an error message. */
function buildShape(attrs: Attributes, ctx: LabelContext, s: LabelSettings, ignore: readonly string[] | undefined): Shape | string {
  let m = 0;
  for (let i = 0; i < attrs.length; i++) {
    const key = attrs[i]!.key;
    if (ignore !== undefined && ignore.includes(key)) continue;
    const r = s.namer.build(key);
    if (r.error !== undefined) return r.error;
    if (r.name === '__name__') continue;
    sKey[m] = key;
    sName[m] = r.name;
    sAttr[m] = i;
    m++;
  }
  sortOrder(m);
  const names: string[] = [];
  const src: number[] = [];
  const consts: (Label | undefined)[] = [];
  const groups: (number[] | undefined)[] = [];
  let collisions = 0;
  const { override, fill } = ctx;
  let a = 0;
  let b = 0;
  let c = 0;
  while (a < m || b < override.length || c < fill.length) {
    // Smallest current name across own (grouped), override and fill; override beats own, own beats fill.
    let name: string | undefined = a < m ? sName[order[a]!] : undefined;
    if (b < override.length && (name === undefined || override[b]!.name < name)) name = override[b]!.name;
    if (c < fill.length && (name === undefined || fill[c]!.name < name)) name = fill[c]!.name;
    let constant: Label | undefined;
    let group: number[] | undefined;
    let single = -1;
    if (b < override.length && override[b]!.name === name) constant = override[b++]!;
    if (a < m && sName[order[a]!] === name) {
      const first = order[a++]!;
      if (a < m && sName[order[a]!] === name) {
        group = [sAttr[first]!];
        const keys = [JSON.stringify(sKey[first])];
        for (; a < m && sName[order[a]!] === name; a++) {
          group.push(sAttr[order[a]!]!);
          keys.push(JSON.stringify(sKey[order[a]!]));
        }
        collisions++;
        s.warn?.(
          `OTLP data point attributes ${keys.join(', ')} collide as label ${JSON.stringify(name)} after name sanitization, values are concatenated with ';'`,
        );
      } else single = sAttr[first]!;
    }
    if (c < fill.length && fill[c]!.name === name) {
      if (constant === undefined && group === undefined && single < 0) constant = fill[c]!;
      c++;
    }
    if (constant !== undefined) {
      if (constant.value === '') continue;
      names.push(name!), src.push(-1), consts.push(constant), groups.push(undefined);
    } else if (group !== undefined) {
      names.push(name!), src.push(-2), consts.push(undefined), groups.push(group);
    } else {
      names.push(name!), src.push(single), consts.push(undefined), groups.push(undefined);
    }
  }
  return { keys: attrs.map((kv) => kv.key), names, src, consts, groups, collisions, cacheId: -1 };
}

export function attributeValue(attrs: Attributes, i: number): string {
  const v = attrs[i]!.value;
  return typeof v === 'string' ? v : anyValueToString(v);
}

/**
 * Sanitised point attributes merged with the context. Returns the sorted label array, or an error message when an
 * attribute key cannot become a label name.
 * FAST PATH: points of one scope usually share their attribute keys, so the sanitising, sorting, collision grouping
 * and merge are planned once per key set ("shape", matched by key identity) and each point only stringifies values.
 * Collision warnings are therefore emitted once per shape and context; `stats.collisions` counts every point.
 */
export function pointLabels(
  attrs: Attributes,
  ctx: LabelContext,
  s: LabelSettings,
  stats: CollisionSink,
  ignore?: readonly string[],
): Label[] | string {
  const shape = findShape(attrs, ctx, s, ignore);
  if (typeof shape === 'string') return shape;
  stats.collisions += shape.collisions;
  return applyShape(shape, attrs);
}

/** The merge plan for `attrs`' key set: matched by key identity among the context's recent shapes, else built. */
export function findShape(
  attrs: Attributes,
  ctx: LabelContext,
  s: LabelSettings,
  ignore?: readonly string[],
): Shape | string {
  if (ignore === undefined) {
    const shapes = ctx.shapes;
    for (let i = 0; i < shapes.length; i++) if (sameKeys(attrs, shapes[i]!.keys)) return shapes[i]!;
  }
  const built = buildShape(attrs, ctx, s, ignore);
  if (typeof built !== 'string' && ignore === undefined) {
    if (ctx.shapes.length >= MAX_SHAPES) ctx.shapes.shift();
    ctx.shapes.push(built);
  }
  return built;
}

/** The sorted label array of a point with the shape's keys. */
export function applyShape(shape: Shape, attrs: Attributes): Label[] {
  const out: Label[] = [];
  const { names, src } = shape;
  for (let k = 0; k < names.length; k++) {
    const from = src[k]!;
    if (from === -1) {
      out.push(shape.consts[k]!);
      continue;
    }
    let value: string;
    if (from >= 0) value = attributeValue(attrs, from);
    else {
      const g = shape.groups[k]!;
      value = attributeValue(attrs, g[0]!);
      for (let j = 1; j < g.length; j++) value += ';' + attributeValue(attrs, g[j]!);
    }
    if (value !== '') out.push({ name: names[k]!, value });
  }
  return out;
}

/** Copy of sorted `labels` with `name=value` set (inserted in order or replacing); `obj` is that label, if shared. */
export function withLabel(labels: readonly Label[], name: string, value: string, obj?: Label): Label[] {
  const out: Label[] = [];
  let placed = false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!placed && l.name >= name) {
      out.push(obj ?? { name, value });
      placed = true;
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!placed) out.push(obj ?? { name, value });
  return out;
}
