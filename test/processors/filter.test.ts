/**
 * `filter` processor: legacy include/exclude and OTTL metric/datapoint conditions as table tests through a running
 * gateway (YAML literals), error_mode behaviour, and config errors at the condition's YAML path.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineError } from '../../src/component/errors.ts';
import { ConfigError, formatIssue } from '../../src/config/errors.ts';
import { loadAndValidate } from '../../src/config/validate.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { testRegistry } from '../helpers/components.ts';
import { batch, pipeline, series, type Run } from './helpers.ts';

let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

/** Two resources, gauges and sums, int and double values. */
function input(): MetricsData {
  const md = batch(
    {
      resource: { 'service.name': 'api', env: 'prod' },
      metrics: [
        { name: 'http_requests_total', type: 'sum', points: [{ attrs: { code: '200' }, value: 10 }, { attrs: { code: '500' }, value: 3 }] },
        { name: 'http_debug_total', type: 'sum', points: [{ attrs: { code: '200' }, value: 1 }] },
        { name: 'temperature', points: [{ attrs: { room: 'a' }, value: -4.5 }, { attrs: { room: 'b' }, value: 20n }] },
      ],
    },
    {
      resource: { 'service.name': 'worker', env: 'dev' },
      scope: 'worker-lib',
      metrics: [{ name: 'jobs_done', type: 'sum', points: [{ attrs: { queue: 'q1' }, value: 5n }] }],
    },
  );
  return md;
}

const ALL = ['http_debug_total{code=200} 1', 'http_requests_total{code=200} 10', 'http_requests_total{code=500} 3', 'jobs_done{queue=q1} 5', 'temperature{room=a} -4.5', 'temperature{room=b} 20'];

const table: { name: string; cfg: string; expect: string[] }[] = [
  { name: 'no rules keeps everything', cfg: `{}`, expect: ALL },
  { name: 'include strict names', cfg: `{metrics: {include: {match_type: strict, metric_names: [jobs_done, temperature]}}}`, expect: ALL.filter((s) => /^(jobs_done|temperature)/.test(s)) },
  { name: 'include regexp is unanchored (as the Collector)', cfg: `{metrics: {include: {match_type: regexp, metric_names: ["requests"]}}}`, expect: ALL.filter((s) => s.startsWith('http_requests')) },
  { name: 'exclude regexp anchored', cfg: `{metrics: {exclude: {match_type: regexp, metric_names: ["^http_.*_total$"]}}}`, expect: ALL.filter((s) => !s.startsWith('http_')) },
  { name: 'include by resource attribute (strict)', cfg: `{metrics: {include: {match_type: strict, resource_attributes: [{key: env, value: dev}]}}}`, expect: ['jobs_done{queue=q1} 5'] },
  { name: 'include names AND resource attributes (regexp)', cfg: `{metrics: {include: {match_type: regexp, metric_names: [".*"], resource_attributes: [{key: service.name, value: "^a"}]}}}`, expect: ALL.filter((s) => !s.startsWith('jobs')) },
  { name: 'regexp cache options are accepted (Collector compatibility)', cfg: `{metrics: {exclude: {match_type: regexp, metric_names: ["^temp"], regexp: {cacheenabled: true, cachemaxnumentries: 10}}}}`, expect: ALL.filter((s) => !s.startsWith('temp')) },
  { name: 'include and exclude together', cfg: `{metrics: {include: {match_type: regexp, metric_names: ["^http_"]}, exclude: {match_type: strict, metric_names: [http_debug_total]}}}`, expect: ALL.filter((s) => s.startsWith('http_requests')) },
  { name: 'OTTL metric: name ==', cfg: `{metrics: {metric: ['name == "http_debug_total"']}}`, expect: ALL.filter((s) => !s.startsWith('http_debug')) },
  { name: 'OTTL metric: IsMatch(name) or type enum', cfg: `{metrics: {metric: ['IsMatch(name, "^http_")', 'type == METRIC_DATA_TYPE_GAUGE']}}`, expect: ['jobs_done{queue=q1} 5'] },
  { name: 'OTTL metric: resource.attributes and not', cfg: `{metrics: {metric: ['not (resource.attributes["env"] == "prod")']}}`, expect: ALL.filter((s) => !s.startsWith('jobs')) },
  { name: 'OTTL metric: instrumentation_scope.name', cfg: `{metrics: {metric: ['instrumentation_scope.name == "worker-lib"']}}`, expect: ALL.filter((s) => !s.startsWith('jobs')) },
  { name: 'OTTL metric: HasAttrOnDatapoint', cfg: `{metrics: {metric: ['HasAttrOnDatapoint("code", "500")']}}`, expect: ALL.filter((s) => !s.startsWith('http_requests')) },
  { name: 'OTTL datapoint: attributes and metric.name', cfg: `{metrics: {datapoint: ['metric.name == "http_requests_total" and attributes["code"] == "500"']}}`, expect: ALL.filter((s) => s !== 'http_requests_total{code=500} 3') },
  { name: 'OTTL datapoint: value_double < 0 (int points read 0.0)', cfg: `{metrics: {datapoint: ['value_double < 0']}}`, expect: ALL.filter((s) => s !== 'temperature{room=a} -4.5') },
  { name: 'OTTL datapoint: value_int compares across int/float', cfg: `{metrics: {datapoint: ['value_int >= 5.0']}}`, expect: ALL.filter((s) => !['jobs_done{queue=q1} 5', 'temperature{room=b} 20'].includes(s)) },
  { name: 'OTTL datapoint: missing attribute is nil', cfg: `{metrics: {datapoint: ['attributes["room"] == nil']}}`, expect: ALL.filter((s) => s.startsWith('temperature')) },
  { name: 'OTTL datapoint: all points of a metric dropped removes the metric', cfg: `{metrics: {datapoint: ['metric.type == METRIC_DATA_TYPE_SUM and metric.is_monotonic == true']}}`, expect: ALL.filter((s) => s.startsWith('temperature')) },
  { name: 'OTTL datapoint: string ordering and or', cfg: `{metrics: {datapoint: ['attributes["code"] > "300" or attributes["queue"] != nil']}}`, expect: ALL.filter((s) => !['http_requests_total{code=500} 3', 'jobs_done{queue=q1} 5'].includes(s)) },
];

