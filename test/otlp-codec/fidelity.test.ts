/**
 * OTLP fidelity for two fields the model used to lose (review findings): Resource `entity_refs` (resource.proto
 * field 3, common.proto EntityRef) and a NumberDataPoint with no value (neither as_double nor as_int; the Collector's
 * NumberDataPointValueType Empty). Both must survive proto -> model -> proto and JSON -> model -> JSON, field by field,
 * and a deep copy (fan-out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  encodeExportMetricsRequest,
  encodeExportMetricsRequestJson,
} from '../../src/codec/otlp/index.ts';
import { ProtoReader, ProtoWriter } from '../../src/codec/protobuf/index.ts';
import { cloneMetricsData } from '../../src/model/clone.ts';
import type { GaugeMetric, MetricsData } from '../../src/model/types.ts';

const T = 1_700_000_000_000_000_000n;

/** ExportMetricsServiceRequest bytes with the given Resource body and gauge point bodies, written by hand. */
function request(resource: (w: ProtoWriter) => void, points: Array<(w: ProtoWriter) => void>): Uint8Array {
  const w = new ProtoWriter();
  w.tag(1, 2);
  const rm = w.fork();
  w.tag(1, 2);
  const res = w.fork();
  resource(w);
  w.ldelim(res);
  w.tag(2, 2);
  const sm = w.fork();
  w.tag(1, 2);
  w.bytes(new Uint8Array(0)); // empty scope
  w.tag(2, 2);
  const m = w.fork();
  w.stringField(1, 'g');
  w.tag(5, 2);
  const g = w.fork();
  for (const p of points) {
    w.tag(1, 2);
    const at = w.fork();
    p(w);
    w.ldelim(at);
  }
  w.ldelim(g);
  w.ldelim(m);
  w.ldelim(sm);
  w.ldelim(rm);
  return w.finish().slice();
}

function entityRef(w: ProtoWriter, schemaUrl: string, type: string, ids: string[], descs: string[]): void {
  w.tag(3, 2);
  const at = w.fork();
  if (schemaUrl !== '') w.stringField(1, schemaUrl);
  if (type !== '') w.stringField(2, type);
  for (const k of ids) w.stringField(3, k);
  for (const k of descs) w.stringField(4, k);
  w.ldelim(at);
}

function attr(w: ProtoWriter, field: number, key: string, value: string): void {
  w.tag(field, 2);
  const kv = w.fork();
  w.stringField(1, key);
  w.tag(2, 2);
  const v = w.fork();
  w.stringField(1, value);
  w.ldelim(v);
  w.ldelim(kv);
}

const ENTITY_BYTES = request(
  (w) => {
    attr(w, 1, 'service.name', 'checkout');
    attr(w, 1, 'host.id', 'h-1');
    entityRef(w, 'https://opentelemetry.io/schemas/1.26.0', 'service', ['service.name'], ['service.version', 'deployment.environment']);
    entityRef(w, '', 'host', ['host.id', 'host.name'], []);
  },
  [(w) => (w.fixed64Field(3, T), w.doubleField(4, 1.5))],
);

