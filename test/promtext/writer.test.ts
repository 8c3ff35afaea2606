/**
 * Writer: exact client_golang-style output for a small set of families, and render -> parse round trips in both
 * formats (OpenMetrics output must pass the validating parser).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapeLabelValue,
  parseAll,
  writeExposition,
  writeOpenMetrics,
  writeText,
} from '../../src/codec/promtext/index.ts';
import type { Entry, WriteFamily } from '../../src/codec/promtext/index.ts';

const families: WriteFamily[] = [
  {
    name: 'http_requests_total',
    type: 'counter',
    help: 'Total requests.\nSecond "line" \\ end',
    samples: [
      { labels: ['method', 'GET', 'code', '200'], value: 1027, timestampMs: 1395066363000 },
      {
        labels: ['method', 'POST', 'code', '400'],
        value: 3,
        exemplar: { labels: ['trace_id', 'abc'], value: 1, timestampMs: 1520879607789 },
      },
    ],
  },
  {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Latency.',
    unit: 'seconds',
    samples: [
      { suffix: '_bucket', labels: ['path', '/a"b\\c\nd'], le: 0.1, value: 1 },
      { suffix: '_bucket', labels: ['path', '/a"b\\c\nd'], le: 1, value: 4, exemplar: { labels: [], value: 0.5 } },
      { suffix: '_bucket', labels: ['path', '/a"b\\c\nd'], le: Infinity, value: 5 },
      { suffix: '_sum', labels: ['path', '/a"b\\c\nd'], value: 2.25 },
      { suffix: '_count', labels: ['path', '/a"b\\c\nd'], value: 5 },
    ],
  },
  {
    name: 'rpc_latency',
    type: 'summary',
    samples: [
      { quantile: 0.5, value: 0.012 },
      { quantile: 0.99, value: NaN },
      { suffix: '_sum', value: 1234567 },
      { suffix: '_count', value: 1e6 },
    ],
  },
  { name: 'temperature_celsius', type: 'gauge', unit: 'celsius', samples: [{ value: -12.5 }, ] },
  { name: 'build', type: 'info', help: 'Build info.', samples: [{ labels: ['version', '1.2.3'], value: 1 }] },
  { name: 'state', type: 'stateset', samples: [{ labels: ['state', 'a'], value: 1 }, { labels: ['state', 'b'], value: 0 }] },
  { name: 'mystery', type: 'unknown', samples: [{ value: Infinity }, { labels: ['x', 'y'], value: -Infinity }] },
];

test('text output matches client_golang formatting', () => {
  const out = writeText(families);
  assert.equal(
    out,
    [
      '# HELP http_requests_total Total requests.\\nSecond "line" \\\\ end',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="GET",code="200"} 1027 1395066363000',
      'http_requests_total{method="POST",code="400"} 3',
      '# HELP http_request_duration_seconds Latency.',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="0.1"} 1',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="1"} 4',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="+Inf"} 5',
      'http_request_duration_seconds_sum{path="/a\\"b\\\\c\\nd"} 2.25',
      'http_request_duration_seconds_count{path="/a\\"b\\\\c\\nd"} 5',
      '# TYPE rpc_latency summary',
      'rpc_latency{quantile="0.5"} 0.012',
      'rpc_latency{quantile="0.99"} NaN',
      'rpc_latency_sum 1.234567e+06',
      'rpc_latency_count 1e+06',
      '# TYPE temperature_celsius gauge',
      'temperature_celsius -12.5',
      '# HELP build_info Build info.',
      '# TYPE build_info gauge',
      'build_info{version="1.2.3"} 1',
      '# TYPE state gauge',
      'state{state="a"} 1',
      'state{state="b"} 0',
      '# TYPE mystery untyped',
      'mystery +Inf',
      'mystery{x="y"} -Inf',
      '',
    ].join('\n'),
  );
});

test('OpenMetrics output matches client_golang formatting', () => {
  const out = writeOpenMetrics(families);
  assert.equal(
    out,
    [
      '# HELP http_requests Total requests.\\nSecond \\"line\\" \\\\ end',
      '# TYPE http_requests counter',
      'http_requests_total{method="GET",code="200"} 1027.0 1395066363',
      'http_requests_total{method="POST",code="400"} 3.0 # {trace_id="abc"} 1.0 1520879607.789',
      '# HELP http_request_duration_seconds Latency.',
      '# TYPE http_request_duration_seconds histogram',
      '# UNIT http_request_duration_seconds seconds',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="0.1"} 1',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="1.0"} 4 # {} 0.5',
      'http_request_duration_seconds_bucket{path="/a\\"b\\\\c\\nd",le="+Inf"} 5',
      'http_request_duration_seconds_sum{path="/a\\"b\\\\c\\nd"} 2.25',
      'http_request_duration_seconds_count{path="/a\\"b\\\\c\\nd"} 5',
      '# TYPE rpc_latency summary',
      'rpc_latency{quantile="0.5"} 0.012',
      'rpc_latency{quantile="0.99"} NaN',
      'rpc_latency_sum 1.234567e+06',
      'rpc_latency_count 1000000',
      '# TYPE temperature_celsius gauge',
      '# UNIT temperature_celsius celsius',
      'temperature_celsius -12.5',
      '# HELP build Build info.',
      '# TYPE build info',
      'build_info{version="1.2.3"} 1.0',
      '# TYPE state stateset',
      'state{state="a"} 1.0',
      'state{state="b"} 0.0',
      '# TYPE mystery unknown',
      'mystery +Inf',
      'mystery{x="y"} -Inf',
      '# EOF',
      '',
    ].join('\n'),
  );
  assert.equal(writeExposition('openmetrics', families), out);
});

/** The samples of `families` as the parser should return them in `format`. */
function expectedSeries(format: 'text' | 'openmetrics'): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const f of families) {
    for (const s of f.samples) {
      const sfx = s.suffix ?? '';
      let name = f.name + sfx;
      if (f.type === 'counter') name = f.name;
      if (f.type === 'info') name = f.name + '_info';
      const labels: Array<[string, string]> = [];
      const l = s.labels ?? [];
      for (let i = 0; i < l.length; i += 2) labels.push([l[i] as string, l[i + 1] as string]);
      if (s.le !== undefined) labels.push(['le', s.le === Infinity ? '+Inf' : format === 'text' ? String(s.le) : s.le === 1 ? '1.0' : String(s.le)]);
      if (s.quantile !== undefined) labels.push(['quantile', String(s.quantile)]);
      const e: Record<string, unknown> = { name, labels, value: s.value };
      if (s.timestampMs !== undefined) e.timestampMs = s.timestampMs;
      if (format === 'openmetrics' && s.exemplar) {
        const x: Record<string, unknown> = { labels: s.exemplar.labels.length ? [[s.exemplar.labels[0], s.exemplar.labels[1]]] : [], value: s.exemplar.value };
        if (s.exemplar.timestampMs !== undefined) x.timestampMs = s.exemplar.timestampMs;
        e.exemplar = x;
      }
      out.push(e);
    }
  }
  return out;
}

