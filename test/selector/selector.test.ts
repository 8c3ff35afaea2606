/** Series selector tests: parsing (names, ops, quoting, escapes), matching (both label layouts), error messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Label } from '../../src/model/types.ts';
import { parseSelector, selectorMatches, selectorMatchesNamed, SelectorSyntaxError } from '../../src/selector/selector.ts';

const L = (o: Record<string, string>): Label[] =>
  Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const simple = (text: string) => parseSelector(text).matchers.map((m) => [m.name, m.op, m.value]);

test('parse: shapes', () => {
  assert.deepEqual(simple('up'), [['__name__', '=', 'up']]);
  assert.deepEqual(simple('  job:rate5m:sum  '), [['__name__', '=', 'job:rate5m:sum']]);
  assert.deepEqual(simple('http_requests_total{code="500"}'), [
    ['__name__', '=', 'http_requests_total'],
    ['code', '=', '500'],
  ]);
  assert.deepEqual(simple('{__name__=~"http_.*", code!="200", path!~"/debug.*",}'), [
    ['__name__', '=~', 'http_.*'],
    ['code', '!=', '200'],
    ['path', '!~', '/debug.*'],
  ]);
  assert.deepEqual(simple('{ job = "a" , env=~ \'p.*\' }'), [
    ['job', '=', 'a'],
    ['env', '=~', 'p.*'],
  ]);
  assert.deepEqual(simple('up{}'), [['__name__', '=', 'up']]);
  assert.deepEqual(simple('{"my.metric", "label.with.dots"="v"}'), [
    ['__name__', '=', 'my.metric'],
    ['label.with.dots', '=', 'v'],
  ]);
  assert.equal(parseSelector('up{a="b"}').metricName, 'up');
  assert.equal(parseSelector('{__name__="up"}').metricName, 'up');
  assert.equal(parseSelector('{__name__=~"up"}').metricName, null);
});

test('parse: string escapes in double, single and back quotes', () => {
  const v = (text: string) => parseSelector(text).matchers.at(-1)!.value;
  assert.equal(v('{a="x\\ny\\t\\"q\\"\\\\"}'), 'x\ny\t"q"\\');
  assert.equal(v("{a='it\\'s'}"), "it's");
  assert.equal(v('{a="\\u00e9\\U0001F600\\x41\\101"}'), 'é😀AA');
  assert.equal(v('{a=`raw\\n"x"`}'), 'raw\\n"x"');
  assert.equal(v('{a="日本"}'), '日本');
  assert.equal(v('{a=~"a\\\\.b"}'), 'a\\.b');
});

test('match: sorted labels with __name__, and name passed separately', () => {
  const series = L({ __name__: 'http_requests_total', code: '500', path: '/api', job: 'x' });
  const plain = L({ code: '500', path: '/api', job: 'x' });
  const cases: [string, boolean][] = [
    ['http_requests_total', true],
    ['up', false],
    ['http_requests_total{code="500"}', true],
    ['http_requests_total{code="200"}', false],
    ['{__name__=~"http_.*", code!="200", path!~"/debug.*"}', true],
    ['{__name__=~"http_.*", path!~"/a.*"}', false],
    ['{__name__=~"http"}', false], // anchored
    ['{code=~"5.."}', true],
    ['{code=~"5"}', false],
    ['{missing=""}', true], // absent label equals ""
    ['{job="x", missing!=""}', false],
    ['{job="x", missing=~".*"}', true],
    ['{job="x", missing=~".+"}', false],
    ['{job=~"X", code="500"}', false],
    ['{job=~"(?i)X"}', true],
  ];
  for (const [text, want] of cases) {
    const sel = parseSelector(text, { allowEmptyMatchers: true });
    assert.equal(selectorMatches(sel, series), want, text);
    assert.equal(selectorMatchesNamed(sel, 'http_requests_total', plain), want, `${text} (named)`);
  }
});

test('match: regex dot and newlines follow the semantics option', () => {
  const series = L({ a: 'x\ny' });
  assert.equal(selectorMatches(parseSelector('{a=~"x.y"}'), series), false);
  assert.equal(selectorMatches(parseSelector('{a=~"x.y"}', { semantics: 'head' }), series), true);
});

test('errors quote the text and the position', () => {
  const bad: [string, number, RegExp][] = [
    ['', 1, /expected a metric name or "\{"/],
    ['{}', 1, /at least one non-empty matcher/],
    ['{a=""}', 1, /at least one non-empty matcher/],
    ['{a=~".*"}', 1, /at least one non-empty matcher/],
    ['up{a="b"', 9, /expected "," or "\}"/],
    ['up{a=b}', 6, /expected a quoted label value/],
    ['up{a=="b"}', 6, /expected a quoted label value/],
    ['up{a~"b"}', 5, /expected one of "=", "!=", "=~", "!~"/],
    ['up{1a="b"}', 4, /expected a label name/],
    ['up{a.b="c"}', 5, /after label name "a"/],
    ['up{a="b}', 6, /unterminated quoted string/],
    ['up{a="\\q"}', 7, /unknown escape sequence \\q/],
    ['up{a=~"("}', 7, /invalid regular expression in a=~"\(": error parsing regexp: missing closing \)/],
    ['up{__name__="x"}', 4, /metric name must not be set twice: "up" or "x"/],
    ['up{a="b"} or down', 11, /unexpected character "o" after the selector/],
    ['rate(up[5m])', 5, /unexpected character "\(" after the selector/],
    ['up[5m]', 3, /after the selector/],
  ];
  for (const [text, pos, msg] of bad) {
    assert.throws(
      () => parseSelector(text),
      (err: unknown) => {
        assert.ok(err instanceof SelectorSyntaxError, text);
        assert.match(err.message, msg, text);
        assert.ok(err.message.startsWith(`invalid series selector ${JSON.stringify(text)} at char ${pos}:`), `${text}: ${err.message}`);
        assert.equal(err.pos, pos - 1);
        return true;
      },
    );
  }
  // allowEmptyMatchers relaxes only the non-empty rule.
  assert.equal(parseSelector('{}', { allowEmptyMatchers: true }).matchers.length, 0);
});
