/**
 * Remote-write label-set validation and the per-series memo forms used by the RW 1.0 and 2.0 encoders.
 *
 * Contract
 * - The wire label set of a series is `__name__=<ref.name>` merged into `ref.labels` (which excludes `__name__`).
 *   It must be sorted by name with no duplicates, and no empty names or values (RW 1.0 spec lines 113-118; RW 2.0
 *   389-404). `checkLabels` returns the first problem or undefined. With `legacyNames`, the metric name must match
 *   `[a-zA-Z_:][a-zA-Z0-9_:]*` and label names `[a-zA-Z_][a-zA-Z0-9_]*` (a MUST in RW 1.0, a SHOULD in RW 2.0).
 * - `rw1LabelBytes(ref)` fills and returns the SeriesRef `rw1` memo (concatenated prompb `Label` messages as
 *   TimeSeries field 1 entries); `null` marks a structurally invalid label set. The slot is a pure function of
 *   name+labels, so it is safe to share between encoders. (RW 2.0's memo lives in symbols.ts.)
 * No I/O, no logging.
 */
import { utf8Length, varintSize } from '../protobuf/index.ts';
import type { SeriesRef } from '../../translate/prometheus/types.ts';

export type LabelProblem =
  | 'empty_metric_name'
  | 'empty_label_name'
  | 'empty_label_value'
  | 'duplicate_label'
  | 'unsorted_labels'
  | 'invalid_metric_name'
  | 'invalid_label_name';

export const LABEL_PROBLEMS: readonly LabelProblem[] = [
  'empty_metric_name',
  'empty_label_name',
  'empty_label_value',
  'duplicate_label',
  'unsorted_labels',
  'invalid_metric_name',
  'invalid_label_name',
];

/** `[a-zA-Z_:][a-zA-Z0-9_:]*` (colons when `colon`) or `[a-zA-Z_][a-zA-Z0-9_]*`, by a char loop (cheaper than a RegExp). */
function isLegacyName(s: string, colon: boolean): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (colon && c === 58) || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

/** Structural checks (always) and, with `legacyNames`, the classic name character sets. */
export function checkLabels(ref: SeriesRef, legacyNames: boolean): LabelProblem | undefined {
  if (ref.name === '') return 'empty_metric_name';
  const labels = ref.labels;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l.name === '') return 'empty_label_name';
    if (l.value === '') return 'empty_label_value';
    if (l.name === '__name__') return 'duplicate_label';
    if (i > 0) {
      const prev = labels[i - 1]!.name;
      if (prev === l.name) return 'duplicate_label';
      if (prev > l.name) return 'unsorted_labels';
    }
  }
  if (legacyNames) {
    if (!isLegacyName(ref.name, true)) return 'invalid_metric_name';
    for (let i = 0; i < labels.length; i++) if (!isLegacyName(labels[i]!.name, false)) return 'invalid_label_name';
  }
  return undefined;
}

/** Memoised (`ref.legacyNames`) classic name check: metric name and every label name. */
export function hasLegacyNames(ref: SeriesRef): boolean {
  let ok = ref.legacyNames;
  if (ok === undefined) {
    ok = isLegacyName(ref.name, true);
    for (let i = 0; ok && i < ref.labels.length; i++) ok = isLegacyName(ref.labels[i]!.name, false);
    ref.legacyNames = ok;
  }
  return ok;
}

/** Visits the wire label set in order: `__name__` merged at its sorted position. */
export function forEachWireLabel(ref: SeriesRef, fn: (name: string, value: string) => void): void {
  let named = false;
  for (const l of ref.labels) {
    if (!named && l.name > '__name__') {
      fn('__name__', ref.name);
      named = true;
    }
    fn(l.name, l.value);
  }
  if (!named) fn('__name__', ref.name);
}

// Scratch shared by rw1LabelsSize/writeRw1Labels (synchronous): wire strings, encoded name fields, value lengths.
const wire: string[] = [];
const nameBytes: Uint8Array[] = [];
let valueLens = new Int32Array(64);
let wireCount = 0;
const utf8 = new TextEncoder();

/** Writes `s` (UTF-8, `len` bytes) at `p`; ASCII by a plain loop. */
function putString(out: Uint8Array, p: number, s: string, len: number): number {
  if (len === s.length) {
    for (let i = 0; i < len; i++) out[p + i] = s.charCodeAt(i);
  } else {
    utf8.encodeInto(s, out.subarray(p, p + len));
  }
  return p + len;
}

