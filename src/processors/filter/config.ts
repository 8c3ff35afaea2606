/**
 * `filter` processor configuration, as the Collector's filterprocessor (metrics only):
 *
 *   filter/legacy:
 *     metrics:
 *       include: {match_type: regexp, metric_names: ["^http_"], resource_attributes: [{key: env, value: prod}]}
 *       exclude: {match_type: strict, metric_names: [http_debug_total]}
 *   filter/ottl:
 *     error_mode: ignore            # propagate (default) | ignore (log, treat as false) | silent
 *     metrics:
 *       metric:    ['name == "debug_info"', 'type == METRIC_DATA_TYPE_SUMMARY']   # drop the metric if any is true
 *       datapoint: ['value_double < 0', 'attributes["env"] == "dev"']             # drop the point if any is true
 *
 * Contract
 * - Legacy and OTTL forms cannot be combined (as the Collector). `match_type` is required in include/exclude
 *   (`strict` = exact, `regexp` = Go RE2, UNANCHORED as the Collector's filterset: use ^...$ to anchor); `expr` is
 *   not supported. A metric matches include/exclude when one of `metric_names` matches (if any are given) AND every
 *   `resource_attributes` entry matches (strict: the attribute's string form equals the value; regexp: a string
 *   attribute matches the pattern). At least one of the two lists is required.
 * - OTTL conditions are compiled at validation time (src/ottl/); unsupported OTTL is a config error naming the part
 *   and its character position, at the YAML path of the condition.
 */
import { z } from 'zod';
import { anyValueToString, getAttribute } from '../../model/attributes.ts';
import type { Metric, Resource } from '../../model/types.ts';
import { compileCondition, OttlError, type CompiledCondition } from '../../ottl/index.ts';
import { translateRe2 } from '../../relabel/re2.ts';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const matchSchema = z.strictObject({
  match_type: z.enum(['strict', 'regexp', 'expr']).optional(),
  metric_names: z.array(z.string()).default([]),
  resource_attributes: z.array(z.strictObject({ key: z.string(), value: scalar })).default([]),
  /** Accepted for Collector compatibility (cache settings of the regexp filterset); ignored. */
  regexp: z.strictObject({ cacheenabled: z.boolean().optional(), cachemaxnumentries: z.number().optional() }).optional(),
});
export type MatchConfig = z.output<typeof matchSchema>;

export const filterSchema = z
  .strictObject({
    error_mode: z.enum(['propagate', 'ignore', 'silent']).default('propagate'),
    metrics: z
      .strictObject({
        include: matchSchema.optional(),
        exclude: matchSchema.optional(),
        metric: z.array(z.string()).default([]),
        datapoint: z.array(z.string()).default([]),
      })
      .default({ metric: [], datapoint: [] }),
  })
  .superRefine((c, ctx) => {
    const m = c.metrics;
    const legacy = m.include !== undefined || m.exclude !== undefined;
    if (legacy && (m.metric.length > 0 || m.datapoint.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'cannot use OTTL conditions (metric, datapoint) and include/exclude at the same time' });
    }
    for (const which of ['include', 'exclude'] as const) {
      const mp = m[which];
      if (mp === undefined) continue;
      try {
        compileMatch(mp);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['metrics', which, ...((err as MatchError).path ?? [])], message: (err as Error).message });
      }
    }
    for (const which of ['metric', 'datapoint'] as const) {
      m[which].forEach((text, i) => {
        try {
          compileCondition(text, which);
        } catch (err) {
          if (!(err instanceof OttlError)) throw err;
          ctx.addIssue({ code: 'custom', path: ['metrics', which, i], message: err.message });
        }
      });
    }
  });
export type FilterConfig = z.output<typeof filterSchema>;

class MatchError extends Error {
  readonly path: (string | number)[];
  constructor(path: (string | number)[], message: string) {
    super(message);
    this.path = path;
  }
}

/** A compiled include/exclude block: `matches(metric, resource)`. */
export interface CompiledMatch {
  matches(m: Metric, resource: Resource): boolean;
}

function goRegex(pattern: string, path: (string | number)[]): RegExp {
  try {
    return new RegExp(translateRe2(pattern, { dotAll: false }).source, 'u');
  } catch (err) {
    throw new MatchError(path, `invalid regexp ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

export function compileMatch(mp: MatchConfig): CompiledMatch {
  if (mp.match_type === undefined) throw new MatchError(['match_type'], 'match_type must be set: "strict" or "regexp"');
  if (mp.match_type === 'expr') throw new MatchError(['match_type'], 'match_type "expr" is not supported; use OTTL conditions (metrics.metric / metrics.datapoint)');
  if (mp.metric_names.length === 0 && mp.resource_attributes.length === 0) {
    throw new MatchError([], 'needs metric_names or resource_attributes (an empty match would match every metric)');
  }
  const strict = mp.match_type === 'strict';
  const names = new Set(mp.metric_names);
  const res = mp.metric_names.map((n, i) => (strict ? null : goRegex(n, ['metric_names', i])));
  const attrs = mp.resource_attributes.map((a, i) => ({ key: a.key, value: String(a.value), re: strict ? null : goRegex(String(a.value), ['resource_attributes', i, 'value']) }));
  const nameMatch = (name: string): boolean => {
    if (names.size === 0) return true;
    if (strict) return names.has(name);
    for (const re of res) if (re!.test(name)) return true;
    return false;
  };
  return {
    matches(m, resource) {
      if (!nameMatch(m.name)) return false;
      for (const a of attrs) {
        const v = getAttribute(resource.attributes, a.key);
        if (v === undefined) return false;
        if (a.re === null ? anyValueToString(v) !== a.value : typeof v !== 'string' || !a.re.test(v)) return false;
      }
      return true;
    },
  };
}

export interface CompiledFilter {
  include: CompiledMatch | undefined;
  exclude: CompiledMatch | undefined;
  metric: CompiledCondition[];
  datapoint: CompiledCondition[];
}

export function compileFilter(c: FilterConfig): CompiledFilter {
  const m = c.metrics;
  return {
    include: m.include && compileMatch(m.include),
    exclude: m.exclude && compileMatch(m.exclude),
    metric: m.metric.map((t) => compileCondition(t, 'metric')),
    datapoint: m.datapoint.map((t) => compileCondition(t, 'datapoint')),
  };
}
