/**
 * Chunked input: the streaming parser gives exactly the entries of a whole-input parse whatever the chunk
 * boundaries (inside lines, inside UTF-8 sequences), OpenMetrics family checks and `# EOF` rules hold across chunks,
 * and error positions count lines across chunks. Also LineChunker itself and error message shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EntryType, LineChunker, ParseError, createParser, parseAll } from '../../src/codec/promtext/index.ts';
import type { Entry, Format, Parser } from '../../src/codec/promtext/index.ts';

const promtestdata = readFileSync(new URL('../fixtures/prometheus/promtestdata.txt', import.meta.url));

/** Collects entries from a parser until `stop` is returned. */
function collect(p: Parser, stop: EntryType, out: Entry[]): void {
  for (;;) {
    const t = p.next();
    if (t === stop || t === EntryType.EOF) return;
    if (t === EntryType.Series) {
      out.push({ type: 'series', series: p.series(), name: p.metricName(), labels: [], value: p.value() });
    } else if (t === EntryType.Help) out.push({ type: 'help', name: p.metadataName(), help: p.help() });
    else if (t === EntryType.Type) out.push({ type: 'type', name: p.metadataName(), metricType: p.metricType() });
    else if (t === EntryType.Comment) out.push({ type: 'comment', text: p.comment() });
    else if (t === EntryType.Unit) out.push({ type: 'unit', name: p.metadataName(), unit: p.unit() });
  }
}

function streamed(format: Format, body: Uint8Array, size: number, validate = false): Entry[] {
  const p = createParser(format, undefined, { validate });
  const out: Entry[] = [];
  for (let i = 0; i < body.length; i += size) {
    p.write(body.subarray(i, i + size));
    collect(p, EntryType.NeedMore, out);
  }
  p.end();
  collect(p, EntryType.EOF, out);
  assert.equal(p.next(), EntryType.EOF);
  return out;
}

function whole(format: Format, body: Uint8Array | string, validate = false): Entry[] {
  const out: Entry[] = [];
  collect(createParser(format, body, { validate }), EntryType.EOF, out);
  return out;
}

for (const size of [1, 3, 17, 64, 4096, 1 << 20]) {
  test(`text: promtestdata in ${size}-byte chunks equals the whole parse`, () => {
    const got = streamed('text', promtestdata, size);
    assert.deepEqual(got, whole('text', promtestdata));
    assert.equal(got.filter((e) => e.type === 'series').length, 410);
  });
}

test('openmetrics: multi-byte UTF-8 split across chunks, validated, equals whole parse', () => {
  const body = Buffer.from(
    '# TYPE a histogram\n# HELP a héllo ☃ wörld\na_bucket{le="+Inf",x="☃☃"} 1 # {a="☃"} 1 1\n' +
      'a_count{x="☃☃"} 1\na_sum{x="☃☃"} 0.5\n# EOF\n',
  );
  const ref = whole('openmetrics', body, true);
  for (let size = 1; size < 12; size++) assert.deepEqual(streamed('openmetrics', body, size, true), ref);
  const help = ref.find((e) => e.type === 'help');
  assert.deepEqual(help, { type: 'help', name: 'a', help: 'héllo ☃ wörld' });
});

test('openmetrics: family clash across chunks is detected', () => {
  const body = Buffer.from('# TYPE a counter\na_total 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na 1\n# EOF\n');
  assert.throws(() => streamed('openmetrics', body, 10, true), /clashes/);
  assert.equal(streamed('openmetrics', body, 10, false).length, 6);
});

