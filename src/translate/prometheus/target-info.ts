/**
 * `target_info`: one series per job/instance carrying the resource attributes (the spec's "resource attributes to
 * target_info", as Prometheus' translator builds it).
 *
 * Contract: labels = the resource attributes as point labels (minus service.name/namespace/instance.id unless
 * `keepIdentifying`), plus job/instance and external labels; no scope or promoted labels. Not emitted when pointless
 * (only identifying attributes) or impossible (neither job nor instance), as upstream. The series is a gauge = 1 at
 * the given time; `family()` is called first when `emitFamily`. A resource attribute key that cannot become a label
 * skips target_info with a warning. The caller de-duplicates per job/instance.
 */
import type { Label, Resource } from '../../model/types.ts';
import type { CollisionSink, LabelSettings, ResourceLabels } from './labels.ts';
import { IDENTIFYING_ATTRIBUTES, labelContext, pointLabels } from './labels.ts';
import { newSeriesRef } from './series.ts';
import type { PromSink, TranslateStats } from './types.ts';
import { SeriesKind } from './types.ts';

/** target_info labels for a resource, undefined when not applicable, or an error message. */
export function targetInfoLabels(
  resource: Resource,
  r: ResourceLabels,
  keepIdentifying: boolean,
  s: LabelSettings,
  stats: CollisionSink,
): Label[] | string | undefined {
  const attrs = resource.attributes;
  let nonIdentifying = 0;
  for (const kv of attrs) if (!IDENTIFYING_ATTRIBUTES.includes(kv.key)) nonIdentifying++;
  if (nonIdentifying === 0) return undefined;
  if (r.job === undefined && r.instance === undefined) return undefined;
  const ctx = labelContext({ job: r.job, instance: r.instance, promoted: [] }, [], s);
  return pointLabels(attrs, ctx, s, stats, keepIdentifying ? undefined : IDENTIFYING_ATTRIBUTES);
}

export interface TargetInfoContext {
  readonly settings: LabelSettings;
  readonly namespace: string;
  readonly keepIdentifying: boolean;
  readonly sink: PromSink;
  readonly stats: TranslateStats;
}

/** Emits the target_info series of `resource` at `ts`; returns whether it did. */
export function emitTargetInfo(
  resource: Resource,
  rl: ResourceLabels,
  ts: number,
  emitFamily: boolean,
  c: TargetInfoContext,
): boolean {
  const labels = targetInfoLabels(resource, rl, c.keepIdentifying, c.settings, c.stats);
  if (labels === undefined) return false;
  if (typeof labels === 'string') {
    c.settings.warn?.(`target_info not emitted: ${labels}`);
    return false;
  }
  const name = c.namespace !== '' ? c.namespace + '_target_info' : 'target_info';
  if (emitFamily) c.sink.family(name, 'gauge', 'Target metadata', '');
  c.sink.series(newSeriesRef(name, labels, false), 1, ts, SeriesKind.TARGET_INFO, 0, undefined);
  c.stats.samples++;
  c.stats.targetInfo++;
  return true;
}
