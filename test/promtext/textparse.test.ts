/**
 * Prometheus model/textparse conformance (test/fixtures/prometheus/textparse_cases.json): the full text-0.0.4 and
 * OpenMetrics inputs give exactly upstream's entries in order; every error input fails; NUL-byte inputs parse or fail
 * as upstream says; promtestdata parses to 410 series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EntryType, ParseError, createParser, parseAll } from '../../src/codec/promtext/index.ts';
import type { Entry, Format } from '../../src/codec/promtext/index.ts';

type Raw = string | { hex: string };
type Num = number | string;
interface Expected {
  m?: string;
  help?: string;
  typ?: string;
  unit?: string;
  comment?: string;
  v?: Num;
  t?: number;
  lset?: Record<string, string>;
  e?: { Labels: Record<string, string>; Value: Num; Ts?: number; HasTs?: boolean };
}
interface Cases {
  prom_text_0_0_4: { input: string; expected_entries: Expected[] };
  openmetrics_1_0: { input: string; expected_entries: Expected[] };
  [k: string]: unknown;
}
const fixtures = new URL('../fixtures/prometheus/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('textparse_cases.json', fixtures), 'utf8')) as Cases;

const input = (r: Raw): string | Buffer => (typeof r === 'string' ? r : Buffer.from(r.hex, 'hex'));
const num = (v: Num): number => (v === 'NaN' ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : (v as number));

/** Our entry in upstream's shape. */
function toUpstream(e: Entry): Expected {
  switch (e.type) {
    case 'help':
      return { m: e.name, help: e.help };
    case 'type':
      return { m: e.name, typ: e.metricType };
    case 'unit':
      return { m: e.name, unit: e.unit };
    case 'comment':
      return { comment: e.text };
    case 'series': {
      const lset: Record<string, string> = { __name__: e.name };
      for (const [k, v] of e.labels) lset[k] = v;
      const out: Expected = { m: e.series, v: e.value, lset };
      if (e.timestampMs !== undefined) out.t = e.timestampMs;
      if (e.exemplar !== undefined) {
        const x: Expected['e'] = { Labels: Object.fromEntries(e.exemplar.labels), Value: e.exemplar.value };
        if (e.exemplar.timestampMs !== undefined) {
          x.HasTs = true;
          x.Ts = e.exemplar.timestampMs;
        }
        out.e = x;
      }
      return out;
    }
  }
}

function normalise(x: Expected): Expected {
  const out: Expected = { ...x };
  if (out.v !== undefined) out.v = num(out.v);
  if (out.lset) out.lset = Object.fromEntries(Object.entries(out.lset).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (out.e) out.e = { ...out.e, Value: num(out.e.Value) };
  return out;
}

function checkEntries(format: Format, c: { input: string; expected_entries: Expected[] }): void {
  const got = parseAll(format, c.input).map(toUpstream).map(normalise);
  const want = c.expected_entries.map(normalise);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    assert.deepEqual(got[i], want[i], `entry ${i}`);
  }
  assert.equal(got.length, want.length);
}

test('text 0.0.4: full input gives exactly the 28 upstream entries', () => {
  assert.equal(cases.prom_text_0_0_4.expected_entries.length, 28);
  checkEntries('text', cases.prom_text_0_0_4);
});

test('openmetrics: full input gives exactly the 37 upstream entries (tokenizer, no validation)', () => {
  assert.equal(cases.openmetrics_1_0.expected_entries.length, 37);
  checkEntries('openmetrics', cases.openmetrics_1_0);
});

test('openmetrics: the upstream tokenizer input is not strict OpenMetrics (info without _info, interleaving)', () => {
  assert.throws(() => parseAll('openmetrics', cases.openmetrics_1_0.input, { validate: true }), ParseError);
});

