/**
 * `relabel` processor: the Prometheus v2.42 relabel conformance cases run on OTLP-shaped input (through the
 * processor's data path, and through a running gateway for every case whose config validates), the mapping back into
 * the model (rename/split, job/instance -> resource, attribute types), options, config errors, and the explain
 * endpoint over HTTP.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Label, MetricsData } from '../../src/model/types.ts';
import { compileRelabel, type RelabelConfigInput } from '../../src/relabel/index.ts';
import { RelabelCore } from '../../src/processors/relabel/core.ts';
import { labelsToObject, resourceView, viewLabels } from '../../src/processors/relabel/promview.ts';
import { relabelSchema } from '../../src/processors/relabel/processor.ts';
import { freePort } from '../helpers/ports.ts';
import { batch, pipeline, rows, series, T0, type Run } from './helpers.ts';

interface Case {
  id: number;
  input: Record<string, string>;
  relabel_configs: RelabelConfigInput[];
  expect: { dropped: boolean; output?: Record<string, string> };
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/prometheus/relabel_cases.json', import.meta.url), 'utf8')) as { relabel_cases_v2_42_0: Case[] };

let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

/** An OTLP gauge point whose Prometheus view is exactly `labels`: __name__ -> metric name, job/instance -> resource. */
function fromLabels(labels: Record<string, string>): MetricsData {
  const { __name__: name = '', job, instance, ...rest } = labels;
  const resource: Record<string, string> = {};
  if (job !== undefined) resource['service.name'] = job;
  if (instance !== undefined) resource['service.instance.id'] = instance;
  return batch({ resource, metrics: [{ name, points: [{ attrs: rest, value: 7 }] }] });
}

/** The Prometheus view of every point of `md`. */
function views(md: MetricsData): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const rm of md.resourceMetrics) {
    const rv = resourceView(rm.resource);
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) for (const p of m.points) out.push(labelsToObject(viewLabels(m.name, p.attributes, rv)));
  }
  return out;
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

for (const c of fixture.relabel_cases_v2_42_0) {
  test(`conformance v2.42 #${c.id} through the processor on OTLP input`, () => {
    // Upstream's Process() tests run unvalidated configs; so does this (case 16 is not a valid config).
    const core = new RelabelCore(compileRelabel(c.relabel_configs, { semantics: 'v2.42', validate: false }));
    const md = fromLabels(c.input);
    const r = core.apply(md);
    const got = views(md);
    if (c.expect.dropped) {
      assert.equal(r.dropped, 1);
      assert.deepEqual(got, []);
    } else {
      assert.equal(r.dropped, 0);
      assert.deepEqual(got.map(sorted), [sorted(c.expect.output!)]);
      assert.equal(rows(md)[0]!.value, 7, 'the value travels with the point');
    }
  });
}

test('conformance v2.42: every case with a valid config, through a running gateway', async () => {
  let ran = 0;
  for (const c of fixture.relabel_cases_v2_42_0) {
    if (!relabelSchema.safeParse({ relabel_configs: c.relabel_configs }).success) {
      assert.equal(c.id, 16, `only case 16 has an invalid config (got #${c.id})`);
      continue;
    }
    run = await pipeline(`  relabel/c:\n    relabel_configs: ${JSON.stringify(c.relabel_configs)}\n`, ['relabel/c']);
    await run.push(fromLabels(c.input));
    const got = run.record().flatMap(views);
    if (c.expect.dropped) {
      assert.deepEqual(got, [], `#${c.id}`);
      assert.equal(run.counters('relabel/c')['otelbridge_processor_dropped_items{"reason":"relabel_drop"}'], 1, `#${c.id}`);
    } else assert.deepEqual(got.map(sorted), [sorted(c.expect.output!)], `#${c.id}`);
    await run.stop();
    run = undefined;
    ran++;
  }
  assert.equal(ran, fixture.relabel_cases_v2_42_0.length - 1);
});

