/**
 * OTLP/JSON metrics encoding: MetricsData -> ExportMetricsServiceRequest JSON text.
 *
 * Contract
 * - Output follows the OTLP/JSON rules: lowerCamelCase keys, enums as integers, 64-bit integers (timestamps, asInt,
 *   intValue, counts, bucket counts) as decimal strings, doubles as numbers with "NaN"/"Infinity"/"-Infinity" as
 *   strings, trace/span ids as lowercase hex, bytes values as base64.
 * - Like the binary encoder: proto3 defaults are omitted, optional sum/min/max are written when defined, oneof
 *   members are always written (except a NumberDataPoint value marked absent, see `isValueAbsent`),
 *   resource/scope/value/positive/negative always appear; Resource `entityRefs` is written when non-empty.
 *   The model is only read.
 * - `decodeExportMetricsRequestJson(encodeExportMetricsRequestJson(md))` deep-equals `md` (minus `prom`).
 */
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
import { jsonBase64, jsonDouble, jsonHex, jsonString } from './json-values.ts';

export function encodeExportMetricsRequestJson(md: MetricsData): string {
  let s = '{"resourceMetrics":[';
  for (let i = 0; i < md.resourceMetrics.length; i++) {
    const rm = md.resourceMetrics[i]!;
    if (i > 0) s += ',';
    s += '{"resource":{';
    s += attrsField('attributes', rm.resource.attributes, 0, true);
    if (rm.resource.droppedAttributesCount !== 0) s += sep(s) + `"droppedAttributesCount":${rm.resource.droppedAttributesCount}`;
    const refs = rm.resource.entityRefs;
    if (refs !== undefined && refs.length > 0) s += sep(s) + `"entityRefs":[${refs.map(entityRef).join(',')}]`;
    s += '},"scopeMetrics":[';
    for (let j = 0; j < rm.scopeMetrics.length; j++) {
      const sm = rm.scopeMetrics[j]!;
      if (j > 0) s += ',';
      const sc = sm.scope;
      let scope = '';
      if (sc.name !== '') scope += `"name":${jsonString(sc.name)}`;
      if (sc.version !== '') scope += sep(scope) + `"version":${jsonString(sc.version)}`;
      scope += attrsField('attributes', sc.attributes, 0, scope === '');
      if (sc.droppedAttributesCount !== 0) scope += sep(scope) + `"droppedAttributesCount":${sc.droppedAttributesCount}`;
      s += `{"scope":{${scope}},"metrics":[`;
      for (let k = 0; k < sm.metrics.length; k++) {
        if (k > 0) s += ',';
        s += metric(sm.metrics[k]!);
      }
      s += ']';
      if (sm.schemaUrl !== '') s += `,"schemaUrl":${jsonString(sm.schemaUrl)}`;
      s += '}';
    }
    s += ']';
    if (rm.schemaUrl !== '') s += `,"schemaUrl":${jsonString(rm.schemaUrl)}`;
    s += '}';
  }
  return s + ']}';
}

/** ',' when `s` already holds a member of the object being built (the text after its '{'). */
function sep(s: string): string {
  return s === '' || s.endsWith('{') ? '' : ',';
}

/** `"key":[...]` for non-empty attributes, prefixed by ',' unless `first`. */
function attrsField(key: string, attrs: Attributes, depth: number, first: boolean): string {
  if (attrs.length === 0) return '';
  return `${first ? '' : ','}"${key}":${attributes(attrs, depth)}`;
}

function attributes(attrs: Attributes, depth: number): string {
  let s = '[';
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    if (i > 0) s += ',';
    s += `{"key":${jsonString(kv.key)},"value":${anyValue(kv.value, depth)}}`;
  }
  return s + ']';
}

function anyValue(v: AnyValue, depth: number): string {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${jsonString(v)}}`;
    case 'boolean':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'bigint':
      return `{"intValue":"${v}"}`;
    case 'number':
      return `{"doubleValue":${jsonDouble(v)}}`;
    default:
  }
  if (v === null) return '{}';
  if (v instanceof Uint8Array) return `{"bytesValue":${jsonBase64(v)}}`;
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new Error(`AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
  if (Array.isArray(v)) {
    if (v.length === 0) return '{"arrayValue":{}}';
    let s = '{"arrayValue":{"values":[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + anyValue(v[i]!, depth + 1);
    return s + ']}}';
  }
  if (v.kvlist.length === 0) return '{"kvlistValue":{}}';
  return `{"kvlistValue":{"values":${attributes(v.kvlist, depth + 1)}}}`;
}

function metric(m: Metric): string {
  let s = '{';
  if (m.name !== '') s += `"name":${jsonString(m.name)}`;
  if (m.description !== '') s += sep(s) + `"description":${jsonString(m.description)}`;
  if (m.unit !== '') s += sep(s) + `"unit":${jsonString(m.unit)}`;
  let data = '';
  switch (m.type) {
    case 'gauge':
      data = `"gauge":{${points(m.points, numberPoint)}}`;
      break;
    case 'sum':
      data = `"sum":{${points(m.points, numberPoint)}${temporality(m.temporality)}`;
      if (m.isMonotonic) data += ',"isMonotonic":true';
      data += '}';
      break;
    case 'histogram':
      data = `"histogram":{${points(m.points, histogramPoint)}${temporality(m.temporality)}}`;
      break;
    case 'exponential_histogram':
      data = `"exponentialHistogram":{${points(m.points, expPoint)}${temporality(m.temporality)}}`;
      break;
    case 'summary':
      data = `"summary":{${points(m.points, summaryPoint)}}`;
      break;
    default:
  }
  if (data !== '') s += sep(s) + data;
  s += attrsField('metadata', m.metadata, 0, s === '{');
  return s + '}';
}

