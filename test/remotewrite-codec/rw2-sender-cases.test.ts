/**
 * prometheus/compliance RW 2.0 sender checks that concern the encoded message (symbols, labels, samples, metadata,
 * exemplars, timestamps, RW 1.0 compatibility), run case by case: the case's scrape body is replayed into our
 * encoder (test/remotewrite-codec/exposition.ts), the request is snappy-compressed and decoded again, and the case's
 * rule is asserted. Transport-level cases (retry, backoff, headers, status codes, fallback) belong to the exporter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DecodedRequestV2, DecodedWriteRequestV1 } from '../../src/codec/remotewrite/index.ts';
import {
  decodeWriteRequest,
  decodeWriteV2Request,
  RemoteWriteV1Encoder,
  RemoteWriteV2Encoder,
  uncompressBlock,
} from '../../src/codec/remotewrite/index.ts';
import { isStaleNaN } from '../../src/translate/prometheus/values.ts';
import { replay, SCRAPE_MS } from './exposition.ts';

interface Case {
  file: string;
  name: string | null;
  level: string;
  description: string;
  scrape_data: string | null;
}
const file = JSON.parse(readFileSync(new URL('../fixtures/remote_write/rw2_sender_cases.json', import.meta.url), 'utf8'));
const cases: Case[] = file.cases;

interface Ctx {
  req: DecodedRequestV2;
  v1: DecodedWriteRequestV1;
  n: number;
  body: string;
}
const nameOf = (t: { labels: { name: string; value: string }[] }) => t.labels.find((l) => l.name === '__name__')?.value;
const value = (c: Ctx, metric: string, label?: [string, string]) =>
  c.req.timeseries.find((t) => nameOf(t) === metric && (!label || t.labels.some((l) => l.name === label[0] && l.value === label[1])))!
    .samples[0]!.value;
const allRefs = (c: Ctx) => c.req.timeseries.flatMap((t) => [...t.labelsRefs, ...t.exemplars.flatMap((e) => e.labelsRefs)]);
const everySeries = (c: Ctx, f: (t: DecodedRequestV2['timeseries'][number]) => boolean) => c.req.timeseries.every(f);

/** Bodies the Go tests generate in code. */
const GENERATED: Record<string, string> = {
  huge_label_values: `test_metric{big="${'x'.repeat(12 * 1024)}"} 1\n`,
  very_long_metric_name: `${'very_long_metric_name_'.repeat(12)}total 1\n`,
  many_timeseries: Array.from({ length: 10_000 }, (_, i) => `series_${i % 100}{idx="${i}"} ${i}\n`).join(''),
  high_cardinality: Array.from({ length: 2_000 }, (_, i) => `hc{user="u${i}",session="s${i * 7}"} 1\n`).join(''),
  future_timestamp: `test_metric 42 ${SCRAPE_MS + 3_600_000}\n`,
};

