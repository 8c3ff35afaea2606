/**
 * Binary OTLP metrics encoding: MetricsData -> ExportMetricsServiceRequest / MetricsData bytes.
 *
 * Contract
 * - Fields are written in field-number order with minimal varints; proto3 implicit-presence fields equal to their
 *   default (0, 0n, '', false, empty bytes/lists, +0.0 — but -0.0 is written, as in Go) are omitted; `optional`
 *   fields (sum, min, max) are written when not `undefined`; oneof members (point/exemplar values, AnyValue) are
 *   always written, except a NumberDataPoint value marked absent (`isValueAbsent`); Resource `entityRefs` are
 *   written. Sub-messages the Go collector always emits (resource, scope, KeyValue.value, exp-histogram
 *   positive/negative, the metric's data message) are always written. So `encode(decode(x))` is byte-identical for
 *   canonical input.
 * - `encodeExportMetricsRequest(md)` returns a fresh Uint8Array the caller owns (encoded in a reused scratch writer,
 *   then copied once). `writeExportMetricsRequest(w, md)` appends to the caller's writer without copying.
 * - The model is only read, never modified; `prom` is ignored. AnyValue nesting deeper than MAX_ANY_VALUE_DEPTH
 *   (e.g. a cycle) throws an Error.
 */
import { ProtoWriter } from '../protobuf/index.ts';
import {
  isValueAbsent,
  type AnyValue,
  type Attributes,
  type Buckets,
  type EntityRef,
  type Exemplar,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type Metric,
  type MetricsData,
  type NumberDataPoint,
  type SummaryDataPoint,
} from '../../model/types.ts';
import { MAX_ANY_VALUE_DEPTH } from './descs.ts';

let scratch: ProtoWriter | undefined;
const SCRATCH_KEEP_BYTES = 4 << 20;

/** Encodes `md` as an ExportMetricsServiceRequest; the returned bytes belong to the caller. */
export function encodeExportMetricsRequest(md: MetricsData): Uint8Array {
  const w = scratch ?? new ProtoWriter(64 * 1024);
  scratch = undefined; // re-entrancy safe: a nested call gets its own writer
  w.reset();
  writeExportMetricsRequest(w, md);
  const out = w.finish().slice();
  if (w.buf.length <= SCRATCH_KEEP_BYTES) scratch = w;
  return out;
}

/** Appends the ExportMetricsServiceRequest encoding of `md` to `w`. */
export function writeExportMetricsRequest(w: ProtoWriter, md: MetricsData): void {
  for (const rm of md.resourceMetrics) {
    w.tag(1, 2);
    const at = w.fork(3);
    // 1 resource (always)
    w.tag(1, 2);
    const ra = w.fork();
    writeAttributes(w, 1, rm.resource.attributes);
    if (rm.resource.droppedAttributesCount !== 0) w.uint32Field(2, rm.resource.droppedAttributesCount);
    if (rm.resource.entityRefs !== undefined) writeEntityRefs(w, rm.resource.entityRefs);
    w.ldelim(ra);
    // 2 scope_metrics
    for (const sm of rm.scopeMetrics) {
      w.tag(2, 2);
      const sa = w.fork(3);
      const scope = sm.scope;
      w.tag(1, 2);
      const sc = w.fork();
      if (scope.name !== '') w.stringField(1, scope.name);
      if (scope.version !== '') w.stringField(2, scope.version);
      writeAttributes(w, 3, scope.attributes);
      if (scope.droppedAttributesCount !== 0) w.uint32Field(4, scope.droppedAttributesCount);
      w.ldelim(sc);
      for (const m of sm.metrics) {
        w.tag(2, 2);
        const ma = w.fork(m.points.length > 16 ? 3 : 1);
        writeMetric(w, m);
        w.ldelim(ma);
      }
      if (sm.schemaUrl !== '') w.stringField(3, sm.schemaUrl);
      w.ldelim(sa);
    }
    if (rm.schemaUrl !== '') w.stringField(3, rm.schemaUrl);
    w.ldelim(at);
  }
}