for (const row of table) {
  test(`filter: ${row.name}`, async () => {
    run = await pipeline(`  filter: ${row.cfg}\n`, ['filter']);
    await run.push(input());
    assert.deepEqual(series(...run.record()), row.expect);
    const dropped = ALL.length - row.expect.length;
    assert.equal(run.counters('filter')['otelbridge_processor_dropped_items{"reason":"filtered"}'] ?? 0, dropped);
  });
}

test('filter: empty scopes and resources are removed', async () => {
  run = await pipeline(`  filter: {metrics: {metric: ['resource.attributes["env"] == "dev"']}}\n`, ['filter']);
  await run.push(input());
  const md = run.record()[0]!;
  assert.equal(md.resourceMetrics.length, 1);
});

function bytesBatch(): MetricsData {
  const md = batch({ metrics: [{ name: 'm', points: [{ attrs: { k: 'v' } }, { attrs: { k: 'x' } }] }] });
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.attributes = [{ key: 'k', value: new Uint8Array([1, 2]) }];
  return md;
}

test('error_mode propagate rejects the batch with a permanent error naming the condition', async () => {
  run = await pipeline(`  filter: {metrics: {datapoint: ['IsMatch(attributes["k"], "x")']}}\n`, ['filter']);
  await assert.rejects(run.push(bytesBatch()), (err: unknown) => {
    assert.ok(err instanceof PipelineError);
    assert.equal(err.errorClass, 'permanent');
    assert.match(err.message, /condition "IsMatch\(attributes\[\\"k\\"\], \\"x\\"\)" failed on metric "m": IsMatch: target is a bytes value/);
    return true;
  });
  assert.deepEqual(run.record(), []);
});

