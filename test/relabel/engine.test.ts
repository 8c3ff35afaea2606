/**
 * Own table tests for the relabel engine: every action, `if:` selectors, Go template expansion edge cases, RE2
 * translation (accepted and rejected syntax), fast paths vs the general RegExp, explain output, schema behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Label } from '../../src/model/types.ts';
import {
  AnchoredRegex,
  applyRelabel,
  compileAnchored,
  compileRelabel,
  compileTemplate,
  explainRelabel,
  relabelConfigSchema,
  relabelConfigsSchema,
  translateRe2,
  type RelabelConfigInput,
  type RelabelOptions,
} from '../../src/relabel/index.ts';

const L = (o: Record<string, string>): Label[] =>
  Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

function run(rules: RelabelConfigInput[], input: Record<string, string>, opts?: RelabelOptions): Record<string, string> | null {
  const out = applyRelabel(compileRelabel(rules, opts), L(input));
  if (out === null) return null;
  for (let i = 1; i < out.length; i++) assert.ok(out[i - 1]!.name < out[i]!.name, 'output must be sorted and unique');
  for (const l of out) assert.notEqual(l.value, '', 'no empty values in the output');
  return Object.fromEntries(out.map((l) => [l.name, l.value]));
}

interface Row {
  name: string;
  rules: RelabelConfigInput[];
  input: Record<string, string>;
  want: Record<string, string> | null;
  opts?: RelabelOptions;
}

const base = { __name__: 'http_requests_total', job: 'api', instance: '10.0.0.1:9090', code: '200' };

const rows: Row[] = [
  // replace
  { name: 'replace: default regex copies a label', rules: [{ source_labels: ['job'], target_label: 'service' }], input: base, want: { ...base, service: 'api' } },
  { name: 'replace: multiple sources joined with the separator', rules: [{ source_labels: ['job', 'code'], separator: '/', target_label: 'jc' }], input: base, want: { ...base, jc: 'api/200' } },
  { name: 'replace: missing source label is ""', rules: [{ source_labels: ['nope', 'job'], target_label: 'x' }], input: base, want: { ...base, x: ';api' } },
  { name: 'replace: regex with groups', rules: [{ source_labels: ['instance'], regex: '([^:]+):(\\d+)', target_label: 'host', replacement: '$1' }], input: base, want: { ...base, host: '10.0.0.1' } },
  { name: 'replace: no match leaves labels alone', rules: [{ source_labels: ['job'], regex: 'web', target_label: 'x', replacement: 'y' }], input: base, want: base },
  { name: 'replace: empty replacement deletes the target', rules: [{ source_labels: ['job'], target_label: 'code', replacement: '' }], input: base, want: { __name__: 'http_requests_total', job: 'api', instance: '10.0.0.1:9090' } },
  { name: 'replace: set a constant with no source labels', rules: [{ target_label: 'env', replacement: 'prod' }], input: base, want: { ...base, env: 'prod' } },
  { name: 'replace: overwrite __name__', rules: [{ source_labels: ['__name__'], regex: '(.*)_total', target_label: '__name__', replacement: '${1}_count' }], input: base, want: { ...base, __name__: 'http_requests_count' } },
  { name: 'replace v2.42: (.*) does not match a value with \\n', rules: [{ source_labels: ['a'], target_label: 'b' }], input: { a: 'x\ny' }, want: { a: 'x\ny' } },
  { name: 'replace head: (.*) matches a value with \\n', rules: [{ source_labels: ['a'], target_label: 'b' }], input: { a: 'x\ny' }, want: { a: 'x\ny', b: 'x\ny' }, opts: { semantics: 'head' } },
  { name: 'replace v2.42: dot matches \\r (JS dot would not)', rules: [{ source_labels: ['a'], regex: 'x.y', target_label: 'b', replacement: 'ok' }], input: { a: 'x\ry' }, want: { a: 'x\ry', b: 'ok' } },
  { name: 'replace v2.42: invalid expanded target deletes the literal template label', rules: [{ source_labels: ['a'], regex: '(.*)', target_label: '$1', replacement: 'v' }], input: { a: '0bad', $1: 'z' }, want: { a: '0bad' }, opts: { validate: false } },
  { name: 'replace head: invalid expanded target is ignored', rules: [{ source_labels: ['a'], regex: 'x(.*)', target_label: '$1', replacement: 'v' }], input: { a: 'x', $1: 'z' }, want: { a: 'x', $1: 'z' }, opts: { semantics: 'head', validate: false } },
  { name: 'replace head: empty replacement deletes the expanded target', rules: [{ source_labels: ['a'], regex: '(.)(.*)', target_label: '$1', replacement: '$2' }], input: { a: 'f', f: 'x' }, want: { a: 'f' }, opts: { semantics: 'head' } },
  // keep / drop
  { name: 'keep: match keeps', rules: [{ action: 'keep', source_labels: ['job'], regex: 'api|web' }], input: base, want: base },
  { name: 'keep: mismatch drops', rules: [{ action: 'keep', source_labels: ['job'], regex: 'web' }], input: base, want: null },
  { name: 'keep: regex is anchored', rules: [{ action: 'keep', source_labels: ['job'], regex: 'ap' }], input: base, want: null },
  { name: 'drop: match drops', rules: [{ action: 'drop', source_labels: ['__name__'], regex: 'http_.*' }], input: base, want: null },
  { name: 'drop: suffix fast path', rules: [{ action: 'drop', source_labels: ['__name__'], regex: '.*_total' }], input: base, want: null },
  { name: 'drop: mismatch keeps', rules: [{ action: 'drop', source_labels: ['__name__'], regex: 'go_.*' }], input: base, want: base },
  { name: 'keepequal / dropequal', rules: [{ action: 'keepequal', source_labels: ['a'], target_label: 'b' }, { action: 'dropequal', source_labels: ['a'], target_label: 'c' }], input: { a: '1', b: '1', c: '2' }, want: { a: '1', b: '1', c: '2' } },
  { name: 'dropequal: missing target equals empty joined source', rules: [{ action: 'dropequal', source_labels: ['x'], target_label: 'y' }], input: { a: '1' }, want: null },
  // hashmod
  { name: 'hashmod: known value (upstream case)', rules: [{ action: 'hashmod', source_labels: ['c'], modulus: 1000, target_label: 'd' }], input: { c: 'baz' }, want: { c: 'baz', d: '976' } },
  // labelmap
  { name: 'labelmap: copies matching names', rules: [{ action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' }], input: { __meta_kubernetes_pod_label_app: 'web', job: 'x' }, want: { __meta_kubernetes_pod_label_app: 'web', app: 'web', job: 'x' } },
  { name: 'labelmap: iterates a snapshot (no cascading)', rules: [{ action: 'labelmap', regex: '(.*)', replacement: '${1}_x' }], input: { a: '1' }, want: { a: '1', a_x: '1' } },
  { name: 'labelmap: later label in name order wins a collision', rules: [{ action: 'labelmap', regex: '[ab]_(.*)', replacement: '$1' }], input: { a_k: '1', b_k: '2' }, want: { a_k: '1', b_k: '2', k: '2' } },
  // labeldrop / labelkeep
  { name: 'labeldrop', rules: [{ action: 'labeldrop', regex: 'instance|code' }], input: base, want: { __name__: 'http_requests_total', job: 'api' } },
  { name: 'labelkeep keeps __name__ only if matched', rules: [{ action: 'labelkeep', regex: '__name__|job' }], input: base, want: { __name__: 'http_requests_total', job: 'api' } },
  // lowercase / uppercase (Go: one rune to one rune)
  { name: 'lowercase / uppercase ASCII', rules: [{ action: 'lowercase', source_labels: ['a'], target_label: 'l' }, { action: 'uppercase', source_labels: ['a'], target_label: 'u' }], input: { a: 'MiXeD-1' }, want: { a: 'MiXeD-1', l: 'mixed-1', u: 'MIXED-1' } },
  { name: 'uppercase keeps ß (Go), lowercase maps İ to i (Go)', rules: [{ action: 'uppercase', source_labels: ['a'], target_label: 'u' }, { action: 'lowercase', source_labels: ['b'], target_label: 'l' }], input: { a: 'straße', b: 'İSTANBUL' }, want: { a: 'straße', b: 'İSTANBUL', u: 'STRAßE', l: 'istanbul' } },
  // if:
  { name: 'if: rule applies to matching series', rules: [{ if: '{job="api"}', target_label: 'team', replacement: 'core' }], input: base, want: { ...base, team: 'core' } },
  { name: 'if: rule skipped for other series', rules: [{ if: '{job="web"}', target_label: 'team', replacement: 'core' }], input: base, want: base },
  { name: 'if: keep drops non-matching series', rules: [{ action: 'keep', if: 'http_requests_total{code=~"5.."}' }], input: base, want: null },
  { name: 'if: keep keeps matching series', rules: [{ action: 'keep', if: 'http_requests_total{code=~"2.."}' }], input: base, want: base },
  { name: 'if: drop with default regex drops matching series', rules: [{ action: 'drop', if: '{__name__=~"http_.*"}' }], input: base, want: null },
  { name: 'if: drop leaves others', rules: [{ action: 'drop', if: '{__name__=~"go_.*"}' }], input: base, want: base },
];

for (const r of rows) {
  test(`action: ${r.name}`, () => {
    assert.deepEqual(run(r.rules, r.input, r.opts), r.want);
  });
}

test('hashmod: md5 last 8 bytes big-endian mod N, small and BigInt paths', () => {
  for (const modulus of [1, 7, 1000, 2097152, 2097153, 4294967311, Number.MAX_SAFE_INTEGER]) {
    for (const v of ['', 'a', '10.0.0.1:9090', 'ü漢字']) {
      const h = createHash('md5').update(v, 'utf8').digest();
      const want = (h.readBigUInt64BE(8) % BigInt(modulus)).toString();
      const got = run([{ action: 'hashmod', source_labels: ['a'], modulus, target_label: 'h' }], v === '' ? {} : { a: v });
      assert.equal(got?.['h'], want, `modulus ${modulus} value ${v}`);
    }
  }
});

test('nothing changed: the input array itself is returned (no allocation)', () => {
  const input = L(base);
  const c = compileRelabel([
    { action: 'keep', source_labels: ['job'], regex: 'api' },
    { source_labels: ['job'], target_label: 'job' },
    { action: 'labelmap', regex: '(job)' },
    { action: 'labeldrop', regex: 'nope' },
    { action: 'labelkeep', regex: '.*' },
  ]);
  assert.equal(applyRelabel(c, input), input);
  const changed = applyRelabel(compileRelabel([{ target_label: 'x', replacement: 'y' }]), input);
  assert.notEqual(changed, input);
  assert.deepEqual(input, L(base), 'input untouched');
  assert.equal(applyRelabel(compileRelabel([]), input), input);
});

test('Go template expansion edge cases', () => {
  const re = compileAnchored('(?P<first>a)(b)(?<third>c)?', false);
  const g = re.exec('ab')!;
  const cases: [string, string][] = [
    ['$1', 'a'],
    ['${1}', 'a'],
    ['$1x', ''], // name "1x" is an unknown group
    ['${1}x', 'ax'],
    ['$first-$2', 'a-b'],
    ['${first}_${2}', 'a_b'],
    ['$third', ''], // did not take part
    ['$0', 'ab'],
    ['$01', ''], // leading zero: a name, unknown
    ['$$1', '$1'],
    ['$', '$'],
    ['x$', 'x$'],
    ['${', '${'],
    ['${1', '${1'],
    ['$-', '$-'],
    ['$9', ''],
    ['a$$$1b', 'a$'], // $$ then $1b (unknown name)
    ['plain', 'plain'],
  ];
  for (const [tpl, want] of cases) assert.equal(compileTemplate(tpl, re.groupNames).expand(g), want, tpl);
});

test('RE2 syntax translated to JS semantics', () => {
  const yes: [string, string, boolean?][] = [
    ['(?i)abc', 'AbC'],
    ['a(?i)b', 'aB'],
    ['(?i)a(?-i:b)c', 'Abc'],
    ['[[:alpha:]]+[[:digit:]]', 'abc1'],
    ['[[:^digit:]]', 'x'],
    ['\\Qa.b\\E', 'a.b'],
    ['\\pL+\\p{Greek}', 'xα'],
    ['\\x{263a}\\x41\\101', '☺AA'],
    ['a{,3}', 'a{,3}'],
    ['[]a]+', ']a'],
    ['(?s).', '\n'],
    ['(?m)a$\\n^b', 'a\nb'],
    ['a\\z', 'a'],
    ['\\Aa', 'a'],
    ['\\s', ' '],
    ['.', '😀'],
    ['(?U)(a+)(a*)', 'aaa'],
    ['\\.\\-\\,', '.-,'],
    ['x*', ''],
  ];
  for (const [p, s] of yes) assert.equal(compileAnchored(p, false).test(s), true, `${p} should match ${JSON.stringify(s)}`);
  const no: [string, string][] = [
    ['\\s', '\u00a0'], // Go \s is ASCII only
    ['\\s', '\v'],
    ['.', '\n'],
    ['(?i)a(?-i:b)c', 'aBc'],
    ['abc', 'ABC'],
    ['a\\z', 'a\n'],
    ['[[:^digit:]]', '5'],
    ['foo', 'foobar'],
    ['foo|bar', 'foobar'],
  ];
  for (const [p, s] of no) assert.equal(compileAnchored(p, false).test(s), false, `${p} should not match ${JSON.stringify(s)}`);
  // (?U) swaps greediness: group 1 takes as little as possible.
  assert.deepEqual([...compileAnchored('(?U)(a+)(a*)', false).exec('aaa')!], ['aaa', 'a', 'aa']);
  assert.deepEqual(translateRe2('(?P<x>a)(b)(?<y>c)', { dotAll: false }).groupNames, ['', 'x', '', 'y']);
});

test('RE2 syntax that Go rejects is rejected with a clear error', () => {
  const bad: [string, RegExp][] = [
    ['(?=x)', /invalid or unsupported Perl syntax: `\(\?=`/],
    ['(?<=x)y', /invalid or unsupported Perl syntax/],
    ['(a)\\1', /invalid escape sequence: `\\1`/],
    ['\\C', /invalid escape sequence/],
    ['\\Z', /invalid escape sequence/],
    ['a**', /invalid nested repetition operator: `\*\*`/],
    ['a{1001}', /invalid repeat count/],
    ['a{3,2}', /invalid repeat count/],
    ['[z-a]', /invalid character class range: `z-a`/],
    ['[[:foo:]]', /invalid character class range: `\[:foo:\]`/],
    ['(a', /missing closing \)/],
    ['a)', /unexpected \)/],
    ['[a', /missing closing \]/],
    ['*a', /missing argument to repetition operator/],
    ['\\p{NotAScript}', /invalid character class range/],
    ['(?P<a-b>x)', /invalid named capture/],
    ['a\\', /trailing backslash/],
    ['(?i-)a', /invalid or unsupported Perl syntax/],
  ];
  for (const [p, msg] of bad) {
    assert.throws(() => new AnchoredRegex(p, false), msg, p);
  }
  assert.throws(
    () => compileRelabel([{ action: 'keep' }, { action: 'drop', source_labels: ['a'], regex: '(?!x)' }]),
    /relabel rule 1 \(drop\): regex: error parsing regexp: invalid or unsupported Perl syntax/,
  );
});

test('fast paths agree with the general RegExp', () => {
  const patterns = ['.*', '(.*)', '.+', '(.+)', 'foo', '', 'a|b|', 'foo.*', '.*_total', 'a-b.*', '.*x\ny',
    // prefix/suffix prefilter in front of a real RegExp
    '__meta_(.+)', '(.*)_total', 'a(b|c)d', '(?i)foo.*', 'f\\.o(.*)', 'fo+', 'a(x*)a', '\\Qfoo\\E(bar)?'];
  const inputs = ['', 'foo', 'foobar', 'a', 'b', 'c', 'x_total', '_total', 'a-b', 'a-bc', 'a\nb', 'foo\n', '\n_total', 'x\ny', 'zx\ny',
    '__meta_x', '__meta_', 'abd', 'acd', 'FOObar', 'f.oz', 'fooo', 'aa', 'axxa', 'a_total\n'];
  for (const dotAll of [false, true]) {
    for (const p of patterns) {
      const fast = new AnchoredRegex(p, dotAll);
      const tr = translateRe2(p, { dotAll });
      const slow = new RegExp(`^(?:${tr.source})$`, 'u');
      for (const s of inputs) {
        assert.equal(fast.test(s), slow.test(s), `${p} dotAll=${dotAll} on ${JSON.stringify(s)}`);
        const fe = fast.exec(s);
        const se = slow.exec(s);
        assert.deepEqual(fe === null ? null : [...fe], se === null ? null : [...se]);
      }
    }
  }
});

test('explainRelabel records every step', () => {
  const c = compileRelabel([
    { source_labels: ['job'], target_label: 'service' },
    { action: 'labeldrop', regex: 'instance' },
    { if: '{job="web"}', target_label: 'x', replacement: 'y' },
    { action: 'drop', source_labels: ['code'], regex: '2..' },
    { target_label: 'never', replacement: 'reached' },
  ]);
  const steps = explainRelabel(c, L(base));
  assert.equal(steps.length, 4);
  assert.deepEqual(
    steps.map((s) => [s.index, s.action, s.matched, s.ifMatched]),
    [
      [0, 'replace', true, null],
      [1, 'labeldrop', true, null],
      [2, 'replace', false, false],
      [3, 'drop', true, null],
    ],
  );
  assert.deepEqual(steps[0]!.before, L(base));
  assert.deepEqual(steps[0]!.after, L({ ...base, service: 'api' }));
  assert.deepEqual(steps[1]!.after, L({ __name__: 'http_requests_total', job: 'api', code: '200', service: 'api' }));
  assert.deepEqual(steps[2]!.after, steps[2]!.before);
  assert.equal(steps[3]!.after, null);
  // Snapshots are independent copies.
  assert.notEqual(steps[1]!.before, steps[0]!.after);
});

test('schema: defaults, strict keys, Prometheus messages with paths', () => {
  assert.deepEqual(relabelConfigSchema.parse({ source_labels: ['a'], target_label: 'b' }), {
    source_labels: ['a'],
    separator: ';',
    regex: '(.*)',
    modulus: 0,
    target_label: 'b',
    replacement: '$1',
    action: 'replace',
  });
  assert.equal(relabelConfigSchema.parse({ action: 'LabelDrop', regex: 'x' }).action, 'labeldrop');
  const fails: [unknown, string, (string | number)[]][] = [
    [{ action: 'hashmod', target_label: 'x' }, 'relabel configuration for hashmod requires non-zero modulus', ['modulus']],
    [{ action: 'hashmod', modulus: 2 }, "relabel configuration for hashmod action requires 'target_label' value", ['target_label']],
    [{ source_labels: ['a'] }, "relabel configuration for replace action requires 'target_label' value", ['target_label']],
    [{ source_labels: ['a'], target_label: '1x' }, `"1x" is invalid 'target_label' for replace action`, ['target_label']],
    [{ action: 'labeldrop', regex: 'x', target_label: 'y' }, "labeldrop action requires only 'regex', and no other fields", []],
    [{ action: 'keepequal', source_labels: ['a'], target_label: 'b', separator: ',' }, "keepequal action requires only 'source_labels' and `target_label`, and no other fields", []],
    [{ action: 'lowercase', source_labels: ['a'], target_label: 'b', replacement: 'x' }, "'replacement' can not be set for lowercase action", ['replacement']],
    [{ action: 'labelmap', regex: '(.*)', replacement: 'a.$1' }, `"a.$1" is invalid 'replacement' for labelmap action`, ['replacement']],
    [{ action: 'explode' }, 'unknown relabel action "explode"', ['action']],
    [{ action: 'keep', source_labels: ['a'], regex: '(' }, 'error parsing regexp: missing closing ): `(`', ['regex']],
    [{ action: 'keep', source_labels: ['a-b'] }, '"a-b" is not a valid label name', ['source_labels', 0]],
    [{ action: 'keep', if: '{a=}' }, 'invalid series selector "{a=}"', ['if']],
  ];
  for (const [cfg, msg, path] of fails) {
    const r = relabelConfigSchema.safeParse(cfg);
    assert.equal(r.success, false, JSON.stringify(cfg));
    const issue = r.error!.issues.find((i) => i.message.includes(msg));
    assert.ok(issue, `${JSON.stringify(cfg)}: ${JSON.stringify(r.error!.issues.map((i) => i.message))} lacks ${msg}`);
    assert.deepEqual(issue.path, path);
  }
  const unknown = relabelConfigSchema.safeParse({ source_labels: ['a'], target_label: 'b', targetLabel: 'c' });
  assert.equal(unknown.success, false);
  assert.equal(unknown.error!.issues[0]!.code, 'unrecognized_keys');
  const list = relabelConfigsSchema.safeParse([{ action: 'keep', source_labels: ['a'] }, { action: 'hashmod' }]);
  assert.equal(list.success, false);
  assert.deepEqual(list.error!.issues[0]!.path, [1, 'modulus']);
});

test('compileRelabel validates by default and names the rule', () => {
  assert.throws(() => compileRelabel([{ action: 'hashmod', source_labels: ['a'], target_label: 'b' }]), /relabel rule 0 \(hashmod\): modulus: relabel configuration for hashmod requires non-zero modulus/);
  assert.throws(() => compileRelabel([{ action: 'keep', if: 'up{' }]), /relabel rule 0 \(keep\): if: invalid series selector/);
  // Prometheus 3.x accepts UTF-8 target labels; 2.x does not.
  assert.throws(() => compileRelabel([{ target_label: 'a.b', replacement: 'x' }]), /"a\.b" is invalid 'target_label'/);
  assert.deepEqual(run([{ target_label: 'a.b', replacement: 'x' }], { c: '1' }, { semantics: 'head' }), { 'a.b': 'x', c: '1' });
});
