/**
 * The Prometheus view of an OTLP data point, as the `relabel` and `aggregate` processors see it, and the way back.
 *
 * Contract (deliberately small and self-contained; the exporters' full OTLP->Prometheus translation lives in
 * src/translate/prometheus/ and adds suffixes, sanitises names and promotes attributes, none of which happens here):
 * - `__name__` = the metric name exactly as it is (no `_total`/unit suffix). An empty metric name gives no
 *   `__name__` label.
 * - Every data point attribute is a label under its RAW key (no sanitising: `http.method` stays `http.method`);
 *   non-string values are converted with `anyValueToString` (the OTel non-string attribute rules). An attribute
 *   named `__name__` is ignored. Labels with an empty value are absent, as in Prometheus.
 * - `job` = `service.namespace/service.name` (or `service.name`), `instance` = `service.instance.id`, from the
 *   resource. They win over point attributes of the same name (which are then shadowed), as in the translator.
 *   No other resource attribute and nothing from the scope is a label.
 * - The label array is sorted by name (UTF-16 order) with unique names.
 *
 * The way back (`diffOutcome` computes it once per series, `applyEdits` applies it), for a relabeled label set
 * compared to the one the view produced:
 * - `__name__` changed: the point gets the new metric name (the caller splits the metric); removed: the point has no
 *   name any more (the caller decides; the relabel processor drops it, as a Prometheus scrape would).
 * - `job`/`instance` changed or removed: the point's RESOURCE changes (on a copy for those points). `job` maps back to
 *   `service.name`; a value starting with the current `service.namespace` + "/" keeps the namespace and sets the
 *   rest as `service.name`, any other value removes `service.namespace`. `instance` maps to `service.instance.id`.
 *   Exception: when the resource has no `service.name` (resp. `service.instance.id`) but the point has a `job`
 *   (resp. `instance`) attribute, the label belongs to that attribute.
 * - Any other label: added or changed labels become string attributes, removed labels delete the attribute.
 *   Unchanged labels leave the attribute untouched (its type is kept). A changed point gets a new attribute array
 *   (arrays may be shared by a receiver's cache) and `prom = undefined`.
 */
import { anyValueToString, getAttribute } from '../../model/attributes.ts';
import { cloneAttributes } from '../../model/clone.ts';
import { internKeyValue } from '../../model/label-intern.ts';
import type { AnyValue, Attributes, KeyValue, Label, Resource } from '../../model/types.ts';

export const SERVICE_NAME = 'service.name';
export const SERVICE_NAMESPACE = 'service.namespace';
export const SERVICE_INSTANCE_ID = 'service.instance.id';
export const NAME_LABEL = '__name__';

/** What the resource contributes to the view; computed once per ResourceMetrics. */
export interface ResourceView {
  readonly job: string | undefined;
  readonly instance: string | undefined;
  readonly namespace: string | undefined;
}

function str(v: AnyValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : anyValueToString(v);
  return s === '' ? undefined : s;
}

export function resourceView(resource: Resource): ResourceView {
  const attrs = resource.attributes;
  const name = str(getAttribute(attrs, SERVICE_NAME));
  const namespace = str(getAttribute(attrs, SERVICE_NAMESPACE));
  const job = name === undefined ? undefined : namespace === undefined ? name : namespace + '/' + name;
  return { job, instance: str(getAttribute(attrs, SERVICE_INSTANCE_ID)), namespace };
}

/** In-place insertion sort by name (label sets are small and usually almost sorted); drops duplicate names. */
export function sortLabels(a: Label[]): Label[] {
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    let j = i - 1;
    if (a[j]!.name <= x.name) continue;
    while (j >= 0 && a[j]!.name > x.name) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
  let w = 1;
  for (let i = 1; i < a.length; i++) if (a[i]!.name !== a[w - 1]!.name) a[w++] = a[i]!;
  a.length = Math.min(a.length, w);
  return a;
}