/** `"dataPoints":[...]` (always present, so the data object is never ambiguous), then other members follow. */
function points<P>(ps: P[], f: (p: P) => string): string {
  let s = '"dataPoints":[';
  for (let i = 0; i < ps.length; i++) s += (i > 0 ? ',' : '') + f(ps[i]!);
  return s + ']';
}

function temporality(t: number): string {
  return t === 0 ? '' : `,"aggregationTemporality":${t}`;
}

/** Members shared by all points; starts with `{`-relative text without a leading comma. */
function pointHead(p: { attributes: Attributes; startTimeUnixNano: bigint; timeUnixNano: bigint }): string {
  let s = attrsField('attributes', p.attributes, 0, true);
  if (p.startTimeUnixNano !== 0n) s += sep(s) + `"startTimeUnixNano":"${p.startTimeUnixNano}"`;
  if (p.timeUnixNano !== 0n) s += sep(s) + `"timeUnixNano":"${p.timeUnixNano}"`;
  return s;
}

function add(s: string, member: string): string {
  return s === '' ? member : `${s},${member}`;
}

function valueMember(v: number | bigint): string {
  return typeof v === 'bigint' ? `"asInt":"${v}"` : `"asDouble":${jsonDouble(v)}`;
}

function tail(s: string, flags: number, exemplars: Exemplar[]): string {
  if (exemplars.length > 0) s = add(s, `"exemplars":[${exemplars.map(exemplar).join(',')}]`);
  if (flags !== 0) s = add(s, `"flags":${flags}`);
  return `{${s}}`;
}

function numberPoint(p: NumberDataPoint): string {
  const head = pointHead(p);
  return tail(isValueAbsent(p) ? head : add(head, valueMember(p.value)), p.flags, p.exemplars);
}

function entityRef(e: EntityRef): string {
  let s = '';
  if (e.schemaUrl !== '') s = `"schemaUrl":${jsonString(e.schemaUrl)}`;
  if (e.type !== '') s = add(s, `"type":${jsonString(e.type)}`);
  if (e.idKeys.length > 0) s = add(s, `"idKeys":[${e.idKeys.map((k) => jsonString(k)).join(',')}]`);
  if (e.descriptionKeys.length > 0) s = add(s, `"descriptionKeys":[${e.descriptionKeys.map((k) => jsonString(k)).join(',')}]`);
  return `{${s}}`;
}

function optDouble(s: string, key: string, v: number | undefined): string {
  return v === undefined ? s : add(s, `"${key}":${jsonDouble(v)}`);
}

function setDouble(s: string, key: string, v: number): string {
  return v !== 0 || 1 / v < 0 ? add(s, `"${key}":${jsonDouble(v)}`) : s;
}

function countMember(s: string, key: string, v: number): string {
  return v === 0 ? s : add(s, `"${key}":"${v}"`);
}

function countList(vs: number[]): string {
  let s = '[';
  for (let i = 0; i < vs.length; i++) s += `${i > 0 ? ',' : ''}"${vs[i]}"`;
  return s + ']';
}

function histogramPoint(p: HistogramDataPoint): string {
  let s = countMember(pointHead(p), 'count', p.count);
  s = optDouble(s, 'sum', p.sum);
  if (p.bucketCounts.length > 0) s = add(s, `"bucketCounts":${countList(p.bucketCounts)}`);
  if (p.explicitBounds.length > 0) s = add(s, `"explicitBounds":[${p.explicitBounds.map(jsonDouble).join(',')}]`);
  s = optDouble(s, 'min', p.min);
  s = optDouble(s, 'max', p.max);
  return tail(s, p.flags, p.exemplars);
}

function bucketsJson(b: Buckets): string {
  let s = b.offset !== 0 ? `"offset":${b.offset}` : '';
  if (b.bucketCounts.length > 0) s = add(s, `"bucketCounts":${countList(b.bucketCounts)}`);
  return `{${s}}`;
}

function expPoint(p: ExponentialHistogramDataPoint): string {
  let s = countMember(pointHead(p), 'count', p.count);
  s = optDouble(s, 'sum', p.sum);
  if (p.scale !== 0) s = add(s, `"scale":${p.scale}`);
  s = countMember(s, 'zeroCount', p.zeroCount);
  s = add(s, `"positive":${bucketsJson(p.positive)}`);
  s = add(s, `"negative":${bucketsJson(p.negative)}`);
  s = optDouble(s, 'min', p.min);
  s = optDouble(s, 'max', p.max);
  s = setDouble(s, 'zeroThreshold', p.zeroThreshold);
  return tail(s, p.flags, p.exemplars);
}

function summaryPoint(p: SummaryDataPoint): string {
  let s = countMember(pointHead(p), 'count', p.count);
  s = setDouble(s, 'sum', p.sum);
  if (p.quantileValues.length > 0) {
    const qs = p.quantileValues.map((q) => `{${setDouble(setDouble('', 'quantile', q.quantile), 'value', q.value)}}`);
    s = add(s, `"quantileValues":[${qs.join(',')}]`);
  }
  return tail(s, p.flags, []);
}

function exemplar(e: Exemplar): string {
  let s = attrsField('filteredAttributes', e.filteredAttributes, 0, true);
  if (e.timeUnixNano !== 0n) s = add(s, `"timeUnixNano":"${e.timeUnixNano}"`);
  s = add(s, valueMember(e.value));
  if (e.spanId.length !== 0) s = add(s, `"spanId":${jsonHex(e.spanId)}`);
  if (e.traceId.length !== 0) s = add(s, `"traceId":${jsonHex(e.traceId)}`);
  return `{${s}}`;
}