function writeMetric(w: ProtoWriter, m: Metric): void {
  const big = m.points.length > 16 ? 3 : 1; // length-prefix bytes to reserve for the data message
  if (m.name !== '') w.stringField(1, m.name);
  if (m.description !== '') w.stringField(2, m.description);
  if (m.unit !== '') w.stringField(3, m.unit);
  let at: number;
  switch (m.type) {
    case 'gauge':
      w.tag(5, 2);
      at = w.fork(big);
      for (const p of m.points) writeNumberPoint(w, p);
      w.ldelim(at);
      break;
    case 'sum':
      w.tag(7, 2);
      at = w.fork(big);
      for (const p of m.points) writeNumberPoint(w, p);
      if (m.temporality !== 0) (w.tag(2, 0), w.int32(m.temporality));
      if (m.isMonotonic) (w.tag(3, 0), w.bool(true));
      w.ldelim(at);
      break;
    case 'histogram':
      w.tag(9, 2);
      at = w.fork(big);
      for (const p of m.points) writeHistogramPoint(w, p);
      if (m.temporality !== 0) (w.tag(2, 0), w.int32(m.temporality));
      w.ldelim(at);
      break;
    case 'exponential_histogram':
      w.tag(10, 2);
      at = w.fork(big);
      for (const p of m.points) writeExpHistogramPoint(w, p);
      if (m.temporality !== 0) (w.tag(2, 0), w.int32(m.temporality));
      w.ldelim(at);
      break;
    case 'summary':
      w.tag(11, 2);
      at = w.fork(big);
      for (const p of m.points) writeSummaryPoint(w, p);
      w.ldelim(at);
      break;
    default:
      break; // 'empty': no data field
  }
  writeAttributes(w, 12, m.metadata);
}

/** True when a proto3 implicit-presence double must be written (Go: bits != 0, so -0 and NaN are written). */
function isSetDouble(v: number): boolean {
  return v !== 0 || 1 / v < 0;
}

function writeNumberPoint(w: ProtoWriter, p: NumberDataPoint): void {
  w.tag(1, 2);
  const at = w.fork();
  if (p.startTimeUnixNano !== 0n) w.fixed64Field(2, p.startTimeUnixNano);
  if (p.timeUnixNano !== 0n) w.fixed64Field(3, p.timeUnixNano);
  const v = p.value;
  const absent = isValueAbsent(p);
  if (typeof v === 'number' && !absent) w.doubleField(4, v);
  writeExemplars(w, 5, p.exemplars);
  if (typeof v === 'bigint') (w.tag(6, 1), w.sfixed64(v));
  writeAttributes(w, 7, p.attributes);
  if (p.flags !== 0) w.uint32Field(8, p.flags);
  w.ldelim(at);
}

/** Resource field 3: common.proto EntityRef {1 schema_url, 2 type, 3 id_keys, 4 description_keys}. */
function writeEntityRefs(w: ProtoWriter, refs: EntityRef[]): void {
  for (const e of refs) {
    w.tag(3, 2);
    const at = w.fork();
    if (e.schemaUrl !== '') w.stringField(1, e.schemaUrl);
    if (e.type !== '') w.stringField(2, e.type);
    for (const k of e.idKeys) w.stringField(3, k);
    for (const k of e.descriptionKeys) w.stringField(4, k);
    w.ldelim(at);
  }
}

function writeHistogramPoint(w: ProtoWriter, p: HistogramDataPoint): void {
  w.tag(1, 2);
  const at = w.fork();
  if (p.startTimeUnixNano !== 0n) w.fixed64Field(2, p.startTimeUnixNano);
  if (p.timeUnixNano !== 0n) w.fixed64Field(3, p.timeUnixNano);
  if (p.count !== 0) (w.tag(4, 1), w.fixed64Number(p.count));
  if (p.sum !== undefined) w.doubleField(5, p.sum);
  w.packedFixed64Numbers(6, p.bucketCounts);
  w.packedDoubles(7, p.explicitBounds);
  writeExemplars(w, 8, p.exemplars);
  writeAttributes(w, 9, p.attributes);
  if (p.flags !== 0) w.uint32Field(10, p.flags);
  if (p.min !== undefined) w.doubleField(11, p.min);
  if (p.max !== undefined) w.doubleField(12, p.max);
  w.ldelim(at);
}

