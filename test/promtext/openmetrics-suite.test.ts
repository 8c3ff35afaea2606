/**
 * The official OpenMetrics 1.0 parser suite (test/fixtures/openmetrics/index.json): every case must parse with the
 * validating OpenMetrics parser iff `shouldParse`, fed both as a string and as streamed byte chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EntryType, ParseError, createParser, parseAll } from '../../src/codec/promtext/index.ts';

interface Case {
  name: string;
  shouldParse: boolean;
  comment?: string;
  input: string;
}
const suite = JSON.parse(readFileSync(new URL('../fixtures/openmetrics/index.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  valid: number;
  invalid: number;
};

test('suite has the expected number of cases', () => {
  assert.equal(suite.cases.length, 211);
  assert.equal(suite.cases.filter((c) => c.shouldParse).length, suite.valid);
  assert.equal(suite.cases.filter((c) => !c.shouldParse).length, suite.invalid);
});

/** Parses `bytes` in chunks of `size` bytes through the streaming API; returns the number of series. */
function parseStreamed(bytes: Buffer, size: number): number {
  const p = createParser('openmetrics', undefined, { validate: true });
  let series = 0;
  const drain = (): EntryType => {
    for (;;) {
      const t = p.next();
      if (t === EntryType.Series) series++;
      if (t === EntryType.NeedMore || t === EntryType.EOF) return t;
    }
  };
  for (let i = 0; i < bytes.length; i += size) {
    p.write(bytes.subarray(i, i + size));
    drain();
  }
  p.end();
  assert.equal(drain(), EntryType.EOF);
  return series;
}

for (const c of suite.cases) {
  test(`openmetrics suite: ${c.name}${c.comment ? ` (${c.comment})` : ''}`, () => {
    const bytes = Buffer.from(c.input, 'utf8');
    if (c.shouldParse) {
      const entries = parseAll('openmetrics', c.input, { validate: true });
      const nSeries = entries.filter((e) => e.type === 'series').length;
      // Same result through the chunked path, with chunk boundaries inside lines and UTF-8 sequences.
      assert.equal(parseStreamed(bytes, 7), nSeries);
      assert.equal(parseAll('openmetrics', bytes, { validate: true }).length, entries.length);
    } else {
      assert.throws(() => parseAll('openmetrics', c.input, { validate: true }), ParseError);
      assert.throws(() => parseStreamed(bytes, 5), ParseError);
    }
  });
}

test('openmetrics suite: lazy labels (the scrape mode, no validator) give exactly the eager entries or error for every case', () => {
  const outcome = (input: string, lazyLabels: boolean): unknown => {
    try {
      return parseAll('openmetrics', input, { lazyLabels });
    } catch (err) {
      assert.ok(err instanceof ParseError, String(err));
      return `ParseError: ${err.message}`;
    }
  };
  let failed = 0;
  for (const c of suite.cases) {
    const eager = outcome(c.input, false);
    if (typeof eager === 'string') failed++;
    assert.deepEqual(outcome(c.input, true), eager, c.name);
  }
  assert.ok(failed > 20, `the tokenizer alone rejects many invalid cases (${failed})`);
});