test('the view: raw attribute keys, __name__ as is, job/instance from the resource, no other resource attribute', () => {
  const md = batch({
    resource: { 'service.namespace': 'shop', 'service.name': 'api', 'service.instance.id': 'pod-1', 'host.name': 'h1' },
    metrics: [{ name: 'http.server.duration', points: [{ attrs: { 'http.method': 'GET', code: 200n, ok: true, ratio: 0.5, empty: '', job: 'shadowed' } }] }],
  });
  const rm = md.resourceMetrics[0]!;
  const m = rm.scopeMetrics[0]!.metrics[0]!;
  const labels: Label[] = viewLabels(m.name, m.points[0]!.attributes, resourceView(rm.resource));
  assert.deepEqual(labels, [
    { name: '__name__', value: 'http.server.duration' },
    { name: 'code', value: '200' },
    { name: 'http.method', value: 'GET' },
    { name: 'instance', value: 'pod-1' },
    { name: 'job', value: 'shop/api' },
    { name: 'ok', value: 'true' },
    { name: 'ratio', value: '0.5' },
  ]);
});

interface Row {
  name: string;
  rules: string;
  input: MetricsData;
  expect: string[];
  dropped?: Record<string, number>;
}

const twoPoints = () =>
  batch({ resource: { 'service.name': 'api' }, metrics: [{ name: 'http_requests_total', type: 'sum', points: [{ attrs: { code: '200' }, value: 5 }, { attrs: { code: '500' }, value: 2 }] }] });

const table: Row[] = [
  {
    name: 'drop by __name__ counts relabel_drop',
    rules: `[{source_labels: [__name__], regex: "http_.*", action: drop}]`,
    input: twoPoints(),
    expect: [],
    dropped: { relabel_drop: 2 },
  },
  {
    name: 'keep with if: only the 500s survive',
    rules: `[{if: '{code="500"}', action: keep}]`,
    input: twoPoints(),
    expect: ['http_requests_total{code=500} 2'],
    dropped: { relabel_drop: 1 },
  },
  {
    name: 'rename one point splits the metric; the other keeps the name',
    rules: `[{if: '{code="500"}', target_label: __name__, replacement: http_errors_total}]`,
    input: twoPoints(),
    expect: ['http_errors_total{code=500} 2', 'http_requests_total{code=200} 5'],
  },
  {
    name: 'labelmap/labeldrop on attributes',
    rules: `[{action: labelmap, regex: "code", replacement: status}, {action: labeldrop, regex: "code"}]`,
    input: twoPoints(),
    expect: ['http_requests_total{status=200} 5', 'http_requests_total{status=500} 2'],
  },
  {
    name: 'removing __name__ drops the point as relabel_no_name',
    rules: `[{action: labeldrop, regex: "__name__"}]`,
    input: twoPoints(),
    expect: [],
    dropped: { relabel_no_name: 2 },
  },
  {
    name: 'hashmod/lowercase/uppercase set string attributes',
    rules: `[{source_labels: [code], target_label: shard, modulus: 4, action: hashmod}, {source_labels: [__name__], target_label: up, action: uppercase}]`,
    input: batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '200' } }] }] }),
    expect: ['m{code=200,shard=3,up=M} 1'],
  },
];

for (const row of table) {
  test(`relabel: ${row.name}`, async () => {
    run = await pipeline(`  relabel:\n    relabel_configs: ${row.rules}\n`, ['relabel']);
    await run.push(row.input);
    assert.deepEqual(series(...run.record()), row.expect);
    for (const [reason, n] of Object.entries(row.dropped ?? {})) {
      assert.equal(run.counters('relabel')[`otelbridge_processor_dropped_items{"reason":"${reason}"}`], n, reason);
    }
  });
}

test('job/instance changes move points to a copy of the resource; other points keep the original', async () => {
  run = await pipeline(
    `  relabel:\n    relabel_configs:\n      - {if: '{code="500"}', target_label: job, replacement: shop/errors}\n      - {if: '{code="500"}', target_label: instance, replacement: ""}\n`,
    ['relabel'],
  );
  await run.push(
    batch({
      resource: { 'service.namespace': 'shop', 'service.name': 'api', 'service.instance.id': 'pod-1', 'host.name': 'h1' },
      metrics: [{ name: 'req', points: [{ attrs: { code: '200' }, value: 1 }, { attrs: { code: '500' }, value: 2 }] }],
    }),
  );
  const got = rows(...run.record()).map((r) => ({ resource: r.resource, attrs: r.attrs, value: r.value }));
  assert.deepEqual(got, [
    { resource: { 'service.namespace': 'shop', 'service.name': 'api', 'service.instance.id': 'pod-1', 'host.name': 'h1' }, attrs: { code: '200' }, value: 1 },
    { resource: { 'service.namespace': 'shop', 'service.name': 'errors', 'host.name': 'h1' }, attrs: { code: '500' }, value: 2 },
  ]);
});