const CHECKS: Record<string, (c: Ctx) => void> = {
  // symbols
  empty_string_at_index_zero: (c) => assert.equal(c.req.symbols[0], ''),
  string_deduplication: (c) => assert.equal(new Set(c.req.symbols).size, c.req.symbols.length),
  labels_refs_valid_indices: (c) => assert.ok(allRefs(c).every((r) => r >= 0 && r < c.req.symbols.length)),
  labels_refs_even_length: (c) => assert.ok(everySeries(c, (t) => t.labelsRefs.length % 2 === 0)),
  // labels
  label_lexicographic_ordering: (c) =>
    assert.ok(everySeries(c, (t) => t.labels.every((l, i) => i === 0 || t.labels[i - 1]!.name < l.name))),
  metric_name_label_present: (c) => assert.ok(everySeries(c, (t) => nameOf(t) === 'test_metric')),
  metric_name_format_valid: (c) => assert.ok(everySeries(c, (t) => /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(nameOf(t)!))),
  label_name_format_valid: (c) =>
    assert.ok(everySeries(c, (t) => t.labels.every((l) => l.name === '__name__' || /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l.name)))),
  no_duplicate_label_names: (c) => assert.ok(everySeries(c, (t) => new Set(t.labels.map((l) => l.name)).size === t.labels.length)),
  label_names_not_empty: (c) => assert.ok(everySeries(c, (t) => t.labels.every((l) => l.name !== ''))),
  label_values_may_be_empty: (c) => {
    assert.equal(c.req.timeseries.length, 1, 'sent');
    assert.ok(!c.req.timeseries[0]!.labels.some((l) => l.name === 'empty'), 'an empty value is an absent label');
  },
  reserved_label_prefix: (c) => assert.ok(everySeries(c, (t) => t.labels.every((l) => l.name === '__name__' || !l.name.startsWith('__')))),
  unicode_in_label_values: (c) => assert.equal(value(c, 'test_metric', ['emoji', '🚀']), 42),
  unicode_in_labels: (c) => {
    const t = c.req.timeseries[0]!;
    assert.deepEqual(Object.fromEntries(t.labels.map((l) => [l.name, l.value])).vietnamese, 'tôi yêu việt nam');
    assert.ok(t.labels.some((l) => l.value === '测试') && t.labels.some((l) => l.value === 'مرحبا'));
  },
  special_chars_in_label_values: (c) => assert.equal(value(c, 'test_metric', ['query', 'foo=bar&baz=qux']), 42),
  very_long_label_names: (c) => assert.ok(c.req.timeseries[0]!.labels.some((l) => l.name.length > 50)),
  very_long_label_values: (c) => assert.ok(c.req.timeseries[0]!.labels.some((l) => l.value.length > 100)),
  many_labels_per_series: (c) => assert.equal(c.req.timeseries[0]!.labels.length, 13, '__name__ + l1..l10 + job + instance'),
  huge_label_values: (c) => assert.equal(c.req.timeseries[0]!.labels.find((l) => l.name === 'big')!.value.length, 12 * 1024),
  very_long_metric_name: (c) => assert.equal(nameOf(c.req.timeseries[0]!)!.length, 22 * 12 + 5),
  many_timeseries: (c) => assert.equal(c.req.timeseries.length, 10_000),
  high_cardinality: (c) => assert.equal(new Set(c.req.timeseries.map((t) => t.labelsRefs.join(','))).size, 2_000),
  // samples
  float_value_encoding: (c) => assert.equal(value(c, 'test_metric'), 123.45),
  integer_value_encoding: (c) => assert.equal(value(c, 'test_counter_total'), 42),
  zero_value_encoding: (c) => assert.ok(Object.is(value(c, 'test_gauge'), 0)),
  negative_value_encoding: (c) => assert.equal(value(c, 'temperature_celsius'), -15.5),
  positive_infinity_encoding: (c) => assert.equal(value(c, 'test_gauge'), Infinity),
  negative_infinity_encoding: (c) => assert.equal(value(c, 'test_gauge'), -Infinity),
  nan_encoding: (c) => {
    const v = value(c, 'test_gauge');
    assert.ok(Number.isNaN(v) && !isStaleNaN(v));
  },
  large_float_values: (c) => assert.equal(value(c, 'test_large'), 1.7976931348623157e308),
  small_float_values: (c) => assert.equal(value(c, 'test_small'), 2.2250738585072014e-308),
  scientific_notation: (c) => assert.equal(value(c, 'test_scientific'), 1.23e-4),
  precision_preservation: (c) => assert.equal(value(c, 'test_precision'), 0.123456789012345),
  special_float_combinations: (c) => {
    assert.ok(Number.isNaN(value(c, 'special_values', ['type', 'nan'])));
    assert.equal(value(c, 'special_values', ['type', 'inf']), Infinity);
    assert.equal(value(c, 'special_values', ['type', 'ninf']), -Infinity);
    assert.equal(value(c, 'special_values', ['type', 'zero']), 0);
    assert.equal(value(c, 'special_values', ['type', 'negative']), -123.45);
  },
  stale_marker: (c) => assert.ok(isStaleNaN(c.req.timeseries[0]!.samples[0]!.value)),
  job_instance_labels_present: (c) =>
    assert.ok(everySeries(c, (t) => t.labels.some((l) => l.name === 'job') && t.labels.some((l) => l.name === 'instance'))),
  metric_name_with_colons: (c) => assert.equal(nameOf(c.req.timeseries[0]!), 'http:request:duration:seconds'),
  // timestamps
  timestamp_milliseconds_format: (c) => assert.equal(c.req.timeseries[0]!.samples[0]!.timestamp, SCRAPE_MS),
  timestamp_int64_milliseconds: (c) => assert.ok(Number.isInteger(c.req.timeseries[0]!.samples[0]!.timestamp)),
  timestamp_precision: (c) => assert.equal(c.req.timeseries[0]!.samples[0]!.timestamp % 1, 0),
  zero_timestamp: (c) => assert.equal(c.req.timeseries[0]!.samples[0]!.timestamp, 0),
  future_timestamp: (c) => assert.equal(c.req.timeseries[0]!.samples[0]!.timestamp, SCRAPE_MS + 3_600_000),
  timestamp_future_values: (c) => assert.equal(c.req.timeseries[0]!.samples[0]!.timestamp, SCRAPE_MS),
  timestamp_ordering_within_series: (c) =>
    assert.ok(everySeries(c, (t) => t.samples.every((s, i) => i === 0 || t.samples[i - 1]!.timestamp <= s.timestamp))),
  start_timestamp_zero_handling: (c) => assert.ok(everySeries(c, (t) => t.createdTimestamp === 0), 'unknown start -> unset'),
  // metadata
  metadata_type_counter: (c) => assert.equal(c.req.timeseries[0]!.metadata.type, 1),
  metadata_type_gauge: (c) => assert.equal(c.req.timeseries[0]!.metadata.type, 2),
  metadata_type_histogram: (c) => assert.ok(everySeries(c, (t) => t.metadata.type === 3)),
  metadata_type_summary: (c) => assert.ok(everySeries(c, (t) => t.metadata.type === 5)),
  metadata_help_text: (c) => assert.equal(c.req.timeseries[0]!.metadata.help, 'The total number of HTTP requests'),
  metadata_unit: (c) => assert.equal(c.req.timeseries[0]!.metadata.unit, 'bytes'),
  metadata_help_with_special_chars: (c) =>
    assert.equal(c.req.timeseries[0]!.metadata.help, 'This help contains "quotes" and \\backslashes\\'),
  metadata_help_with_newlines: (c) => assert.match(c.req.timeseries[0]!.metadata.help, /multiple lines|help text/),
  metadata_help_refs_valid: (c) => assert.ok(everySeries(c, (t) => t.metadata.helpRef < c.req.symbols.length && t.metadata.help !== '')),
  metadata_consistent_across_series: (c) =>
    assert.equal(new Set(c.req.timeseries.map((t) => JSON.stringify([t.metadata.type, t.metadata.help]))).size, 1),
  metadata_empty_help_allowed: (c) => assert.equal(c.req.timeseries[0]!.metadata.helpRef, 0),
  // exemplars
  exemplar_with_trace_id: (c) => assert.ok(c.req.timeseries.some((t) => t.exemplars.some((e) => e.labels.some((l) => l.name === 'trace_id' && l.value === 'abc123xyz')))),
  exemplar_with_span_id: (c) => assert.ok(c.req.timeseries[0]!.exemplars[0]!.labels.some((l) => l.name === 'span_id' && l.value === 'def456')),
  exemplar_value_valid: (c) => assert.equal(c.req.timeseries[0]!.exemplars[0]!.value, 99.5),
  exemplar_timestamp_valid: (c) => assert.equal(c.req.timeseries[0]!.exemplars[0]!.timestamp, 1234567890123),
  exemplar_labels_valid_refs: (c) => assert.ok(c.req.timeseries[0]!.exemplars[0]!.labelsRefs.every((r) => r < c.req.symbols.length)),
  exemplar_labels_even_length: (c) => assert.equal(c.req.timeseries[0]!.exemplars[0]!.labelsRefs.length % 2, 0),
  exemplar_custom_labels: (c) =>
    assert.deepEqual(c.req.timeseries[0]!.exemplars[0]!.labels, [{ name: 'request_id', value: 'req456' }, { name: 'user_id', value: 'user123' }]),
  exemplar_on_histogram: (c) => assert.equal(c.req.timeseries.find((t) => t.exemplars.length > 0)!.labels.find((l) => l.name === 'le')!.value, '0.1'),
  multiple_exemplars_per_series: (c) => assert.equal(c.req.timeseries.filter((t) => t.exemplars.length > 0).length, 2),
  samples_with_exemplars: (c) => assert.equal(c.req.timeseries[0]!.exemplars[0]!.value, 999),
  // families / combined
  samples_with_metadata: (c) => assert.ok(everySeries(c, (t) => t.metadata.type === 1 && t.metadata.help === 'Total HTTP requests received')),
  multiple_metric_types: (c) => assert.equal(c.req.timeseries.length, c.n),
  complete_metric_family: (c) => assert.equal(c.req.timeseries.length, c.n),
  real_world_scenario: (c) => assert.equal(c.req.timeseries.length, c.n),
  mixed_sample_and_histogram_families: (c) => assert.equal(c.req.timeseries.length, c.n),
  mixed_labels_and_metadata: (c) => assert.ok(everySeries(c, (t) => t.labels.length >= 8 && t.metadata.type === 1)),
  histogram_no_mixed_with_samples: (c) => assert.ok(everySeries(c, (t) => !(t.samples.length > 0 && t.histograms > 0))),
  // RW 1.0 compatibility (encoded with the 1.0 encoder)
  rw1_samples_encoding: (c) => assert.equal(c.v1.timeseries[0]!.samples[0]!.value, 100),
  rw1_labels_encoding: (c) =>
    assert.deepEqual(c.v1.timeseries[0]!.labels.map((l) => l.name), ['__name__', 'instance', 'job', 'label']),
  rw1_no_native_histograms: (c) => assert.ok(c.v1.timeseries.every((t) => t.histograms === 0)),
  rw1_symbol_table_not_used: (c) => assert.ok(c.v1.timeseries.every((t) => t.labels.length > 0)),
};

describe('prometheus/compliance RW sender cases (message-level)', () => {
  const byName = new Map<string, Case>();
  for (const c of cases) if (c.name !== null) byName.set(c.name, c);
  test('every message-level check names a case of the suite', () => {
    for (const k of Object.keys(CHECKS)) assert.ok(byName.has(k), k);
  });
  for (const c of cases) {
    const check = c.name === null ? undefined : CHECKS[c.name];
    if (check === undefined) continue;
    test(`${c.file} ${c.name} [${c.level}] ${c.description}`, () => {
      const body = c.scrape_data ?? GENERATED[c.name!];
      assert.ok(body !== undefined, 'scrape body');
      const v2 = new RemoteWriteV2Encoder();
      const n = replay(body, v2);
      const req = decodeWriteV2Request(new Uint8Array(uncompressBlock(v2.finishSnappy())));
      const v1e = new RemoteWriteV1Encoder({ sendMetadata: true });
      replay(body, v1e);
      const v1 = decodeWriteRequest(new Uint8Array(uncompressBlock(v1e.finishSnappy())));
      assert.equal(v2.stats.rejected + v1e.stats.rejected, 0, 'nothing rejected');
      check({ req, v1, n, body });
    });
  }
});
