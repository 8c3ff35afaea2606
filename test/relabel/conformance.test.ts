/**
 * Upstream conformance: every case of test/fixtures/prometheus/relabel_cases.json (prometheus/prometheus
 * model/relabel/relabel_test.go at v2.42.0 and HEAD), one test() per case, named by table and case id.
 * - relabel_cases_v2_42_0 run with semantics 'v2.42'; relabel_cases_head with semantics 'head' (UTF-8 label names,
 *   as Prometheus 3.x). Upstream's Process() tests use unvalidated configs, so compile with validate:false here.
 * - target-label validity tables: the legacy-scheme template check, through checkRelabelConfig and the zod schema.
 * - validate_cases_head: Config.Validate() on Go-struct-like configs (absent field = Go zero value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Label } from '../../src/model/types.ts';
import {
  applyRelabel,
  checkRelabelConfig,
  compileRelabel,
  relabelConfigSchema,
  relabelConfigSchemaFor,
  type NameValidation,
  type RelabelConfigInput,
  type RelabelSemantics,
} from '../../src/relabel/index.ts';

interface RelabelCase {
  id: number;
  input: Record<string, string>;
  relabel_configs: RelabelConfigInput[];
  expect: { dropped: boolean; output?: Record<string, string> };
  needs_utf8_label_names: boolean;
  new_since_v2_42?: boolean;
}
interface ValidityCase {
  target_label: string;
  valid: boolean;
}
interface ValidateCase {
  config: RelabelConfigInput;
  name_validation_scheme: 'UTF8Validation' | 'LegacyValidation';
  expect_error_contains: string | null;
}
interface Fixture {
  relabel_cases_v2_42_0: RelabelCase[];
  relabel_cases_head: RelabelCase[];
  target_label_validity_v2_42_0: ValidityCase[];
  target_label_legacy_validity_head: ValidityCase[];
  validate_cases_head: ValidateCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/prometheus/relabel_cases.json', import.meta.url), 'utf8'),
) as Fixture;

function toLabels(o: Record<string, string>): Label[] {
  return Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function runCases(table: string, cases: RelabelCase[], semantics: RelabelSemantics): void {
  assert.ok(cases.length > 0, `${table} is empty`);
  for (const c of cases) {
    test(`${table} #${c.id}`, () => {
      const compiled = compileRelabel(c.relabel_configs, { semantics, validate: false });
      const input = toLabels(c.input);
      const inputCopy = structuredClone(input);
      const out = applyRelabel(compiled, input);
      assert.deepEqual(input, inputCopy, 'the input label set must not be modified');
      if (c.expect.dropped) {
        assert.equal(out, null, `expected the series to be dropped, got ${JSON.stringify(out)}`);
      } else {
        assert.notEqual(out, null, 'expected the series to be kept');
        assert.deepEqual(out, toLabels(c.expect.output!));
      }
    });
  }
}

runCases('relabel_cases_v2_42_0', fixture.relabel_cases_v2_42_0, 'v2.42');
runCases('relabel_cases_head', fixture.relabel_cases_head, 'head');

test('the fixture holds the documented case counts', () => {
  assert.equal(fixture.relabel_cases_v2_42_0.length, 25);
  assert.equal(fixture.relabel_cases_head.length, 34);
  assert.equal(fixture.target_label_validity_v2_42_0.length, 15);
  assert.equal(fixture.target_label_legacy_validity_head.length, 16);
  assert.equal(fixture.validate_cases_head.length, 10);
});

test('v2.42 and head semantics really differ on head #10 and #27', () => {
  const byId = (id: number) => fixture.relabel_cases_head.find((c) => c.id === id)!;
  for (const id of [10, 27]) {
    const c = byId(id);
    const out = applyRelabel(compileRelabel(c.relabel_configs, { semantics: 'v2.42', validate: false }), toLabels(c.input));
    assert.notDeepEqual(out, toLabels(c.expect.output!), `head #${id} must not pass under v2.42 semantics`);
  }
});

function runValidity(table: string, cases: ValidityCase[]): void {
  for (const c of cases) {
    test(`${table} ${JSON.stringify(c.target_label)} valid=${c.valid}`, () => {
      const cfg = { source_labels: ['a'], regex: '(.*)', separator: ';', replacement: '$1', action: 'replace', target_label: c.target_label };
      const issue = checkRelabelConfig(cfg, 'legacy');
      if (c.valid) assert.equal(issue, null);
      else assert.equal(issue?.message, `${JSON.stringify(c.target_label)} is invalid 'target_label' for replace action`);
      const parsed = relabelConfigSchema.safeParse({ source_labels: ['a'], target_label: c.target_label });
      assert.equal(parsed.success, c.valid);
      if (!parsed.success) assert.deepEqual(parsed.error.issues[0]?.path, ['target_label']);
    });
  }
}

runValidity('target_label_validity_v2_42_0', fixture.target_label_validity_v2_42_0);
runValidity('target_label_legacy_validity_head', fixture.target_label_legacy_validity_head);

fixture.validate_cases_head.forEach((c, i) => {
  const scheme: NameValidation = c.name_validation_scheme === 'LegacyValidation' ? 'legacy' : 'utf8';
  test(`validate_cases_head #${i} (${scheme}) ${JSON.stringify(c.config)}`, () => {
    const issue = checkRelabelConfig(c.config, scheme);
    if (c.expect_error_contains === null) {
      assert.equal(issue, null, `expected the config to be accepted, got ${issue?.message}`);
    } else {
      assert.ok(issue !== null, 'expected a validation error');
      assert.ok(issue.message.includes(c.expect_error_contains), `"${issue.message}" lacks "${c.expect_error_contains}"`);
    }
    // The same verdict through the zod schema, except for `{}` (the schema defaults action to replace, so `{}`
    // fails on the missing target_label instead of the empty action).
    if (c.config.action !== undefined) {
      const parsed = relabelConfigSchemaFor({ nameValidation: scheme }).safeParse(c.config);
      assert.equal(parsed.success, c.expect_error_contains === null);
      if (!parsed.success && c.expect_error_contains !== null) {
        assert.ok(parsed.error.issues.some((x) => x.message.includes(c.expect_error_contains!)));
      }
    }
  });
});
