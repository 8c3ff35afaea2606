/**
 * Pull-parser API and helpers: accessors, text-format leniency vs OpenMetrics strictness on the same lines, label-set
 * hashing, content negotiation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType,
  OpenMetricsValidator,
  ParseError,
  SCRAPE_ACCEPT_HEADER,
  contentTypeFor,
  createParser,
  formatFromAccept,
  formatFromContentType,
  parseAll,
} from '../../src/codec/promtext/index.ts';
import type { Parser } from '../../src/codec/promtext/index.ts';

function firstSeries(p: Parser): Parser {
  let t: EntryType;
  while ((t = p.next()) !== EntryType.Series) assert.notEqual(t, EntryType.EOF);
  return p;
}

test('series accessors: raw key, lazy unescaping, labels, value, timestamp', () => {
  const p = firstSeries(createParser('text', '# c\nhttp_total{path="/a\\"b\\\\",code="200"} 1.5e3 1700000000123\n'));
  assert.equal(p.line(), 2);
  assert.equal(p.metricName(), 'http_total');
  assert.ok(p.metricNameIs('http_total'));
  assert.ok(!p.metricNameIs('http_totals'));
  assert.equal(p.series(), 'http_total{path="/a\\"b\\\\",code="200"}');
  assert.equal(p.labelCount(), 2);
  assert.equal(p.labelName(0), 'path');
  assert.equal(p.labelValue(0), '/a"b\\');
  assert.equal(p.labelIndex('code'), 1);
  assert.equal(p.labelIndex('cod'), -1);
  assert.equal(p.labelValueNumber(1), 200);
  assert.ok(p.labelValueIs(1, '200'));
  assert.deepEqual(p.labels(), ['path', '/a"b\\', 'code', '200']);
  assert.equal(p.value(), 1500);
  assert.ok(p.hasTimestamp());
  assert.equal(p.timestamp(), 1700000000123);
  assert.ok(!p.hasExemplar());
  assert.equal(p.next(), EntryType.EOF);
  assert.equal(p.next(), EntryType.EOF);
});

test('OpenMetrics timestamps are float seconds converted to ms as Prometheus (trunc(s * 1000))', () => {
  const p = firstSeries(createParser('openmetrics', 'a_bucket{le="+Inf"} 3 1520879607.789 # {id="x"} 0.5 -1.5\n# EOF\n'));
  assert.equal(p.timestamp(), 1520879607789);
  assert.equal(p.timestampSeconds(), 1520879607.789);
  assert.ok(p.hasExemplar());
  assert.equal(p.exemplarLabelCount(), 1);
  assert.equal(p.exemplarLabelName(0), 'id');
  assert.equal(p.exemplarLabelValue(0), 'x');
  assert.equal(p.exemplarValue(), 0.5);
  assert.ok(p.exemplarHasTimestamp());
  assert.equal(p.exemplarTimestamp(), -1500);
});

test('text format is lenient where promparse is', () => {
  const e = parseAll('text', ' \tm { a = "1" , b="2", } \t 3 \t 4 \n\n# HELP m  two  spaces\n#TYPE not metadata\n');
  assert.deepEqual(e, [
    { type: 'series', series: 'm { a = "1" , b="2", }', name: 'm', labels: [['a', '1'], ['b', '2']], value: 3, timestampMs: 4 },
    { type: 'help', name: 'm', help: ' two  spaces' },
    { type: 'comment', text: '#TYPE not metadata' },
  ]);
  // Same lines are all errors in OpenMetrics.
  for (const bad of ['m{a="1",} 3\n# EOF\n', 'm  3\n# EOF\n', 'm 3 4 \n# EOF\n', '# comment\n# EOF\n', 'm{a="1"}\t3\n# EOF\n']) {
    assert.throws(() => parseAll('openmetrics', bad), ParseError, bad);
  }
});

test('text format errors: duplicate labels, bad TYPE, negative or huge timestamps, NUL outside values', () => {
  for (const bad of [
    'm{a="1",a="2"} 1\n',
    '# TYPE m gaugehistogram\n',
    '# TYPE m gauge \n',
    'm 1 -5\n',
    'm 1 99999999999999999999\n',
    'm 1 9223372036854775808\n',
    'm\u0000 1\n',
    'm{a="1" 1\n',
    'm{a="multi\nline"} 1\n',
  ]) {
    assert.throws(() => parseAll('text', bad), ParseError, JSON.stringify(bad));
  }
  assert.deepEqual(parseAll('text', 'm 1 9223372036854775807'), [
    { type: 'series', series: 'm', name: 'm', labels: [], value: 1, timestampMs: 2 ** 63 },
  ]);
});

test('validate option: OpenMetrics only; text ignores it', () => {
  assert.equal(parseAll('text', 'a_total 1\na_total 2\n', { validate: true }).length, 2);
  assert.throws(() => parseAll('openmetrics', 'a 1\nb 1\na 1\n# EOF\n', { validate: true }), /clashes/);
  assert.equal(parseAll('openmetrics', 'a 1\nb 1\na 1\n# EOF\n').length, 3);
});

test('OpenMetricsValidator reset() allows reuse', () => {
  const v = new OpenMetricsValidator();
  const p = createParser('openmetrics', '# TYPE a gauge\na 1\n# EOF\n');
  assert.equal(p.next(), EntryType.Type);
  assert.equal(v.metadata(EntryType.Type, p), null);
  assert.equal(p.next(), EntryType.Series);
  assert.equal(v.sample(p), null);
  assert.equal(v.end(), null);
  v.reset();
  assert.equal(v.sample(p), null); // 'a' again: fine after reset
  assert.equal(v.end(), null);
});

test('labelSetHash ignores order, escaping and the skipped label', () => {
  const h = (line: string, skip = ''): number => firstSeries(createParser('text', line)).labelSetHash(skip);
  const base = h('m{a="x\\\\y",b="2"} 1');
  assert.equal(h('m{b="2",a="x\\\\y"} 1'), base);
  assert.equal(h('other{b="2",le="5",a="x\\\\y"} 1', 'le'), base);
  assert.notEqual(h('m{a="x\\\\y",b="3"} 1'), base);
  assert.notEqual(h('m{a="x",b="2"} 1'), base);
  assert.notEqual(h('m{ab="",b="2"} 1'), h('m{a="b",b="2"} 1'));
  assert.equal(h('m 1'), 0);
});

test('content negotiation', () => {
  assert.equal(
    SCRAPE_ACCEPT_HEADER,
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  );
  assert.equal(formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
  assert.equal(formatFromContentType(' Application/OpenMetrics-Text;version=0.0.1'), 'openmetrics');
  assert.equal(formatFromContentType('text/plain; version=0.0.4; charset=utf-8'), 'text');
  assert.equal(formatFromContentType('application/json'), 'text');
  assert.equal(formatFromContentType(''), 'text');
  assert.equal(formatFromContentType(undefined), 'text');
  assert.equal(formatFromAccept(SCRAPE_ACCEPT_HEADER), 'openmetrics');
  assert.equal(formatFromAccept('application/openmetrics-text;q=0,text/plain'), 'text');
  assert.equal(formatFromAccept('text/plain;version=0.0.4'), 'text');
  assert.equal(formatFromAccept(undefined), 'text');
  assert.equal(contentTypeFor('openmetrics'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.equal(contentTypeFor('text'), 'text/plain; version=0.0.4; charset=utf-8');
});