test('a job outside the namespace replaces service.name and removes service.namespace; a new job label goes to the resource', () => {
  const core = new RelabelCore(compileRelabel([{ target_label: 'job', replacement: 'other' }]));
  const md = batch({ resource: { 'service.namespace': 'shop', 'service.name': 'api' }, metrics: [{ name: 'm', points: [{}] }] }, { metrics: [{ name: 'n', points: [{}] }] });
  core.apply(md);
  assert.deepEqual(rows(md).map((r) => [r.name, r.resource, r.attrs]), [
    ['m', { 'service.name': 'other' }, {}],
    ['n', { 'service.name': 'other' }, {}],
  ]);
});

test('unchanged attributes keep their type; changed ones become strings; changed points get a new identity, untouched ones keep theirs', () => {
  const core = new RelabelCore(compileRelabel([{ source_labels: ['code'], regex: '5..', target_label: 'class', replacement: '5xx' }]));
  const md = batch({ metrics: [{ name: 'm', points: [{ attrs: { code: 500n } }, { attrs: { code: 200n } }] }] });
  const pts = md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points;
  const ins = pts.map((p) => (p.prom = { name: 'm', labels: [] }));
  core.apply(md);
  const [a, b] = rows(md);
  assert.deepEqual(a!.point.attributes, [{ key: 'code', value: 500n }, { key: 'class', value: '5xx' }]);
  assert.notEqual(a!.point.prom, undefined);
  assert.notEqual(a!.point.prom, ins[0], 'a changed point never keeps the identity of its input series');
  assert.deepEqual(b!.point.attributes, [{ key: 'code', value: 200n }]);
  assert.notEqual(b!.point.prom, undefined, 'an untouched point keeps its cached identity');
});