for (const mode of ['ignore', 'silent']) {
  test(`error_mode ${mode}: a failing condition counts as false`, async () => {
    run = await pipeline(`  filter: {error_mode: ${mode}, metrics: {datapoint: ['IsMatch(attributes["k"], "x")']}}\n`, ['filter']);
    await run.push(bytesBatch());
    assert.deepEqual(series(...run.record()), ['m{k=AQI=} 1']);
    assert.equal(run.details('filter')['conditionErrors'], 1);
    const warned = run.gw.logs.some((l) => String(l['msg']).includes('error_mode ignore'));
    assert.equal(warned, mode === 'ignore');
  });
}

function configErrors(processorYaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-filter-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `receivers:\n  testpush: {}\nprocessors:\n  filter:\n${processorYaml}\nexporters:\n  testrecord: {}\nservice:\n  pipelines:\n    metrics:\n      receivers: [testpush]\n      processors: [filter]\n      exporters: [testrecord]\n`);
  try {
    loadAndValidate([file], testRegistry(), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue).map((s) => s.slice(s.indexOf(': ') + 2));
    throw err;
  }
  return [];
}

const badConfigs: [string, string][] = [
  [`    metrics: {metric: ['name == "a"', 'Len(name) > 3']}`, 'processors.filter.metrics.metric[1]: unsupported function Len() at char 1 of "Len(name) > 3"'],
  [`    metrics: {datapoint: ['name == "x"']}`, 'processors.filter.metrics.datapoint[0]: path "name" is not available in the datapoint context; use metric.name at char 1'],
  [`    metrics: {metric: ['attributes["k"] == "v"']}`, 'path "attributes" is not available in the metric context; use a datapoint condition at char 1'],
  [`    metrics: {metric: ['type == METRIC_DATA_TYPE_GAUGEX']}`, 'unknown enum METRIC_DATA_TYPE_GAUGEX at char 9'],
  [`    metrics: {datapoint: ['value_double * 2 > 1']}`, 'unexpected character "*" at char 14'],
  [`    metrics: {datapoint: ['attributes["a"]["b"] == 1']}`, 'nested indexes are not supported at char 16'],
  [`    metrics: {metric: ['name = "x"']}`, 'unexpected "=" (use "==" to compare) at char 6'],
  [`    metrics: {metric: ['is_monotonic']}`, 'path "is_monotonic" is not a condition; compare it, e.g. is_monotonic == true at char 1'],
  [`    metrics: {metric: ['name == "x" and']}`, 'unexpected end of condition, expected a value at char 16'],
  [`    metrics: {metric: ['IsMatch(name, "(")']}`, 'IsMatch: invalid regex "("'],
  [`    metrics: {metric: ['IsMatch(name, description)']}`, 'IsMatch: the pattern must be a string literal at char 15'],
  [`    metrics: {metric: ['set(name, "x")']}`, 'editor set() cannot be used in a condition'],
  [`    metrics: {metric: ['resource.attributes == nil']}`, 'path "resource.attributes" needs a key'],
  [`    metrics: {metric: ['name == "x"'], include: {match_type: strict, metric_names: [a]}}`, 'processors.filter.metrics: cannot use OTTL conditions (metric, datapoint) and include/exclude at the same time'],
  [`    metrics: {include: {metric_names: [a]}}`, 'processors.filter.metrics.include.match_type: match_type must be set: "strict" or "regexp"'],
  [`    metrics: {include: {match_type: expr, metric_names: [a]}}`, 'match_type "expr" is not supported'],
  [`    metrics: {exclude: {match_type: regexp, metric_names: ["a", "(?<x)"]}}`, 'processors.filter.metrics.exclude.metric_names[1]: invalid regexp'],
  [`    metrics: {include: {match_type: strict}}`, 'needs metric_names or resource_attributes'],
  [`    error_mode: loud`, 'processors.filter.error_mode'],
  [`    spans: {}`, 'spans'],
];

for (const [yaml, expect] of badConfigs) {
  test(`filter config error: ${expect.slice(0, 70)}`, () => {
    const errs = configErrors(yaml);
    assert.ok(errs.some((e) => e.includes(expect)), `expected an error containing ${JSON.stringify(expect)}, got:\n${errs.join('\n')}`);
  });
}
