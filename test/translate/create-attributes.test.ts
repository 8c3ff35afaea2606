/**
 * Prometheus createAttributes conformance (helper_test.go, 22 cases): resource + scope + point attributes -> the full
 * label set of metric `test_metric`, incl. job/instance, otel_scope_*, promoted resource attributes and ';'-joined
 * collisions (with the exact warning texts). Each case runs twice: through the label builder with the case's
 * ignoreAttrs (what createAttributes is), and end to end through PrometheusTranslator into a recording sink.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Attributes, Label, MetricsData } from '../../src/model/types.ts';
import { LabelNamer } from '../../src/translate/prometheus/label-namer.ts';
import type { LabelSettings } from '../../src/translate/prometheus/labels.ts';
import { labelContext, pointLabels, resourceLabels, scopeLabels } from '../../src/translate/prometheus/labels.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import type { PromSink, SeriesRef } from '../../src/translate/prometheus/types.ts';

interface Case {
  name: string;
  resource_attributes: Record<string, string>;
  datapoint_attributes: Record<string, string>;
  scope: { name: string; version: string; schemaURL: string; attributes: Record<string, string> } | null;
  promoteScope?: boolean;
  promoteResourceAttributes?: string[] | null;
  promoteAllResourceAttributes?: boolean;
  ignoreResourceAttributes?: string[];
  ignoreAttrs?: string[];
  labelNameUnderscoreSanitization?: boolean;
  labelNamePreserveMultipleUnderscores?: boolean;
  expectedLabels: Record<string, string>;
  expectedCollisionWarnings?: string[];
}

const file = JSON.parse(
  readFileSync(new URL('../fixtures/otel/prometheus_otlp_create_attributes_cases.json', import.meta.url), 'utf8'),
);
const cases: Case[] = file.cases;

const attrs = (o: Record<string, string>): Attributes => Object.entries(o).map(([key, value]) => ({ key, value }));
const asRecord = (labels: readonly Label[]): Record<string, string> =>
  Object.fromEntries(labels.map((l) => [l.name, l.value]));

function scopeOf(c: Case) {
  if (c.scope === null) return { scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '' };
  return {
    scope: { name: c.scope.name, version: c.scope.version, attributes: attrs(c.scope.attributes), droppedAttributesCount: 0 },
    schemaUrl: c.scope.schemaURL,
  };
}

function assertSorted(labels: readonly Label[]): void {
  for (let i = 1; i < labels.length; i++) assert.ok(labels[i - 1]!.name < labels[i]!.name, 'labels sorted and unique');
}

describe('createAttributes cases (label builder)', () => {
  assert.equal(cases.length, 22);
  for (const c of cases) {
    test(c.name, () => {
      const warnings: string[] = [];
      const s: LabelSettings = {
        namer: new LabelNamer({
          underscoreLabelSanitization: c.labelNameUnderscoreSanitization ?? false,
          preserveMultipleUnderscores: c.labelNamePreserveMultipleUnderscores ?? false,
        }),
        promoteScope: c.promoteScope ?? false,
        promoteAll: c.promoteAllResourceAttributes ?? false,
        promote: c.promoteResourceAttributes ?? [],
        ignoreResource: c.ignoreResourceAttributes ?? [],
        external: [],
        warn: (m) => warnings.push(m),
      };
      const resource = { attributes: attrs(c.resource_attributes), droppedAttributesCount: 0 };
      const { scope, schemaUrl } = scopeOf(c);
      const ctx = labelContext(resourceLabels(resource, s), scopeLabels(scope, schemaUrl, s), s);
      const stats = { collisions: 0 };
      const labels = pointLabels(attrs(c.datapoint_attributes), ctx, s, stats, c.ignoreAttrs);
      assert.ok(Array.isArray(labels), String(labels));
      assertSorted(labels);
      assert.deepEqual({ __name__: 'test_metric', ...asRecord(labels) }, c.expectedLabels);
      assert.deepEqual(warnings, c.expectedCollisionWarnings ?? []);
      assert.equal(stats.collisions, (c.expectedCollisionWarnings ?? []).length);
    });
  }
});

describe('createAttributes cases (end to end through PrometheusTranslator)', () => {
  for (const c of cases.filter((x) => x.ignoreAttrs === undefined)) {
    test(c.name, () => {
      const { scope, schemaUrl } = scopeOf(c);
      const md: MetricsData = {
        resourceMetrics: [
          {
            resource: { attributes: attrs(c.resource_attributes), droppedAttributesCount: 0 },
            schemaUrl: '',
            scopeMetrics: [
              {
                scope,
                schemaUrl,
                metrics: [
                  {
                    type: 'gauge',
                    name: 'test_metric',
                    description: '',
                    unit: '',
                    metadata: [],
                    points: [
                      {
                        attributes: attrs(c.datapoint_attributes),
                        startTimeUnixNano: 0n,
                        timeUnixNano: 1_000_000_000n,
                        flags: 0,
                        value: 1,
                        exemplars: [],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      };
      const warnings: string[] = [];
      const t = new PrometheusTranslator({
        promoteScopeMetadata: c.promoteScope ?? false,
        promoteResourceAttributes: c.promoteResourceAttributes ?? undefined,
        resourceToTelemetryConversion: c.promoteAllResourceAttributes,
        ignoreResourceAttributes: c.ignoreResourceAttributes,
        underscoreLabelSanitization: c.labelNameUnderscoreSanitization,
        preserveMultipleUnderscores: c.labelNamePreserveMultipleUnderscores,
        targetInfo: false,
        onWarning: (m) => warnings.push(m),
      });
      const got: SeriesRef[] = [];
      const sink: PromSink = { family() {}, series: (ref) => void got.push(ref) };
      const stats = t.translate(md, sink);
      assert.equal(stats.dropped, 0);
      assert.equal(got.length, 1);
      assert.deepEqual({ __name__: got[0]!.name, ...asRecord(got[0]!.labels) }, c.expectedLabels);
      assert.deepEqual(warnings, c.expectedCollisionWarnings ?? []);
    });
  }
});