test('name_validation: legacy rejects dotted source labels; utf8 accepts them and they address raw OTLP keys', async () => {
  const rules = `[{source_labels: [http.method], regex: "GET", action: drop}]`;
  const bad = relabelSchema.safeParse({ relabel_configs: [{ source_labels: ['http.method'], regex: 'GET', action: 'drop' }] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path, ['relabel_configs', 0, 'source_labels', 0]);
  assert.match(bad.error!.issues[0]!.message, /"http\.method" is not a valid label name/);
  run = await pipeline(`  relabel:\n    name_validation: utf8\n    relabel_configs: ${rules}\n`, ['relabel']);
  await run.push(batch({ metrics: [{ name: 'm', points: [{ attrs: { 'http.method': 'GET' } }, { attrs: { 'http.method': 'POST' } }] }] }));
  assert.deepEqual(series(...run.record()), ['m{http.method=POST} 1']);
});

test('config errors name the rule and field', () => {
  const cases: [unknown, string, (string | number)[]][] = [
    [{ relabel_configs: [{ regex: '(' }] }, 'missing closing )', ['relabel_configs', 0, 'regex']],
    [{ relabel_configs: [{}, { action: 'frobnicate' }] }, 'unknown relabel action "frobnicate"', ['relabel_configs', 1, 'action']],
    [{ relabel_configs: [{ if: '{a=}' }] }, 'invalid series selector', ['relabel_configs', 0, 'if']],
    [{ relabel_configs: [], metric_relabel_configs: [] }, 'metric_relabel_configs', []],
  ];
  for (const [cfg, msg, path] of cases) {
    const r = relabelSchema.safeParse(cfg);
    assert.equal(r.success, false, JSON.stringify(cfg));
    const issue = r.error!.issues.find((i) => i.message.includes(msg) || JSON.stringify(i).includes(msg));
    assert.ok(issue, `${JSON.stringify(cfg)}: ${JSON.stringify(r.error!.issues)}`);
    if (path.length > 0) assert.deepEqual(issue.path, path);
  }
});

test('POST /api/v1/relabel/explain answers rule by rule over HTTP', async () => {
  const port = await freePort();
  run = await pipeline(
    `  relabel/a:\n    relabel_configs:\n      - {source_labels: [code], regex: "5..", target_label: class, replacement: 5xx}\n      - {if: '{class="5xx"}', action: drop}\n  relabel/b:\n    relabel_configs: [{target_label: env, replacement: prod}]\n`,
    ['relabel/a', 'relabel/b'],
    `extensions:\n  health_check:\n    endpoint: 127.0.0.1:${port}\n`,
    `  extensions: [health_check]\n`,
  );
  const post = (body: unknown) =>
    fetch(`http://127.0.0.1:${port}/api/v1/relabel/explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  let res = await post({ processor: 'relabel/a', labels: { __name__: 'req', code: '503' } });
  assert.equal(res.status, 200);
  const j = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(j, {
    processor: 'relabel/a',
    input: { __name__: 'req', code: '503' },
    steps: [
      {
        index: 0,
        action: 'replace',
        rule: { source_labels: ['code'], separator: ';', regex: '5..', modulus: 0, target_label: 'class', replacement: '5xx', action: 'replace' },
        if: null,
        ifMatched: null,
        matched: true,
        before: { __name__: 'req', code: '503' },
        after: { __name__: 'req', class: '5xx', code: '503' },
      },
      {
        index: 1,
        action: 'drop',
        rule: { source_labels: [], separator: ';', regex: '(.*)', modulus: 0, target_label: '', replacement: '$1', action: 'drop', if: '{class="5xx"}' },
        if: '{class="5xx"}',
        ifMatched: true,
        matched: true,
        before: { __name__: 'req', class: '5xx', code: '503' },
        after: null,
      },
    ],
    output: null,
    dropped: true,
  });

  res = await post({ processor: 'relabel/b', labels: { __name__: 'x' } });
  assert.deepEqual(((await res.json()) as { output: unknown }).output, { __name__: 'x', env: 'prod' });

  res = await post({ labels: { a: 'b' } });
  assert.equal(res.status, 409);
  assert.deepEqual(((await res.json()) as { processors: string[] }).processors, ['relabel/a', 'relabel/b']);

  res = await post({ processor: 'relabel/zzz', labels: {} });
  assert.equal(res.status, 404);

  res = await post({ labels: { a: 1 } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /label "a": value must be a string/);

  res = await post('{not json');
  assert.equal(res.status, 400);

  // The data path is unaffected by explain calls.
  await run.push(batch({ metrics: [{ name: 'req', points: [{ attrs: { code: '200' }, time: T0 }, { attrs: { code: '500' } }] }] }));
  assert.deepEqual(series(...run.record()), ['req{code=200,env=prod} 1']);
});

test('series cache: each distinct series is relabeled once; hits give the same result; bounded; prom-keyed', () => {
  const core = new RelabelCore(compileRelabel([{ source_labels: ['code'], regex: '5..', target_label: 'class', replacement: '5xx' }, { source_labels: ['code'], regex: '404', action: 'drop' }]), 2);
  const mk = () => batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '500', path: '/a' } }, { attrs: { path: '/a', code: '500' } }, { attrs: { code: '404' } }, { attrs: { code: '200' } }] }] });
  const first = mk();
  core.apply(first);
  assert.equal(core.misses, 4, 'attribute order is part of the key');
  const second = mk();
  const r = core.apply(second);
  assert.equal(r.dropped, 1);
  assert.deepEqual(series(second), series(first));
  assert.deepEqual(series(second), ['m{code=200} 1', 'm{code=500,path=/a,class=5xx} 1', 'm{path=/a,code=500,class=5xx} 1']);
  assert.ok(core.cachedSeries <= 4, `two generations of 2: ${core.cachedSeries}`);
  // prom-keyed: the cached identity object stands for the series.
  const prom = { name: 'm', labels: [] };
  const withProm = () => {
    const md = batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '503' } }] }] });
    md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom = prom;
    return md;
  };
  const hits = core.hits;
  const a = withProm();
  const b = withProm();
  core.apply(a);
  core.apply(b);
  assert.equal(core.hits, hits + 1);
  assert.deepEqual(series(b), ['m{code=503,class=5xx} 1']);
  // The output identity is stable per input identity (exporters' memos keep working) and never the input's.
  const out = rows(b)[0]!.point.prom;
  assert.ok(out !== undefined && out !== prom);
  assert.equal(rows(a)[0]!.point.prom, out);
  // Without an input identity there is none on output either.
  const c = batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '503' } }] }] });
  core.apply(c);
  assert.equal(rows(c)[0]!.point.prom, undefined);
});

test('outgoing items = incoming - dropped', async () => {
  run = await pipeline(`  relabel:\n    relabel_configs: [{if: '{code="500"}', action: drop}]\n`, ['relabel']);
  await run.push(twoPoints());
  const c = run.counters('relabel');
  assert.deepEqual([c['otelcol_processor_incoming_items'], c['otelcol_processor_outgoing_items'], c['otelbridge_processor_dropped_items']], [2, 1, 1]);
});

test('series_cache_size: 0 turns the series cache off (every point relabeled)', async () => {
  run = await pipeline(`  relabel:\n    series_cache_size: 0\n    relabel_configs: [{target_label: env, replacement: prod}]\n`, ['relabel']);
  await run.push(twoPoints());
  await run.push(twoPoints());
  const d = run.details('relabel');
  assert.deepEqual([d['cachedSeries'], d['cacheHits'], d['cacheMisses']], [0, 0, 4]);
  assert.deepEqual(series(...run.record()), ['http_requests_total{code=200,env=prod} 5', 'http_requests_total{code=200,env=prod} 5', 'http_requests_total{code=500,env=prod} 2', 'http_requests_total{code=500,env=prod} 2']);
});

test('shared output: with nothing mutating downstream, the points of one identity share one edited attribute list', () => {
  const core = new RelabelCore(compileRelabel([{ source_labels: ['code'], regex: '5..', target_label: 'class', replacement: '5xx' }]));
  core.shareOutput = true;
  const prom = { name: 'm', labels: [] };
  const scrape = () => {
    const md = batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '503' } }] }] });
    md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom = prom;
    core.apply(md);
    return rows(md)[0]!.point;
  };
  const a = scrape();
  const b = scrape();
  assert.deepEqual(b.attributes, [{ key: 'code', value: '503' }, { key: 'class', value: '5xx' }]);
  assert.equal(a.attributes, b.attributes, 'one list for both scrapes');
  assert.equal(a.prom, b.prom);
  // Not shared when something downstream mutates: each point gets its own list.
  core.shareOutput = false;
  assert.notEqual(scrape().attributes, b.attributes);
});

test('shared key-values: series with the same edits share the added attributes only when nothing downstream changes them in place', () => {
  const core = new RelabelCore(compileRelabel([{ target_label: 'cluster', replacement: 'eu-west-1' }]));
  const two = () => {
    const md = batch({ metrics: [{ name: 'm', points: [{ attrs: { code: '200' } }, { attrs: { code: '500' } }] }] });
    core.apply(md);
    return rows(md).map((r) => r.point.attributes);
  };
  const [a, b] = two();
  assert.deepEqual(a, [{ key: 'code', value: '200' }, { key: 'cluster', value: 'eu-west-1' }]);
  assert.deepEqual(b, [{ key: 'code', value: '500' }, { key: 'cluster', value: 'eu-west-1' }]);
  // Default (a consumer may mutate): every point owns its added KeyValue, so changing one leaves the other alone.
  assert.notEqual(a![1], b![1]);
  a![1]!.value = 'changed';
  assert.equal(b![1]!.value, 'eu-west-1');
  core.shareKeyValues = true;
  const [c, d] = two();
  assert.equal(c![1], d![1], 'one shared KeyValue for the added label');
  assert.deepEqual(d, [{ key: 'code', value: '500' }, { key: 'cluster', value: 'eu-west-1' }]);
});

test('shared outcomes: a series renamed to a name another series already has is still moved, the other is not', () => {
  const core = new RelabelCore(compileRelabel([{ source_labels: ['__name__'], regex: 'old_(.*)', target_label: '__name__', replacement: 'new_$1' }, { target_label: 'x', replacement: '1' }]));
  const md = batch({ metrics: [{ name: 'new_m', points: [{ attrs: { a: '1' } }] }, { name: 'old_m', points: [{ attrs: { a: '1' } }] }] });
  core.apply(md);
  assert.deepEqual(series(md), ['new_m{a=1,x=1} 1', 'new_m{a=1,x=1} 1']);
  assert.deepEqual(rows(md).map((r) => r.metric.name), ['new_m', 'new_m']);
  assert.equal(md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.length, 2, 'the renamed point sits in its own copy of the metric');
});