function series(entries: Entry[]): Array<Record<string, unknown>> {
  return entries.flatMap((e) => {
    if (e.type !== 'series') return [];
    const { type: _t, series: _s, ...rest } = e;
    return [rest];
  });
}

test('text: render then parse gives back every sample', () => {
  assert.deepEqual(series(parseAll('text', writeText(families))), expectedSeries('text'));
});

test('OpenMetrics: render then parse (validating) gives back every sample and exemplar', () => {
  const entries = parseAll('openmetrics', writeOpenMetrics(families), { validate: true });
  assert.deepEqual(series(entries), expectedSeries('openmetrics'));
  const help = entries.find((e) => e.type === 'help' && e.name === 'http_requests');
  assert.deepEqual(help, { type: 'help', name: 'http_requests', help: 'Total requests.\nSecond "line" \\ end' });
  const units = entries.filter((e) => e.type === 'unit').map((e) => e.type === 'unit' && e.unit);
  assert.deepEqual(units, ['seconds', 'celsius']);
});

test('OpenMetrics writer drops what would make the output invalid', () => {
  const out = writeOpenMetrics([
    { name: 'g', type: 'gauge', unit: 'seconds', samples: [{ value: 1, exemplar: { labels: ['a', 'b'], value: 1 } }] },
    { name: 'c_total', type: 'counter', samples: [{ value: 1, exemplar: { labels: ['a', 'x'.repeat(128)], value: 1 } }] },
  ]);
  assert.equal(out, '# TYPE g gauge\ng 1.0\n# TYPE c counter\nc_total 1.0\n# EOF\n');
  assert.equal(parseAll('openmetrics', out, { validate: true }).length, 4);
});

test('escapeLabelValue escapes backslash, quote and newline only', () => {
  assert.equal(escapeLabelValue('plain'), 'plain');
  assert.equal(escapeLabelValue('a\\b"c\nd\te'), 'a\\\\b\\"c\\nd\te');
});

test('a large generated exposition round-trips in both formats', () => {
  const many: WriteFamily[] = [];
  for (let f = 0; f < 200; f++) {
    const samples = [];
    for (let i = 0; i < 5; i++) samples.push({ labels: ['instance', `host-${i}`, 'job', 'node'], value: f * 1000 + i / 7 });
    many.push({ name: `metric_${f}_total`, type: 'counter', help: `help ${f}`, samples });
  }
  const text = series(parseAll('text', writeText(many)));
  const om = series(parseAll('openmetrics', writeOpenMetrics(many), { validate: true }));
  assert.equal(text.length, 1000);
  assert.deepEqual(om, text);
  assert.equal(text[7]?.value, 1000 + 2 / 7);
});
