/**
 * prometheus/otlptranslator LabelNamer conformance: 16 labels x 5 configurations, run as label_namer_test.go does
 * (the leading-underscore sub-configurations only run when their parent configuration succeeded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildLabelName, LabelNamer } from '../../src/translate/prometheus/label-namer.ts';

interface LabelCase {
  label: string;
  sanitized?: string;
  sanitizedMultipleUnderscores?: string;
  sanitizedUnderscoreLabelSanitization?: string;
  sanitizedMultipleUnderscoresAndUnderscoreLabelSanitization?: string;
  wantSanitizationError?: { error: string };
  wantSanitizationMultipleUnderscoresError?: { error: string };
  wantUTF8Error?: { error: string };
}

const file = JSON.parse(readFileSync(new URL('../fixtures/otel/otlptranslator_label_namer_cases.json', import.meta.url), 'utf8'));
const cases: LabelCase[] = file.cases;
const or = (v: string | undefined): string => v ?? '';

describe('otlptranslator LabelNamer.Build', () => {
  assert.equal(cases.length, 16);
  cases.forEach((c, i) => {
    const id = `#${i} ${JSON.stringify(c.label)}`;
    test(`${id} default (collapse underscores)`, () => {
      const r = buildLabelName(c.label, {});
      if (c.wantSanitizationError) return assert.equal(r.error, c.wantSanitizationError.error);
      assert.equal(r.error, undefined);
      assert.equal(r.name, or(c.sanitized));
    });
    if (!c.wantSanitizationError) {
      test(`${id} underscoreLabelSanitization`, () => {
        const r = buildLabelName(c.label, { underscoreLabelSanitization: true });
        assert.equal(r.error, undefined);
        assert.equal(r.name, c.sanitizedUnderscoreLabelSanitization || or(c.sanitized));
      });
    }
    const preserveErr = c.wantSanitizationMultipleUnderscoresError ?? c.wantSanitizationError;
    test(`${id} preserveMultipleUnderscores`, () => {
      const r = buildLabelName(c.label, { preserveMultipleUnderscores: true });
      if (preserveErr) return assert.equal(r.error, preserveErr.error);
      assert.equal(r.error, undefined);
      assert.equal(r.name, c.sanitizedMultipleUnderscores || or(c.sanitized));
    });
    if (!preserveErr) {
      test(`${id} preserveMultipleUnderscores + underscoreLabelSanitization`, () => {
        const r = buildLabelName(c.label, { preserveMultipleUnderscores: true, underscoreLabelSanitization: true });
        assert.equal(r.error, undefined);
        const want =
          c.sanitizedMultipleUnderscoresAndUnderscoreLabelSanitization ||
          c.sanitizedUnderscoreLabelSanitization ||
          c.sanitizedMultipleUnderscores ||
          or(c.sanitized);
        assert.equal(r.name, want);
      });
    }
    test(`${id} utf8Allowed`, () => {
      const r = buildLabelName(c.label, { utf8Allowed: true });
      if (c.wantUTF8Error) return assert.equal(r.error, c.wantUTF8Error.error);
      assert.equal(r.error, undefined);
      assert.equal(r.name, c.label);
    });
  });

  test('memoising LabelNamer returns the same results as buildLabelName', () => {
    const namer = new LabelNamer({ preserveMultipleUnderscores: true });
    for (const c of cases) {
      for (let k = 0; k < 2; k++) assert.deepEqual(namer.build(c.label), buildLabelName(c.label, namer.options));
    }
  });
});
