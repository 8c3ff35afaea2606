/**
 * Float parsing (Go ParseFloat as Prometheus restricts it) and formatting (Go FormatFloat 'g' -1 as client_golang
 * emits it in text and OpenMetrics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatFloat,
  formatFloatOM,
  formatGoFloat,
  formatMsAsSeconds,
  parseFloatAt,
} from '../../src/codec/promtext/index.ts';

const parse = (s: string): number | undefined => parseFloatAt(s, 0, s.length);

test('parseFloatAt accepts Go decimal and special forms', () => {
  const ok: Array<[string, number]> = [
    ['1', 1], ['-1', -1], ['+1', 1], ['1.', 1], ['.5', 0.5], ['-.5', -0.5], ['1e5', 1e5], ['1E+05', 1e5],
    ['1.5e-3', 1.5e-3], ['0000000000000000000000000000000000000000001.2e-1', 0.12], ['17.0', 17],
    ['4.9351e-05', 4.9351e-5], ['7.424100000000001e-05', 7.424100000000001e-5], ['1e-400', 0],
    ['9223372036854775808', 2 ** 63], ['12345678901234567890.1234567890', Number('12345678901234567890.1234567890')],
    ['Inf', Infinity], ['+Inf', Infinity], ['-Inf', -Infinity], ['inf', Infinity], ['INFINITY', Infinity],
    ['-infinity', -Infinity], ['1.7976931348623157e308', 1.7976931348623157e308],
  ];
  for (const [s, v] of ok) assert.equal(parse(s), v, s);
  for (const s of ['NaN', 'nan', 'NAN']) assert.ok(Number.isNaN(parse(s)), s);
  assert.ok(Object.is(parse('-0'), -0));
});

test('parseFloatAt rejects what Prometheus rejects', () => {
  const bad = [
    '', '+', '-', '.', 'e5', '1e', '1e+', '0x1', '0X1', '0x1p-3', '0x1P-3', '1_2', '0b1', '0o1', '1 ', ' 1', '1\t',
    'true', 'Infinit', 'infinityx', '+NaN', '-nan', '1.1.1', '1z', '1e400', '-1e400', '--1', '#',
  ];
  for (const s of bad) assert.equal(parse(s), undefined, JSON.stringify(s));
});

test('parseFloatAt is correctly rounded (fast path and fallback agree with Number)', () => {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 20000; i++) {
    const digits = String(Math.floor(rnd() * 1e17)).slice(0, 1 + Math.floor(rnd() * 17));
    const dot = Math.floor(rnd() * (digits.length + 1));
    const exp = Math.floor(rnd() * 60) - 30;
    const s = `${digits.slice(0, dot)}.${digits.slice(dot)}e${exp}`;
    assert.equal(parse(s), Number(s), s);
  }
  assert.equal(parseFloatAt('xx 0.25 yy', 3, 7), 0.25);
});

test('formatGoFloat matches strconv.FormatFloat(v, g, -1, 64)', () => {
  const cases: Array<[number, string]> = [
    [1e6, '1e+06'], [123456, '123456'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'], [1e21, '1e+21'], [1e100, '1e+100'], [5e-324, '5e-324'], [0.1, '0.1'], [-2.5, '-2.5'],
    [100000, '100000'], [2.478268416e9, '2.478268416e+09'], [7.424100000000001e-5, '7.424100000000001e-05'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [123456.789, '123456.789'], [999999.5, '999999.5'],
    [-1234567.5, '-1.2345675e+06'], [1.55555555555552e6, '1.55555555555552e+06'], [0, '0'], [-0, '-0'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [2 ** 63, '9.223372036854776e+18'],
  ];
  for (const [v, s] of cases) assert.equal(formatGoFloat(v), s, String(v));
});

test('formatFloat (client_golang text) and formatFloatOM (client_golang OpenMetrics)', () => {
  assert.equal(formatFloat(0), '0');
  assert.equal(formatFloat(-0), '0');
  assert.equal(formatFloat(1), '1');
  assert.equal(formatFloat(-1), '-1');
  assert.equal(formatFloat(17), '17');
  assert.equal(formatFloat(1e6), '1e+06');
  assert.equal(formatFloat(NaN), 'NaN');
  assert.equal(formatFloat(-Infinity), '-Inf');
  assert.equal(formatFloatOM(0), '0.0');
  assert.equal(formatFloatOM(-0), '0.0');
  assert.equal(formatFloatOM(1), '1.0');
  assert.equal(formatFloatOM(-1), '-1.0');
  assert.equal(formatFloatOM(17), '17.0');
  assert.equal(formatFloatOM(123456), '123456.0');
  assert.equal(formatFloatOM(1e6), '1e+06');
  assert.equal(formatFloatOM(0.5), '0.5');
  assert.equal(formatFloatOM(Infinity), '+Inf');
  assert.equal(formatFloatOM(NaN), 'NaN');
});

test('formatMsAsSeconds renders exact decimal seconds that parse back to the same ms', () => {
  const cases: Array<[number, string]> = [
    [1520879607789, '1520879607.789'], [1000, '1'], [1500, '1.5'], [5, '0.005'], [-1500, '-1.5'], [0, '0'],
    [123123, '123.123'], [1520879607780, '1520879607.78'],
  ];
  for (const [ms, s] of cases) {
    assert.equal(formatMsAsSeconds(ms), s);
    const back = Math.trunc((parse(s) as number) * 1000);
    assert.equal(back, ms, s);
  }
});