const tables: Array<[string, Format]> = [
  ['prom_text_errors', 'text'],
  ['prom_text_errors_head', 'text'],
  ['openmetrics_errors', 'openmetrics'],
  ['openmetrics_errors_head', 'openmetrics'],
  ['prom_text_null_bytes', 'text'],
  ['prom_text_null_bytes_head', 'text'],
  ['openmetrics_null_bytes', 'openmetrics'],
  ['openmetrics_null_bytes_head', 'openmetrics'],
];
for (const [table, format] of tables) {
  const rows = cases[table] as Array<{ input: Raw; err: string }>;
  rows.forEach((row, i) => {
    // OpenMetrics err "EOF" rows are the happy ones (valid input ending in # EOF); null-byte err "" rows must parse.
    const ok = row.err === '' || (format === 'openmetrics' && row.err === 'EOF');
    test(`${table}[${i}] ${ok ? 'parses' : 'fails'}: ${JSON.stringify(row.input).slice(0, 60)}`, () => {
      const data = input(row.input);
      if (ok) {
        assert.ok(Array.isArray(parseAll(format, data)));
        if (format === 'openmetrics') assert.ok(Array.isArray(parseAll(format, data, { validate: true })));
      } else {
        assert.throws(() => parseAll(format, data), ParseError);
        if (format === 'openmetrics') assert.throws(() => parseAll(format, data, { validate: true }), ParseError);
      }
    });
  });
}

for (const file of ['promtestdata.txt', 'promtestdata.nometa.txt']) {
  test(`${file} parses to 410 series`, () => {
    const body = readFileSync(new URL(file, fixtures));
    const entries = parseAll('text', body);
    const series = entries.filter((e) => e.type === 'series');
    assert.equal(series.length, 410);
    // Spot checks against the file.
    const first = series[0];
    assert.ok(first && first.type === 'series');
    assert.equal(first.series, 'go_gc_duration_seconds{quantile="0"}');
    assert.deepEqual(first.labels, [['quantile', '0']]);
    assert.equal(first.value, 4.9351e-5);
    const nan = series.filter((e) => e.type === 'series' && Number.isNaN(e.value)).length;
    assert.equal(nan, 147);
    if (file === 'promtestdata.txt') {
      assert.equal(entries.filter((e) => e.type === 'type').length, 59);
      assert.deepEqual(entries.at(-1), { type: 'comment', text: '# EOF' });
    }
  });
}

/** Entries, or the error's message (line and column included), of one parse. */
function outcome(format: Format, data: string | Buffer, lazyLabels: boolean): unknown {
  try {
    return parseAll(format, data, { lazyLabels });
  } catch (err) {
    assert.ok(err instanceof ParseError, String(err));
    return `ParseError: ${err.message}`;
  }
}

// Lazy labels (the scrape loop's mode: a line's labels are parsed when first read) must give users exactly what the
// eager parser gives: the same entries, and for bad input the same error at the same line and column, also when the
// same line has a bad label block and a bad value (the label error comes first).
test('lazy labels: the upstream full inputs give the same entries', () => {
  for (const [format, c] of [['text', cases.prom_text_0_0_4], ['openmetrics', cases.openmetrics_1_0]] as const) {
    assert.deepEqual(outcome(format, c.input, true), outcome(format, c.input, false), format);
  }
});
for (const [table, format] of tables) {
  test(`lazy labels: ${table} rows fail or parse exactly as eager parsing does`, () => {
    const rows = cases[table] as Array<{ input: Raw; err: string }>;
    rows.forEach((row, i) => {
      const data = input(row.input);
      assert.deepEqual(outcome(format, data, true), outcome(format, data, false), `${table}[${i}] ${JSON.stringify(row.input)}`);
    });
  });
}
test('lazy labels: a label error wins over a value error on the same line; a bad block without a closing brace fails', () => {
  for (const bad of ['m{a="1" b="2"} x\n', 'm{a="1",a="2"} nope\n', 'm{a="1" 5\n', 'm{a="x}" 1\n', 'm{a="1"}} 1\n', 'm{="1"} 1\n']) {
    const lazy = outcome('text', bad, true);
    assert.equal(typeof lazy, 'string', bad);
    assert.equal(lazy, outcome('text', bad, false), bad);
  }
  // A '}' inside a quoted value does not end the block.
  assert.deepEqual(outcome('text', 'm{a="x}y",b="2"} 7\n', true), outcome('text', 'm{a="x}y",b="2"} 7\n', false));
});