/** The view's sorted label set for one point. Allocates one array and one Label per label. */
export function viewLabels(metricName: string, attrs: Attributes, rv: ResourceView): Label[] {
  const out: Label[] = [];
  const hasJob = rv.job !== undefined;
  const hasInstance = rv.instance !== undefined;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    const k = kv.key;
    if (k === NAME_LABEL || (hasJob && k === 'job') || (hasInstance && k === 'instance')) continue;
    const v = kv.value;
    const s = typeof v === 'string' ? v : anyValueToString(v);
    if (s !== '' && k !== '') out.push({ name: k, value: s });
  }
  if (metricName !== '') out.push({ name: NAME_LABEL, value: metricName });
  if (hasJob) out.push({ name: 'job', value: rv.job });
  if (hasInstance) out.push({ name: 'instance', value: rv.instance });
  return sortLabels(out);
}

/** A resource-side change: undefined = unchanged, null = removed, string = new value. */
export interface ResourcePatch {
  job: string | null | undefined;
  instance: string | null | undefined;
}

/** An attribute edit: new string value, or null = delete. */
export interface AttrEdit {
  readonly key: string;
  readonly value: string | null;
}

/** What relabeling did to one series, as edits on the model (computed once per distinct series, then cached). */
export interface Outcome {
  /** 0 = unchanged, 1 = dropped by a rule, 2 = `__name__` removed from a named series, 3 = changed. */
  readonly kind: 0 | 1 | 2 | 3;
  /** The new metric name (kind 3); equal to the old one when it did not change. */
  readonly name: string;
  readonly nameChanged: boolean;
  /** '' when the resource is unchanged, otherwise a key identifying the patch (for grouping points). */
  readonly resourceKey: string;
  readonly patch: ResourcePatch;
  readonly edits: readonly AttrEdit[];
  /** Fast path for `applyEdits`, built on first use for one attribute key order (see `editAttributes`). */
  plan?: EditPlan | undefined;
}

/**
 * The result attribute list for one source key order: an index into the source, or a new string attribute (an
 * interned KeyValue, model/label-intern.ts: handed out as is when the caller may share KeyValue objects).
 */
export interface EditPlan {
  readonly keys: readonly string[];
  readonly steps: readonly (number | KeyValue)[];
}

export const UNCHANGED: Outcome = Object.freeze({ kind: 0, name: '', nameChanged: false, resourceKey: '', patch: { job: undefined, instance: undefined }, edits: [] });
export const DROPPED: Outcome = Object.freeze({ kind: 1, name: '', nameChanged: false, resourceKey: '', patch: { job: undefined, instance: undefined }, edits: [] });
export const NO_NAME: Outcome = Object.freeze({ kind: 2, name: '', nameChanged: false, resourceKey: '', patch: { job: undefined, instance: undefined }, edits: [] });

/**
 * Maps `after` (relabeled) back onto the model, given `before` (the view of a point with attributes `attrs` of
 * metric `metricName` in a resource viewed as `rv`). Returns a fresh Outcome.
 */
export function diffOutcome(before: readonly Label[], after: readonly Label[], metricName: string, attrs: Attributes, rv: ResourceView): Outcome {
  let name = metricName;
  let nameRemoved = false;
  const patch: ResourcePatch = { job: undefined, instance: undefined };
  const edits: AttrEdit[] = [];
  const change = (label: string, value: string | null): void => {
    if (label === NAME_LABEL) {
      if (value === null) nameRemoved = true;
      else name = value;
    } else if (label === 'job' && (rv.job !== undefined || getAttribute(attrs, 'job') === undefined)) patch.job = value;
    else if (label === 'instance' && (rv.instance !== undefined || getAttribute(attrs, 'instance') === undefined)) patch.instance = value;
    else edits.push({ key: label, value });
  };
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const b = before[i];
    const a = after[j];
    if (a === undefined || (b !== undefined && b.name < a.name)) {
      change(b!.name, null);
      i++;
    } else if (b === undefined || a.name < b.name) {
      change(a.name, a.value);
      j++;
    } else {
      if (a.value !== b.value) change(a.name, a.value);
      i++;
      j++;
    }
  }
  if (nameRemoved && metricName !== '') return NO_NAME;
  if (nameRemoved) name = '';
  let resourceKey = '';
  if (patch.job !== undefined || patch.instance !== undefined) {
    const part = (v: string | null | undefined) => (v === undefined ? 'u' : v === null ? 'd' : 's' + v);
    resourceKey = `${part(patch.job)}\u0000${part(patch.instance)}`;
  }
  return { kind: 3, name, nameChanged: name !== metricName, resourceKey, patch, edits };
}

