/**
 * The OTTL subset (src/ottl/): evaluation of conditions on one metric/point in both contexts (values, enums,
 * comparisons across types, boolean operators and precedence) and parse errors with their positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, OttlError, type OttlTarget } from '../../src/ottl/index.ts';
import { batch } from './helpers.ts';

function target(): OttlTarget {
  const md = batch({
    resource: { 'service.name': 'api', replicas: 3n },
    scope: 'lib',
    metrics: [{ name: 'http.duration', type: 'sum', temporality: 1, monotonic: false, unit: 'ms', points: [{ attrs: { code: 200n, method: 'GET', ok: true, ratio: 0.25 }, value: 2.5, start: 5n, time: 10n }] }],
  });
  const rm = md.resourceMetrics[0]!;
  const sm = rm.scopeMetrics[0]!;
  const m = sm.metrics[0]!;
  return { resource: rm.resource, scope: sm.scope, metric: m, point: m.points[0] };
}

const metricCases: [string, boolean][] = [
  ['name == "http.duration"', true],
  ['name != "http.duration"', false],
  ['unit == "ms" and description == ""', true],
  ['type == METRIC_DATA_TYPE_SUM', true],
  ['type == 2', true],
  ['aggregation_temporality == AGGREGATION_TEMPORALITY_DELTA', true],
  ['is_monotonic == false', true],
  ['resource.attributes["replicas"] > 2', true],
  ['resource.attributes["replicas"] == 3.0', true],
  ['resource.attributes["missing"] == nil', true],
  ['resource.attributes["missing"] != nil', false],
  ['resource.attributes["service.name"] == 3', false],
  ['resource.attributes["service.name"] != 3', true],
  ['resource.attributes["service.name"] < 3', false],
  ['instrumentation_scope.name == "lib" and instrumentation_scope.version == ""', true],
  ['IsMatch(name, "dur")', true],
  ['IsMatch(name, "^dur")', false],
  ['IsMatch(resource.attributes["replicas"], "^3$")', true],
  ['IsMatch(resource.attributes["missing"], ".*")', false],
  ['IsMatch(name, "x") == false', true],
  ['HasAttrKeyOnDatapoint("method")', true],
  ['HasAttrOnDatapoint("method", "POST")', false],
  ['true', true],
  ['not true or true', true],
  ['not (true or true)', false],
  ['false or true and false', false],
  ['(false or true) and true', true],
  ['"b" > "a"', true],
  ['true < false', false],
  ['nil == nil', true],
];

for (const [cond, want] of metricCases) {
  test(`ottl metric context: ${cond} -> ${want}`, () => {
    assert.equal(compileCondition(cond, 'metric').eval(target()), want);
  });
}

const pointCases: [string, boolean][] = [
  ['attributes["code"] == 200', true],
  ['attributes["code"] == "200"', false],
  ['attributes["ok"] == true', true],
  ['attributes["ratio"] < 0.5', true],
  ['value_double == 2.5', true],
  ['value_int == 0', true],
  ['value_double >= 2', true],
  ['start_time_unix_nano == 5 and time_unix_nano > start_time_unix_nano', true],
  ['flags == 0', true],
  ['count == nil and sum == nil', true],
  ['metric.name == "http.duration" and metric.type == METRIC_DATA_TYPE_SUM', true],
  ['metric.unit == "s"', false],
  ['resource.attributes["service.name"] == "api"', true],
  ['IsMatch(attributes["method"], "G.T")', true],
];

for (const [cond, want] of pointCases) {
  test(`ottl datapoint context: ${cond} -> ${want}`, () => {
    assert.equal(compileCondition(cond, 'datapoint').eval(target()), want);
  });
}

const errors: [string, 'metric' | 'datapoint', string, number][] = [
  ['', 'metric', 'empty condition', 1],
  ['name == "x', 'metric', 'unterminated string', 9],
  ['name == "a\\q"', 'metric', 'unsupported escape', 11],
  ['name ==', 'metric', 'unexpected end of condition, expected a value', 8],
  ['name == "a" xor true', 'metric', 'unexpected "xor" after the condition', 13],
  ['(name == "a"', 'metric', 'expected ")"', 13],
  ['name == ("a")', 'metric', 'unsupported "(" around a value', 9],
  ['attributes[0] == 1', 'datapoint', 'unsupported index "0"', 12],
  ['body == "x"', 'metric', 'unsupported path "body" in the metric context', 1],
  ['metric.name == "x"', 'metric', 'path "metric.name" is not available in the metric context; use name', 1],
  ['HasAttrKeyOnDatapoint("k")', 'datapoint', 'only available in the metric context', 1],
  ['IsMatch(name)', 'metric', 'IsMatch takes 2 arguments, got 1', 1],
  ['name == 99999999999999999999', 'metric', 'does not fit in int64', 9],
  ['"x"', 'metric', 'is not a condition', 1],
  ['METRIC_DATA_TYPE_SUM', 'metric', 'is not a condition', 1],
  ['name == [1]', 'metric', 'unsupported list literal', 9],
  ['name == "a" $', 'metric', 'unexpected character "$"', 13],
];

for (const [cond, ctx, reason, at] of errors) {
  test(`ottl parse error: ${JSON.stringify(cond)} -> ${reason}`, () => {
    assert.throws(
      () => compileCondition(cond, ctx),
      (err: unknown) => {
        assert.ok(err instanceof OttlError, String(err));
        assert.ok(err.message.includes(reason), err.message);
        assert.equal(err.pos + 1, at, err.message);
        assert.ok(err.message.includes(`at char ${at} of ${JSON.stringify(cond)}`), err.message);
        return true;
      },
    );
  });
}
