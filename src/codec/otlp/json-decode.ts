/**
 * OTLP/JSON metrics decoding: ExportMetricsServiceRequest JSON text -> MetricsData.
 *
 * Contract
 * - Follows the OTLP/JSON rules (proto3 JSON mapping + OTLP deviations): lowerCamelCase keys, also the original
 *   snake_case names; hex trace/span ids; enums as integers or names; 64-bit integers as strings or numbers (bare
 *   numbers beyond 2^53 are read exactly from the source text); doubles as numbers or "NaN"/"Infinity"/"-Infinity";
 *   bytes as base64; unknown keys ignored; `null` means absent.
 * - Every error is an `OtlpJsonError` whose path names the bad value, e.g.
 *   `resourceMetrics[0].scopeMetrics[1].metrics[3].sum.dataPoints[0].asInt: expected integer, got "abc"`.
 *   Two members of one oneof (metric data, point value, AnyValue) is an error, as in protojson.
 * - Same model defaults as the binary decoder; the result belongs to the caller; `prom` is never set.
 */
import type {
  AnyValue,
  Attributes,
  Buckets,
  EntityRef,
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricsData,
  NumberDataPoint,
  Resource,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  Temporality,
} from '../../model/types.ts';
import { MAX_ANY_VALUE_DEPTH } from './descs.ts';
import { OtlpJsonError, rethrowWithin } from './errors.ts';
import {
  type JsonObject,
  NEED_EXACT_INTS,
  fail,
  setExactPass,
  field,
  isObject,
  readArray,
  readBase64,
  readBool,
  readDouble,
  readHexId,
  readInt32,
  readInt64,
  readOptionalDouble,
  readString,
  readTemporality,
  readUint64,
  readUint64Number,
} from './json-values.ts';

/** Keeps integer literals beyond 2^53 as their source text (used only for a reparse, see NEED_EXACT_INTS). */
function keepLongInts(this: unknown, _key: string, value: unknown, ctx?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && ctx?.source !== undefined) {
    if (/^-?\d+$/.test(ctx.source)) return ctx.source;
  }
  return value;
}

/**
 * Parses JSON text into a plain value; syntax errors become OtlpJsonError. With `exact`, integer literals beyond
 * 2^53 are kept as strings (slower reviver; used only when a 64-bit field needs it).
 */