const EXPECTED_REFS = [
  { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', type: 'service', idKeys: ['service.name'], descriptionKeys: ['service.version', 'deployment.environment'] },
  { schemaUrl: '', type: 'host', idKeys: ['host.id', 'host.name'], descriptionKeys: [] },
];

/** Field numbers present in one message body (top level only). */
function fieldsOf(body: Uint8Array): number[] {
  const r = new ProtoReader(body);
  const out: number[] = [];
  while (r.pos < r.limit) {
    r.tag();
    out.push(r.field);
    r.skip(r.wireType);
  }
  return out;
}

/** Bodies of the gauge's data points in an encoded request (walks RM 1 -> SM 2 -> Metric 2 -> Gauge 5 -> points 1). */
function pointBodies(bytes: Uint8Array): Uint8Array[] {
  const sub = (b: Uint8Array, field: number): Uint8Array[] => {
    const r = new ProtoReader(b);
    const out: Uint8Array[] = [];
    while (r.pos < r.limit) {
      r.tag();
      if (r.field === field && r.wireType === 2) out.push(r.bytesView());
      else r.skip(r.wireType);
    }
    return out;
  };
  return sub(bytes, 1).flatMap((rm) => sub(rm, 2)).flatMap((sm) => sub(sm, 2)).flatMap((m) => sub(m, 5)).flatMap((g) => sub(g, 1));
}

test('Resource.entity_refs: proto -> model keeps every field, and proto out is byte-identical', () => {
  const md = decodeExportMetricsRequest(ENTITY_BYTES);
  assert.deepStrictEqual(md.resourceMetrics[0]!.resource.entityRefs, EXPECTED_REFS);
  assert.deepStrictEqual(encodeExportMetricsRequest(md), ENTITY_BYTES);
});

test('Resource.entity_refs: JSON out uses the proto3 JSON names, and JSON -> model -> proto is unchanged', () => {
  const md = decodeExportMetricsRequest(ENTITY_BYTES);
  const json = encodeExportMetricsRequestJson(md);
  const doc = JSON.parse(json) as { resourceMetrics: Array<{ resource: { entityRefs: unknown } }> };
  assert.deepStrictEqual(doc.resourceMetrics[0]!.resource.entityRefs, [
    { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', type: 'service', idKeys: ['service.name'], descriptionKeys: ['service.version', 'deployment.environment'] },
    { type: 'host', idKeys: ['host.id', 'host.name'] },
  ]);
  const back = decodeExportMetricsRequestJson(json);
  assert.deepStrictEqual(back, md);
  assert.deepStrictEqual(encodeExportMetricsRequest(back), ENTITY_BYTES);
  assert.equal(encodeExportMetricsRequestJson(back), json);
});

test('Resource.entity_refs: snake_case JSON input is accepted; a resource without refs has no entityRefs key', () => {
  const md = decodeExportMetricsRequestJson(
    JSON.stringify({
      resourceMetrics: [
        { resource: { attributes: [], entity_refs: [{ schema_url: 's', type: 't', id_keys: ['a'], description_keys: ['b'] }] } },
        { resource: { attributes: [] } },
      ],
    }),
  );
  assert.deepStrictEqual(md.resourceMetrics[0]!.resource.entityRefs, [{ schemaUrl: 's', type: 't', idKeys: ['a'], descriptionKeys: ['b'] }]);
  assert.equal('entityRefs' in md.resourceMetrics[1]!.resource, false);
  assert.doesNotMatch(encodeExportMetricsRequestJson({ resourceMetrics: [md.resourceMetrics[1]!] }), /entityRefs/);
});

test('Resource.entity_refs: a bad id_keys entry in JSON names its path', () => {
  assert.throws(
    () => decodeExportMetricsRequestJson('{"resourceMetrics":[{"resource":{"entityRefs":[{"type":"t","idKeys":[1]}]}}]}'),
    /resourceMetrics\[0\]\.resource\.entityRefs\[0\]\.idKeys\[0\]/,
  );
});

const NO_VALUE_BYTES = request(
  () => {},
  [
    (w) => (w.fixed64Field(2, T - 10n), w.fixed64Field(3, T), attr(w, 7, 'k', 'v')), // no value
    (w) => (w.fixed64Field(3, T), w.doubleField(4, 0)), // as_double 0: a value
    (w) => (w.fixed64Field(3, T), w.tag(6, 1), w.sfixed64(0n)), // as_int 0: a value
    (w) => (w.fixed64Field(3, T), w.uint32Field(8, 1)), // no value, flag no_recorded_value
  ],
);

test('NumberDataPoint without a value: decodes as "no value", distinct from as_double 0 and as_int 0', () => {
  const points = (decodeExportMetricsRequest(NO_VALUE_BYTES).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as GaugeMetric).points;
  assert.equal(points[0]!.valueAbsent, true);
  assert.equal(points[0]!.startTimeUnixNano, T - 10n);
  assert.equal(points[0]!.timeUnixNano, T);
  assert.deepStrictEqual(points[0]!.attributes, [{ key: 'k', value: 'v' }]);
  assert.equal(points[1]!.valueAbsent, undefined);
  assert.equal(points[1]!.value, 0);
  assert.equal(points[2]!.valueAbsent, undefined);
  assert.equal(points[2]!.value, 0n);
  assert.equal(points[3]!.valueAbsent, true);
  assert.equal(points[3]!.flags, 1);
});

test('NumberDataPoint without a value: proto out writes neither as_double (4) nor as_int (6), byte-identical', () => {
  const md = decodeExportMetricsRequest(NO_VALUE_BYTES);
  const out = encodeExportMetricsRequest(md);
  assert.deepStrictEqual(out, NO_VALUE_BYTES);
  assert.deepStrictEqual(pointBodies(out).map(fieldsOf), [[2, 3, 7], [3, 4], [3, 6], [3, 8]]);
});

test('NumberDataPoint without a value: JSON out has no asDouble/asInt, and JSON -> model -> proto keeps it', () => {
  const md = decodeExportMetricsRequest(NO_VALUE_BYTES);
  const json = encodeExportMetricsRequestJson(md);
  const doc = JSON.parse(json) as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ gauge: { dataPoints: object[] } }> }> }> };
  const pts = doc.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge.dataPoints;
  assert.deepStrictEqual(pts[0], { attributes: [{ key: 'k', value: { stringValue: 'v' } }], startTimeUnixNano: String(T - 10n), timeUnixNano: String(T) });
  assert.deepStrictEqual(pts[1], { timeUnixNano: String(T), asDouble: 0 });
  assert.deepStrictEqual(pts[2], { timeUnixNano: String(T), asInt: '0' });
  assert.deepStrictEqual(pts[3], { timeUnixNano: String(T), flags: 1 });
  const back = decodeExportMetricsRequestJson(json);
  assert.deepStrictEqual(back, md);
  assert.deepStrictEqual(encodeExportMetricsRequest(back), NO_VALUE_BYTES);
});

test('entity_refs and "no value" survive a deep copy (fan-out), and the copy does not share the key lists', () => {
  const md: MetricsData = decodeExportMetricsRequest(ENTITY_BYTES);
  const nv = decodeExportMetricsRequest(NO_VALUE_BYTES);
  md.resourceMetrics.push(...nv.resourceMetrics);
  const copy = cloneMetricsData(md);
  assert.deepStrictEqual(copy, md);
  copy.resourceMetrics[0]!.resource.entityRefs![0]!.idKeys.push('x');
  assert.deepStrictEqual(md.resourceMetrics[0]!.resource.entityRefs, EXPECTED_REFS);
  assert.deepStrictEqual(encodeExportMetricsRequest({ resourceMetrics: [cloneMetricsData(nv).resourceMetrics[0]!] }), NO_VALUE_BYTES);
});

test('a value set on a "no value" point is encoded even if the flag was left behind', () => {
  const md = decodeExportMetricsRequest(NO_VALUE_BYTES);
  const p = (md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as GaugeMetric).points[0]!;
  p.value = 42;
  const again = decodeExportMetricsRequest(encodeExportMetricsRequest(md));
  const q = (again.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as GaugeMetric).points[0]!;
  assert.equal(q.value, 42);
  assert.equal(q.valueAbsent, undefined);
  assert.match(encodeExportMetricsRequestJson(md), /"asDouble":42/);
});