function writeBuckets(w: ProtoWriter, field: number, b: Buckets): void {
  w.tag(field, 2);
  const at = w.fork();
  if (b.offset !== 0) (w.tag(1, 0), w.sint32(b.offset));
  w.packedVarints(2, b.bucketCounts);
  w.ldelim(at);
}

function writeExpHistogramPoint(w: ProtoWriter, p: ExponentialHistogramDataPoint): void {
  w.tag(1, 2);
  const at = w.fork();
  writeAttributes(w, 1, p.attributes);
  if (p.startTimeUnixNano !== 0n) w.fixed64Field(2, p.startTimeUnixNano);
  if (p.timeUnixNano !== 0n) w.fixed64Field(3, p.timeUnixNano);
  if (p.count !== 0) (w.tag(4, 1), w.fixed64Number(p.count));
  if (p.sum !== undefined) w.doubleField(5, p.sum);
  if (p.scale !== 0) (w.tag(6, 0), w.sint32(p.scale));
  if (p.zeroCount !== 0) (w.tag(7, 1), w.fixed64Number(p.zeroCount));
  writeBuckets(w, 8, p.positive);
  writeBuckets(w, 9, p.negative);
  if (p.flags !== 0) w.uint32Field(10, p.flags);
  writeExemplars(w, 11, p.exemplars);
  if (p.min !== undefined) w.doubleField(12, p.min);
  if (p.max !== undefined) w.doubleField(13, p.max);
  if (isSetDouble(p.zeroThreshold)) w.doubleField(14, p.zeroThreshold);
  w.ldelim(at);
}

function writeSummaryPoint(w: ProtoWriter, p: SummaryDataPoint): void {
  w.tag(1, 2);
  const at = w.fork();
  if (p.startTimeUnixNano !== 0n) w.fixed64Field(2, p.startTimeUnixNano);
  if (p.timeUnixNano !== 0n) w.fixed64Field(3, p.timeUnixNano);
  if (p.count !== 0) (w.tag(4, 1), w.fixed64Number(p.count));
  if (isSetDouble(p.sum)) w.doubleField(5, p.sum);
  for (const q of p.quantileValues) {
    w.tag(6, 2);
    const qa = w.fork();
    if (isSetDouble(q.quantile)) w.doubleField(1, q.quantile);
    if (isSetDouble(q.value)) w.doubleField(2, q.value);
    w.ldelim(qa);
  }
  writeAttributes(w, 7, p.attributes);
  if (p.flags !== 0) w.uint32Field(8, p.flags);
  w.ldelim(at);
}

function writeExemplars(w: ProtoWriter, field: number, exemplars: Exemplar[]): void {
  for (let i = 0; i < exemplars.length; i++) {
    const e = exemplars[i]!;
    w.tag(field, 2);
    const at = w.fork();
    if (e.timeUnixNano !== 0n) w.fixed64Field(2, e.timeUnixNano);
    if (typeof e.value === 'number') w.doubleField(3, e.value);
    if (e.spanId.length !== 0) w.bytesField(4, e.spanId);
    if (e.traceId.length !== 0) w.bytesField(5, e.traceId);
    if (typeof e.value === 'bigint') (w.tag(6, 1), w.sfixed64(e.value));
    writeAttributes(w, 7, e.filteredAttributes);
    w.ldelim(at);
  }
}

/** Writes `attrs` as repeated KeyValue field `field`. */
export function writeAttributes(w: ProtoWriter, field: number, attrs: Attributes, depth = 0): void {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    if (field < 16 && writeKeyValueFast(w, field, kv.key, kv.value, i & (KEY_MEMO - 1))) continue;
    w.tag(field, 2);
    const at = w.fork();
    if (kv.key !== '') w.stringField(1, kv.key);
    w.tag(2, 2);
    const va = w.fork();
    writeAnyValueBody(w, kv.value, depth);
    w.ldelim(va);
    w.ldelim(at);
  }
}