/**
 * Pass 1 of the RW 1.0 label encoding: the byte size of `ref`'s TimeSeries.labels entries, or -1 when the label set is
 * structurally invalid. Leaves the scratch ready for `writeRw1Labels` (call it next, before any other pass 1).
 */
export function rw1LabelsSize(ref: SeriesRef): number {
  if (checkLabels(ref, false) !== undefined) return -1;
  let n = 0;
  forEachWireLabel(ref, (name, value) => {
    wire[n++] = name;
    wire[n++] = value;
  });
  wireCount = n;
  if (valueLens.length < n) valueLens = new Int32Array(n * 2);
  let size = 0;
  for (let i = 0; i < n; i += 2) {
    const nb = nameField(wire[i]!);
    nameBytes[i] = nb;
    const vl = utf8Length(wire[i + 1]!);
    valueLens[i] = vl;
    const inner = nb.length + 1 + varintSize(vl) + vl; // values are non-empty (checked)
    size += 1 + varintSize(inner) + inner;
  }
  return size;
}

/** Pass 2: writes the entries sized by the last `rw1LabelsSize` at `p`; returns the new position. */
export function writeRw1Labels(out: Uint8Array, p: number): number {
  for (let i = 0; i < wireCount; i += 2) {
    const nb = nameBytes[i]!;
    const nl = nb.length;
    const vl = valueLens[i]!;
    out[p++] = 0x0a; // TimeSeries.labels (1, LEN)
    p = putVarint(out, p, nl + 1 + varintSize(vl) + vl);
    for (let k = 0; k < nl; k++) out[p++] = nb[k]!; // Label.name field, pre-encoded
    out[p++] = 0x12; // Label.value (2, LEN)
    p = putVarint(out, p, vl);
    p = putString(out, p, wire[i + 1]!, vl);
  }
  return p;
}

/**
 * RW 1.0 label bytes memoised in `ref.rw1` (null when structurally invalid). For cacheable refs only: paid once per
 * series lifetime (a view into a shared slab, see slabAlloc).
 */
export function rw1LabelBytes(ref: SeriesRef): Uint8Array | null {
  const memo = ref.rw1;
  if (memo !== undefined) return memo;
  const size = rw1LabelsSize(ref);
  if (size < 0) return (ref.rw1 = null);
  const out = slabAlloc(size);
  writeRw1Labels(out, 0);
  return (ref.rw1 = out);
}

// Memos are views into shared 64 KiB slabs: a right-sized array per series would cost its own ArrayBuffer object and
// backing store (~250 bytes of overhead on top of its ~200 bytes of labels). A slab is freed once no view of it is
// left (series churn can keep a slab alive for one surviving view: bounded, at most one slab per survivor).
const SLAB = 64 * 1024;
let slab = new Uint8Array(0);
let slabPos = 0;

function slabAlloc(size: number): Uint8Array {
  if (size > SLAB / 16) return new Uint8Array(size);
  if (slabPos + size > slab.length) {
    slab = new Uint8Array(SLAB);
    slabPos = 0;
  }
  const v = slab.subarray(slabPos, slabPos + size);
  slabPos += size;
  return v;
}

// Label names repeat across series: their encoded `Label.name` field (tag, length, bytes) is kept (bounded).
const nameFields = new Map<string, Uint8Array>();

function nameField(name: string): Uint8Array {
  let b = nameFields.get(name);
  if (b === undefined) {
    const nl = utf8Length(name);
    b = new Uint8Array(1 + varintSize(nl) + nl);
    b[0] = 0x0a; // Label.name (1, LEN)
    putString(b, putVarint(b, 1, nl), name, nl);
    if (nameFields.size >= 8192) nameFields.clear();
    nameFields.set(name, b);
  }
  return b;
}

function putVarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** Prometheus metric type numbers (prompb MetricMetadata.MetricType == writev2 Metadata.MetricType). */
export function metricTypeCode(type: string): number {
  switch (type) {
    case 'counter':
      return 1;
    case 'gauge':
      return 2;
    case 'histogram':
      return 3;
    case 'gaugehistogram':
      return 4;
    case 'summary':
      return 5;
    case 'info':
      return 6;
    case 'stateset':
      return 7;
    default:
      return 0; // unknown
  }
}