test('openmetrics: data after # EOF in a later chunk fails; missing # EOF fails at end()', () => {
  const p = createParser('openmetrics');
  p.write(Buffer.from('a 1\n# EOF\n'));
  assert.equal(p.next(), EntryType.Series);
  assert.equal(p.next(), EntryType.NeedMore);
  p.write(Buffer.from('b 1\n'));
  assert.throws(() => p.next(), /unexpected data after # EOF/);

  const q = createParser('openmetrics');
  q.write(Buffer.from('a 1\n'));
  assert.equal(q.next(), EntryType.Series);
  assert.equal(q.next(), EntryType.NeedMore);
  q.end();
  assert.throws(() => q.next(), /data does not end with # EOF/);

  const r = createParser('openmetrics');
  r.write(Buffer.from('a 1\n# EO'));
  assert.equal(r.next(), EntryType.Series);
  assert.equal(r.next(), EntryType.NeedMore);
  r.write(Buffer.from('F'));
  r.end();
  assert.equal(r.next(), EntryType.EOF);
});

test('error line numbers count across chunks; messages name the expectation and the offending text', () => {
  const lines = [];
  for (let i = 1; i <= 11; i++) lines.push(`m{code="${i}"} ${i}`);
  lines.push('m{code=} 12');
  const body = Buffer.from(lines.join('\n') + '\n');
  let err: unknown;
  try {
    streamed('text', body, 13);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ParseError);
  assert.equal(err.line, 12);
  assert.equal(err.column, 8);
  assert.equal(err.message, "line 12, column 8: expected label value after 'code=', got '}'");
  assert.throws(() => parseAll('text', 'a{b="c"} x1\n'), { message: "line 1, column 10: invalid value 'x1'" });
  assert.throws(() => parseAll('openmetrics', 'a 1\n\n# EOF\n'), {
    message: 'line 2, column 1: expected metric name at start of line, got end of line',
  });
});

test('write() before draining keeps the unread lines', () => {
  const p = createParser('text');
  p.write(Buffer.from('a 1\nb 2\n'));
  assert.equal(p.next(), EntryType.Series);
  p.write(Buffer.from('c 3\n'));
  const names = [p.metricName()];
  while (p.next() === EntryType.Series) names.push(p.metricName());
  assert.deepEqual(names, ['a', 'b', 'c']);
});

test('invalid UTF-8 in a streamed label value is rejected; elsewhere valid lines still parse', () => {
  const bad = Buffer.concat([Buffer.from('ok{a="x"} 1\nm{a="'), Buffer.from([0xff]), Buffer.from('"} 1\n')]);
  assert.throws(() => streamed('text', bad, 4), /invalid UTF-8 in label value/);
  assert.equal(streamed('text', Buffer.from('ok{a="☃"} 1\n'), 1).length, 1);
});

test('LineChunker returns complete lines and carries the rest', () => {
  const c = new LineChunker();
  const dec = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());
  assert.equal(dec(c.push(Buffer.from('ab'))), null);
  assert.equal(dec(c.push(Buffer.from('c\nde\nf'))), 'abc\nde\n');
  assert.equal(c.pending(), 1);
  assert.equal(dec(c.push(Buffer.from('\n'))), 'f\n');
  assert.equal(dec(c.flush()), null);
  assert.equal(dec(c.push(Buffer.from('tail'))), null);
  assert.equal(dec(c.flush()), 'tail');
  const small = new LineChunker(8);
  assert.throws(() => small.push(Buffer.from('0123456789')), RangeError);
});

test('chunks may be overwritten after write() returns (one reused read buffer, as the lean HTTP client does)', () => {
  const want = whole('text', promtestdata);
  for (const size of [1, 7, 100, 4096]) {
    const reused = Buffer.alloc(size);
    const p = createParser('text', undefined, {});
    const out: Entry[] = [];
    for (let i = 0; i < promtestdata.length; i += size) {
      const n = promtestdata.copy(reused, 0, i, i + size);
      p.write(reused.subarray(0, n));
      collect(p, EntryType.NeedMore, out);
      reused.fill(0x23); // '#': whatever the parser kept a view of is now garbage
    }
    p.end();
    collect(p, EntryType.EOF, out);
    assert.deepEqual(out, want, `chunk size ${size}`);
  }
});

test('a large body streams in 64 KiB chunks', () => {
  const parts: string[] = [];
  for (let i = 0; i < 100000; i++) parts.push(`series_${i % 100}{instance="host-${i}",job="node"} ${i}.5 ${1700000000000 + i}`);
  const body = Buffer.from(parts.join('\n') + '\n');
  const p = createParser('text');
  let n = 0;
  let lastTs = 0;
  for (let i = 0; i < body.length; i += 65536) {
    p.write(body.subarray(i, i + 65536));
    while (p.next() === EntryType.Series) {
      n++;
      lastTs = p.timestamp();
    }
  }
  p.end();
  while (p.next() === EntryType.Series) n++;
  assert.equal(n, 100000);
  assert.equal(lastTs, 1700000000000 + 99999);
});