// Guesses (the scrape cache's fast path: the series text expected on the next series line, e.g. the last scrape's
// at the same position) must never change what users get: a hit skips the label-block scan, anything else parses
// as usual. Each input is parsed with guesses from itself (every line hits), from itself shifted by one series line
// (lines sharing prefixes with their neighbours) and from itself less one character, and compared with the parse
// without guesses (which the lazy-labels tests above compare with the eager parse).
function guessedOutcome(format: Format, data: string | Buffer, guesses: readonly string[]): unknown {
  const p = createParser(format, data, { lazyLabels: true });
  const out: unknown[] = [];
  let n = 0;
  try {
    for (;;) {
      p.guess = guesses[n] ?? '';
      const t = p.next();
      if (t === EntryType.EOF || t === EntryType.NeedMore) return out;
      if (t !== EntryType.Series) continue;
      n++;
      const labels: string[] = [];
      for (let i = 0; i < p.labelCount(); i++) labels.push(p.labelName(i), p.labelValue(i));
      out.push({ series: p.series(), name: p.metricName(), labels, value: p.value(), ts: p.hasTimestamp() ? p.timestamp() : null, guessed: p.seriesIs(p.guess) });
    }
  } catch (err) {
    assert.ok(err instanceof ParseError, String(err));
    return `ParseError: ${err.message}`;
  }
}
function seriesTexts(format: Format, data: string | Buffer): string[] {
  const out: string[] = [];
  try {
    for (const e of parseAll(format, data, { lazyLabels: true })) if (e.type === 'series') out.push(e.series);
  } catch {
    // an error row: the series before the error are guesses enough
  }
  return out;
}
test('guessed series text: hits, near misses and errors parse exactly as without a guess', () => {
  const inputs: Array<[Format, string | Buffer]> = [
    ['text', cases.prom_text_0_0_4.input],
    ['openmetrics', cases.openmetrics_1_0.input],
    ...tables.flatMap(([table, format]) => (cases[table] as Array<{ input: Raw }>).map((r): [Format, string | Buffer] => [format, input(r.input)])),
    ['text', 'foo 1\nfoobar 2\nfoo {a="1"} 3\nfoo{a="1"} 4\nfoo{a="1"}5\nfoo{a="1",b="2"} 6\nfoo\t7 8\n'],
    ['text', 'm{a="x}"} 1\nm{a="x}"}} 1\n'],
    ['text', 'm{a="1"} 1\nm{a="1"} x\n'],
    ['openmetrics', 'foo 1\nfoo{a="1"} 2\nfoo{a="1"}  3\n# EOF\n'],
  ];
  let hits = 0;
  for (const [format, data] of inputs) {
    const own = seriesTexts(format, data);
    const noGuess = guessedOutcome(format, data, []);
    const where = `${format} ${JSON.stringify(String(data)).slice(0, 120)}`;
    const same = guessedOutcome(format, data, own);
    if (Array.isArray(same)) hits += same.filter((e) => (e as { guessed: boolean }).guessed).length;
    const strip = (o: unknown) => (Array.isArray(o) ? o.map((e) => ({ ...(e as object), guessed: undefined })) : o);
    assert.deepEqual(strip(same), strip(noGuess), `own guesses: ${where}`);
    assert.deepEqual(strip(guessedOutcome(format, data, ['', ...own])), strip(noGuess), `shifted guesses: ${where}`);
    assert.deepEqual(strip(guessedOutcome(format, data, own.map((s) => s.slice(0, -1)))), strip(noGuess), `truncated guesses: ${where}`);
  }
  assert.ok(hits > 50, `guesses from the input itself hit (${hits})`);
  // A guess that matches a line with a bad value still gives the value error.
  assert.equal(guessedOutcome('text', 'm{a="1"} x\n', ['m{a="1"}']), guessedOutcome('text', 'm{a="1"} x\n', []));
  assert.match(String(guessedOutcome('text', 'm{a="1"} x\n', ['m{a="1"}'])), /line 1, column 10: invalid value 'x'/);
});
