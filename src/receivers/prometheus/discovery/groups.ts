/**
 * Decoding of target-group lists as file_sd and http_sd deliver them: `[{targets: [..], labels: {..}}]`, with
 * Prometheus's checks (unknown fields rejected, label names valid, values strings; YAML scalars coerced as Go's YAML
 * decoder does). Throws Error with a message naming the group index.
 */
import { isValidLabelName } from '../../../relabel/index.ts';
import type { TargetGroup } from './types.ts';

export function decodeGroups(data: unknown, sourcePrefix: string, metaLabels: Record<string, string>, yamlScalars: boolean): TargetGroup[] {
  if (data === null || data === undefined) return [];
  if (!Array.isArray(data)) throw new Error('expected a list of target groups');
  return data.map((g, i): TargetGroup => {
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new Error(`group ${i}: expected an object with "targets" and "labels"`);
    for (const k of Object.keys(g)) {
      if (k !== 'targets' && k !== 'labels') throw new Error(`group ${i}: unknown field ${JSON.stringify(k)}`);
    }
    const rawTargets = (g as { targets?: unknown }).targets ?? [];
    if (!Array.isArray(rawTargets)) throw new Error(`group ${i}: "targets" must be a list of strings`);
    const targets = rawTargets.map((t, j) => {
      const s = scalar(t, yamlScalars);
      if (s === undefined) throw new Error(`group ${i}: target ${j} must be a string`);
      return { __address__: s };
    });
    const labels: Record<string, string> = {};
    const rawLabels = (g as { labels?: unknown }).labels ?? {};
    if (rawLabels === null || typeof rawLabels !== 'object' || Array.isArray(rawLabels)) throw new Error(`group ${i}: "labels" must be a mapping`);
    for (const [k, v] of Object.entries(rawLabels)) {
      if (!isValidLabelName(k, 'legacy')) throw new Error(`group ${i}: ${JSON.stringify(k)} is not a valid label name`);
      const s = scalar(v, yamlScalars);
      if (s === undefined) throw new Error(`group ${i}: label ${JSON.stringify(k)} must be a string`);
      labels[k] = s;
    }
    Object.assign(labels, metaLabels);
    return { source: `${sourcePrefix}${i}`, targets, labels };
  });
}

function scalar(v: unknown, yamlScalars: boolean): string | undefined {
  if (typeof v === 'string') return v;
  if (yamlScalars && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  return undefined;
}