/**
 * `applyEdits` with a per-outcome plan: the points of one series almost always carry their attributes in the same
 * key order, so the plan (built on the first point) maps source positions straight to the result; a point with a
 * different order takes the general path. `shareKeyValues`: the new string attributes may be the plan's shared
 * (interned) KeyValue objects, for consumers that never change KeyValues in place; otherwise they are fresh copies.
 */
export function editAttributes(attrs: Attributes, o: Outcome, shareKeyValues = false): Attributes {
  if (o.edits.length === 0) return attrs;
  let plan = o.plan;
  if (plan === undefined) {
    const edited = applyEdits(attrs, o.edits);
    const steps: (number | KeyValue)[] = [];
    for (const kv of edited) {
      const i = attrs.indexOf(kv);
      steps.push(i >= 0 ? i : internKeyValue(kv.key, kv.value as string));
    }
    plan = o.plan = { keys: attrs.map((kv) => kv.key), steps };
  }
  const keys = plan.keys;
  let same = keys.length === attrs.length;
  for (let i = 0; same && i < keys.length; i++) same = keys[i] === attrs[i]!.key;
  if (!same) return applyEdits(attrs, o.edits);
  const steps = plan.steps;
  const out: KeyValue[] = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    const st = steps[i]!;
    out[i] = typeof st === 'number' ? attrs[st]! : shareKeyValues ? st : { key: st.key, value: st.value };
  }
  return out;
}

/** A new attribute array with `edits` applied (existing keys edited in place of their position, new ones appended). */
export function applyEdits(attrs: Attributes, edits: readonly AttrEdit[]): Attributes {
  if (edits.length === 0) return attrs;
  const out: KeyValue[] = [];
  let used = 0;
  for (let k = 0; k < attrs.length; k++) {
    const kv = attrs[k]!;
    let e: AttrEdit | undefined;
    for (let x = 0; x < edits.length; x++) {
      if (edits[x]!.key === kv.key) {
        e = edits[x];
        break;
      }
    }
    if (e === undefined) out.push(kv);
    else {
      used++;
      if (e.value !== null) out.push({ key: kv.key, value: e.value });
    }
  }
  if (used < edits.length) {
    for (let x = 0; x < edits.length; x++) {
      const e = edits[x]!;
      if (e.value !== null && getAttribute(attrs, e.key) === undefined) out.push({ key: e.key, value: e.value });
    }
  }
  return out;
}

/** A copy of `resource` with the patch applied (see the contract for the job mapping). */
export function patchResource(resource: Resource, patch: ResourcePatch, rv: ResourceView): Resource {
  const attrs = cloneAttributes(resource.attributes);
  const del = (key: string) => {
    const i = attrs.findIndex((kv) => kv.key === key);
    if (i >= 0) attrs.splice(i, 1);
  };
  const set = (key: string, value: string) => {
    const kv = attrs.find((x) => x.key === key);
    if (kv) kv.value = value;
    else attrs.push({ key, value });
  };
  if (patch.job === null) {
    del(SERVICE_NAME);
    del(SERVICE_NAMESPACE);
  } else if (patch.job !== undefined) {
    const ns = rv.namespace;
    if (ns !== undefined && patch.job.startsWith(ns + '/') && patch.job.length > ns.length + 1) {
      set(SERVICE_NAME, patch.job.slice(ns.length + 1));
    } else {
      del(SERVICE_NAMESPACE);
      set(SERVICE_NAME, patch.job);
    }
  }
  if (patch.instance === null) del(SERVICE_INSTANCE_ID);
  else if (patch.instance !== undefined) set(SERVICE_INSTANCE_ID, patch.instance);
  return { attributes: attrs, droppedAttributesCount: resource.droppedAttributesCount };
}

/** The resource for a label set that carries `job`/`instance` (used for processor-made series, e.g. aggregates). */
export function resourceFromLabels(job: string | undefined, instance: string | undefined): Resource {
  const attributes: Attributes = [];
  if (job !== undefined) attributes.push({ key: SERVICE_NAME, value: job });
  if (instance !== undefined) attributes.push({ key: SERVICE_INSTANCE_ID, value: instance });
  return { attributes, droppedAttributesCount: 0 };
}

/** Label array -> plain object (for JSON answers and tests). */
export function labelsToObject(labels: readonly Label[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of labels) o[l.name] = l.value;
  return o;
}