export function parseJson(text: string, exact = false): unknown {
  try {
    return exact ? JSON.parse(text, keepLongInts as (this: unknown, key: string, value: unknown) => unknown) : JSON.parse(text);
  } catch (e) {
    throw new OtlpJsonError('', `invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * Runs `decode` on the parsed text; if a 64-bit field met a bare number JSON.parse may have rounded, parses again
 * keeping such literals exact and decodes that instead (fast path: one plain JSON.parse).
 */
export function decodeJsonText<T>(text: string, decode: (doc: unknown) => T): T {
  try {
    return decode(parseJson(text));
  } catch (e) {
    if (e !== NEED_EXACT_INTS) throw e;
  }
  setExactPass(true);
  try {
    return decode(parseJson(text, true));
  } finally {
    setExactPass(false);
  }
}

export function decodeExportMetricsRequestJson(text: string): MetricsData {
  return decodeJsonText(text, decodeDocument);
}

function decodeDocument(doc: unknown): MetricsData {
  if (!isObject(doc)) return fail('', 'object', doc);
  return { resourceMetrics: mapArray(field(doc, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics', decodeRM) };
}

function mapArray<T>(v: unknown, key: string, f: (x: unknown) => T): T[] {
  const arr = readArray(v, key);
  const out: T[] = [];
  for (let i = 0; i < arr.length; i++) {
    try {
      out.push(f(arr[i]));
    } catch (e) {
      rethrowWithin(e, `${key}[${i}]`);
    }
  }
  return out;
}

/** Decodes the object at `o[key]` with `f` (absent/null -> f(undefined-as-{})). */
function sub<T>(v: unknown, key: string, f: (o: JsonObject) => T): T {
  if (v !== undefined && v !== null && !isObject(v)) fail(key, 'object', v);
  try {
    return f((v ?? {}) as JsonObject);
  } catch (e) {
    return rethrowWithin(e, key);
  }
}

function obj(v: unknown): JsonObject {
  return isObject(v) ? v : fail('', 'object', v);
}

function decodeRM(v: unknown): ResourceMetrics {
  const o = obj(v);
  return {
    resource: sub(o['resource'], 'resource', (r) => {
      const res: Resource = {
        attributes: decodeAttributes(r['attributes'], 'attributes', 0),
        droppedAttributesCount: readInt32(field(r, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount', true),
      };
      const refs = mapArray(field(r, 'entityRefs', 'entity_refs'), 'entityRefs', decodeEntityRef);
      if (refs.length > 0) res.entityRefs = refs;
      return res;
    }),
    scopeMetrics: mapArray(field(o, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics', decodeSM),
    schemaUrl: readString(field(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
  };
}

function decodeEntityRef(v: unknown): EntityRef {
  const o = obj(v);
  const strings = (x: unknown, key: string): string[] => mapArray(x, key, (e) => readString(e, ''));
  return {
    schemaUrl: readString(field(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
    type: readString(o['type'], 'type'),
    idKeys: strings(field(o, 'idKeys', 'id_keys'), 'idKeys'),
    descriptionKeys: strings(field(o, 'descriptionKeys', 'description_keys'), 'descriptionKeys'),
  };
}

function decodeSM(v: unknown): ScopeMetrics {
  const o = obj(v);
  return {
    scope: sub(o['scope'], 'scope', (s) => ({
      name: readString(s['name'], 'name'),
      version: readString(s['version'], 'version'),
      attributes: decodeAttributes(s['attributes'], 'attributes', 0),
      droppedAttributesCount: readInt32(field(s, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount', true),
    })),
    metrics: mapArray(o['metrics'], 'metrics', decodeMetric),
    schemaUrl: readString(field(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
  };
}

const DATA_KEYS: ReadonlyArray<readonly [string, string, Metric['type']]> = [
  ['gauge', 'gauge', 'gauge'],
  ['sum', 'sum', 'sum'],
  ['histogram', 'histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram', 'exponential_histogram'],
  ['summary', 'summary', 'summary'],
];

function decodeMetric(v: unknown): Metric {
  const o = obj(v);
  const name = readString(o['name'], 'name');
  const description = readString(o['description'], 'description');
  const unit = readString(o['unit'], 'unit');
  const metadata = decodeAttributes(o['metadata'], 'metadata', 0);
  let type: Metric['type'] = 'empty';
  let data: unknown;
  let key = '';
  for (const [camel, snake, t] of DATA_KEYS) {
    const d = field(o, camel, snake);
    if (d === undefined || d === null) continue;
    if (type !== 'empty') throw new OtlpJsonError('', `more than one of gauge, sum, histogram, exponentialHistogram, summary is set (${key}, ${camel})`);
    type = t;
    data = d;
    key = camel;
  }
  if (type === 'empty') return { name, description, unit, metadata, type: 'empty', points: [] };
  return sub(data, key, (d): Metric => {
    const dp = field(d, 'dataPoints', 'data_points');
    const temporality = (): Temporality =>
      readTemporality(field(d, 'aggregationTemporality', 'aggregation_temporality'), 'aggregationTemporality') as Temporality;
    switch (type) {
      case 'gauge':
        return { name, description, unit, metadata, type, points: mapArray(dp, 'dataPoints', decodeNumberPoint) };
      case 'sum':
        return {
          name,
          description,
          unit,
          metadata,
          type,
          temporality: temporality(),
          isMonotonic: readBool(field(d, 'isMonotonic', 'is_monotonic'), 'isMonotonic'),
          points: mapArray(dp, 'dataPoints', decodeNumberPoint),
        };
      case 'histogram':
        return { name, description, unit, metadata, type, temporality: temporality(), points: mapArray(dp, 'dataPoints', decodeHistogramPoint) };
      case 'exponential_histogram':
        return { name, description, unit, metadata, type, temporality: temporality(), points: mapArray(dp, 'dataPoints', decodeExpPoint) };
      default:
        return { name, description, unit, metadata, type: 'summary', points: mapArray(dp, 'dataPoints', decodeSummaryPoint) };
    }
  });
}

function start(o: JsonObject): bigint {
  return readUint64(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
}
function time(o: JsonObject): bigint {
  return readUint64(field(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
}
function flags(o: JsonObject): number {
  return readInt32(o['flags'], 'flags', true);
}

/** The NumberDataPoint/Exemplar value oneof: asDouble (number) or asInt (bigint); absent -> undefined. */
function numberValue(o: JsonObject): number | bigint | undefined {
  const d = field(o, 'asDouble', 'as_double');
  const i = field(o, 'asInt', 'as_int');
  const hasD = d !== undefined && d !== null;
  const hasI = i !== undefined && i !== null;
  if (hasD && hasI) throw new OtlpJsonError('', 'both asDouble and asInt are set');
  return hasI ? readInt64(i, 'asInt') : hasD ? readDouble(d, 'asDouble') : undefined;
}

function decodeNumberPoint(v: unknown): NumberDataPoint {
  const o = obj(v);
  const value = numberValue(o);
  const p: NumberDataPoint = {
    attributes: decodeAttributes(o['attributes'], 'attributes', 0),
    startTimeUnixNano: start(o),
    timeUnixNano: time(o),
    flags: flags(o),
    value: value ?? 0,
    exemplars: mapArray(o['exemplars'], 'exemplars', decodeExemplar),
  };
  if (value === undefined) p.valueAbsent = true; // neither asDouble nor asInt: kept as "no value"
  return p;
}

function doubles(v: unknown, key: string): number[] {
  const arr = readArray(v, key);
  const out: number[] = [];
  for (let i = 0; i < arr.length; i++) out.push(readDouble(arr[i], `${key}[${i}]`));
  return out;
}

function counts(v: unknown, key: string): number[] {
  const arr = readArray(v, key);
  const out: number[] = [];
  for (let i = 0; i < arr.length; i++) out.push(readUint64Number(arr[i], `${key}[${i}]`));
  return out;
}

function decodeHistogramPoint(v: unknown): HistogramDataPoint {
  const o = obj(v);
  return {
    attributes: decodeAttributes(o['attributes'], 'attributes', 0),
    startTimeUnixNano: start(o),
    timeUnixNano: time(o),
    flags: flags(o),
    count: readUint64Number(o['count'], 'count'),
    sum: readOptionalDouble(o['sum'], 'sum'),
    bucketCounts: counts(field(o, 'bucketCounts', 'bucket_counts'), 'bucketCounts'),
    explicitBounds: doubles(field(o, 'explicitBounds', 'explicit_bounds'), 'explicitBounds'),
    exemplars: mapArray(o['exemplars'], 'exemplars', decodeExemplar),
    min: readOptionalDouble(o['min'], 'min'),
    max: readOptionalDouble(o['max'], 'max'),
  };
}

function buckets(v: unknown, key: string): Buckets {
  return sub(v, key, (b) => ({
    offset: readInt32(b['offset'], 'offset', false),
    bucketCounts: counts(field(b, 'bucketCounts', 'bucket_counts'), 'bucketCounts'),
  }));
}

function decodeExpPoint(v: unknown): ExponentialHistogramDataPoint {
  const o = obj(v);
  return {
    attributes: decodeAttributes(o['attributes'], 'attributes', 0),
    startTimeUnixNano: start(o),
    timeUnixNano: time(o),
    flags: flags(o),
    count: readUint64Number(o['count'], 'count'),
    sum: readOptionalDouble(o['sum'], 'sum'),
    scale: readInt32(o['scale'], 'scale', false),
    zeroCount: readUint64Number(field(o, 'zeroCount', 'zero_count'), 'zeroCount'),
    positive: buckets(o['positive'], 'positive'),
    negative: buckets(o['negative'], 'negative'),
    exemplars: mapArray(o['exemplars'], 'exemplars', decodeExemplar),
    min: readOptionalDouble(o['min'], 'min'),
    max: readOptionalDouble(o['max'], 'max'),
    zeroThreshold: readDouble(field(o, 'zeroThreshold', 'zero_threshold'), 'zeroThreshold'),
  };
}

function decodeSummaryPoint(v: unknown): SummaryDataPoint {
  const o = obj(v);
  return {
    attributes: decodeAttributes(o['attributes'], 'attributes', 0),
    startTimeUnixNano: start(o),
    timeUnixNano: time(o),
    flags: flags(o),
    count: readUint64Number(o['count'], 'count'),
    sum: readDouble(o['sum'], 'sum'),
    quantileValues: mapArray(field(o, 'quantileValues', 'quantile_values'), 'quantileValues', (q) => {
      const qo = obj(q);
      return { quantile: readDouble(qo['quantile'], 'quantile'), value: readDouble(qo['value'], 'value') };
    }),
  };
}

function decodeExemplar(v: unknown): Exemplar {
  const o = obj(v);
  return {
    filteredAttributes: decodeAttributes(field(o, 'filteredAttributes', 'filtered_attributes'), 'filteredAttributes', 0),
    timeUnixNano: time(o),
    value: numberValue(o) ?? 0,
    traceId: readHexId(field(o, 'traceId', 'trace_id'), 'traceId', 16),
    spanId: readHexId(field(o, 'spanId', 'span_id'), 'spanId', 8),
  };
}

function decodeAttributes(v: unknown, key: string, depth: number): Attributes {
  const arr = readArray(v, key);
  const out: Attributes = [];
  for (let i = 0; i < arr.length; i++) {
    try {
      const kv = obj(arr[i]);
      const value = kv['value'];
      out.push({ key: readString(kv['key'], 'key'), value: value === undefined || value === null ? null : anyValue(value, depth) });
    } catch (e) {
      rethrowWithin(e, `${key}[${i}]`);
    }
  }
  return out;
}

function anyValue(v: unknown, depth: number): AnyValue {
  try {
    return decodeAnyValue(v, depth);
  } catch (e) {
    return rethrowWithin(e, 'value');
  }
}

const ANY_KEYS = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
] as const;

function decodeAnyValue(v: unknown, depth: number): AnyValue {
  const o = obj(v);
  let which = -1;
  let raw: unknown;
  for (let k = 0; k < ANY_KEYS.length; k++) {
    const x = field(o, ANY_KEYS[k]![0], ANY_KEYS[k]![1]);
    if (x === undefined || x === null) continue;
    if (which !== -1) throw new OtlpJsonError('', `AnyValue has more than one value set (${ANY_KEYS[which]![0]}, ${ANY_KEYS[k]![0]})`);
    which = k;
    raw = x;
  }
  switch (which) {
    case 0:
      return readString(raw, 'stringValue');
    case 1:
      return readBool(raw, 'boolValue');
    case 2:
      return readInt64(raw, 'intValue');
    case 3:
      return readDouble(raw, 'doubleValue');
    case 4:
    case 5: {
      const key = which === 4 ? 'arrayValue' : 'kvlistValue';
      if (depth >= MAX_ANY_VALUE_DEPTH) throw new OtlpJsonError(key, `AnyValue nesting deeper than ${MAX_ANY_VALUE_DEPTH}`);
      return sub(raw, key, (c) => {
        if (which === 5) return { kvlist: decodeAttributes(c['values'], 'values', depth + 1) };
        return mapArray(c['values'], 'values', (x) => decodeAnyValue(x, depth + 1));
      });
    }
    case 6:
      return readBase64(raw, 'bytesValue');
    default:
      return null;
  }
}
