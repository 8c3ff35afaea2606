/**
 * The relabel rule sets shared by the micro benchmarks (bench/micro/relabel.ts: the engine alone; processors.ts: the
 * relabel processor): one rule (the common "add a label" case) and 20 typical metric_relabel_configs mixing replace,
 * keep, drop, labeldrop, hashmod, labelmap, lowercase and an `if:` rule.
 *
 * Contract
 * - The 20 rules are one list; the few rules that name a metric family or an app label take them from `RulesInput`,
 *   so each bench keeps (and drops) the same share of its own input as before the rules were shared.
 * - Lives in a subfolder: bench/run.ts runs every bench/micro/*.ts file as a benchmark, this is not one.
 */
import type { RelabelConfigInput } from '../../../src/relabel/index.ts';

export const ONE_RULE: RelabelConfigInput[] = [{ target_label: 'cluster', replacement: 'eu-west-1' }];

/** What the bench's series look like, for the rules that name metric families or labels. */
export interface RulesInput {
  /** Alternatives of the metric-name prefix the `keep` rule keeps, e.g. `http|go|process|node`. */
  families: string;
  /** The app label: `labelmap` copies it (regex and replacement), then `labeldrop` drops what matches `dropApp`. */
  labelmap: { regex: string; replacement?: string };
  dropApp: string;
  /** Suffix of the family name the `family` label is cut from (`(.*)_<suffix>`). */
  familySuffix: string;
  /** `<__name__>@<code>` of the series the last rule drops. */
  dropSeries: string;
}

export function twentyRules(input: RulesInput): RelabelConfigInput[] {
  return [
    { action: 'drop', source_labels: ['__name__'], regex: 'go_gc_.*' },
    { action: 'keep', source_labels: ['__name__'], regex: `(${input.families})_.*` },
    { action: 'labelmap', ...input.labelmap },
    { action: 'labeldrop', regex: input.dropApp },
    { source_labels: ['instance'], regex: '([^:]+):\\d+', target_label: 'host' },
    { source_labels: ['namespace', 'pod'], separator: '/', target_label: 'workload' },
    { action: 'hashmod', source_labels: ['instance'], modulus: 8, target_label: '__tmp_shard' },
    { action: 'drop', source_labels: ['__tmp_shard'], regex: '9' },
    { action: 'labeldrop', regex: '__tmp_.*' },
    { source_labels: ['code'], regex: '5..', target_label: 'error', replacement: 'true' },
    { action: 'drop', source_labels: ['handler'], regex: '/debug/.*|/metrics' },
    { action: 'lowercase', source_labels: ['method'], target_label: 'method' },
    { source_labels: ['env'], regex: 'prod', target_label: 'tier', replacement: 'gold' },
    { target_label: 'cluster', replacement: 'eu-west-1' },
    { source_labels: ['__name__'], regex: `(.*)_${input.familySuffix}`, target_label: 'family', replacement: '$1' },
    { action: 'keep', source_labels: ['job'], regex: 'service-.*' },
    { if: '{namespace="team-1"}', target_label: 'owner', replacement: 'payments' },
    { action: 'labeldrop', regex: 'pod' },
    { source_labels: ['job'], target_label: 'service' },
    { action: 'drop', source_labels: ['__name__', 'code'], separator: '@', regex: input.dropSeries },
  ];
}