/**
 * Fast path for most attributes: an ASCII key and a primitive value (ASCII string, bool, int, double, empty) small
 * enough that every length prefix is one byte, written without per-field calls. Returns false, having committed
 * nothing, when the attribute does not qualify; the caller then takes the general path. Same bytes either way.
 * The key's field bytes are memoised per attribute position `slot` (module state, only a cache).
 */
const KEY_MEMO = 16; // power of two
const memoKeys: string[] = new Array<string>(KEY_MEMO).fill('');
const memoBytes: Uint8Array[] = new Array<Uint8Array>(KEY_MEMO).fill(new Uint8Array(0));

function writeKeyValueFast(w: ProtoWriter, field: number, key: string, v: AnyValue, slot: number): boolean {
  const kn = key.length;
  let vn = 0;
  if (typeof v === 'string') {
    vn = v.length;
    if (kn + vn > 118) return false; // 2+kn + 2+2+vn <= 124
  } else if (v !== null && typeof v === 'object') {
    return false; // bytes, array, kvlist
  } else if (kn > 100) {
    return false;
  }
  w.ensure(kn + vn + 24);
  const buf = w.buf;
  const start = w.pos;
  let p = start;
  buf[p++] = (field << 3) | 2;
  p++; // KeyValue length, patched below
  if (kn !== 0) {
    // KeyValue.key field bytes, memoised per attribute position (point after point repeats the same keys).
    let kb = memoBytes[slot]!;
    if (memoKeys[slot] !== key) {
      kb = new Uint8Array(kn + 2);
      kb[0] = 0x0a; // 1 key
      kb[1] = kn;
      for (let i = 0; i < kn; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) return false;
        kb[i + 2] = c;
      }
      memoKeys[slot] = key;
      memoBytes[slot] = kb;
    }
    for (let i = 0; i < kb.length; i++) buf[p++] = kb[i]!;
  }
  buf[p++] = 0x12; // 2 value (AnyValue)
  switch (typeof v) {
    case 'string':
      buf[p++] = vn + 2;
      buf[p++] = 0x0a; // string_value
      buf[p++] = vn;
      for (let i = 0; i < vn; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) return false;
        buf[p++] = c;
      }
      break;
    case 'boolean':
      buf[p++] = 2;
      buf[p++] = 0x10; // bool_value
      buf[p++] = v ? 1 : 0;
      break;
    case 'number':
      buf[p++] = 9;
      buf[p++] = 0x21; // double_value
      w.pos = p;
      w.double(v); // capacity already ensured: w.buf is unchanged
      p = w.pos;
      break;
    case 'bigint': {
      const lenAt = p++;
      buf[p++] = 0x18; // int_value
      w.pos = p;
      w.int64(v);
      p = w.pos;
      buf[lenAt] = p - lenAt - 1;
      break;
    }
    default:
      buf[p++] = 0; // null: empty AnyValue
  }
  buf[start + 1] = p - start - 2;
  w.pos = p;
  return true;
}

/** Writes the fields of an AnyValue message (the oneof member; nothing for null). */
export function writeAnyValueBody(w: ProtoWriter, v: AnyValue, depth: number): void {
  switch (typeof v) {
    case 'string':
      w.stringField(1, v);
      return;
    case 'boolean':
      w.tag(2, 0);
      w.bool(v);
      return;
    case 'bigint':
      w.int64Field(3, v);
      return;
    case 'number':
      w.doubleField(4, v);
      return;
    default:
  }
  if (v === null) return;
  if (v instanceof Uint8Array) {
    w.bytesField(7, v);
    return;
  }
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new Error(`AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
  if (Array.isArray(v)) {
    w.tag(5, 2);
    const at = w.fork();
    for (const item of v) {
      w.tag(1, 2);
      const ia = w.fork();
      writeAnyValueBody(w, item, depth + 1);
      w.ldelim(ia);
    }
    w.ldelim(at);
    return;
  }
  w.tag(6, 2);
  const at = w.fork();
  writeAttributes(w, 1, v.kvlist, depth + 1);
  w.ldelim(at);
}
