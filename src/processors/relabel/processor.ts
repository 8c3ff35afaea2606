/**
 * `relabel` processor: Prometheus `relabel_configs` (all eleven actions, the shared engine in src/relabel/, with
 * vmagent-style `if:` selectors) applied to the Prometheus view of every data point (promview.ts), the result
 * written back into the model (core.ts). Works on any input, scraped or OTLP.
 *
 *   processors:
 *     relabel/drop_debug:
 *       name_validation: legacy        # legacy (default, Prometheus 2.x names) | utf8 (raw OTLP keys such as http.method)
 *       series_cache_size: 100000      # distinct series whose outcome is remembered (x2, see core.ts); 0 = off
 *       relabel_configs:
 *         - {source_labels: [__name__], regex: "debug_.*", action: drop}
 *         - {if: '{__name__=~"http_.*", code="500"}', target_label: severity, replacement: page}
 *
 * Contract
 * - Semantics are Prometheus v2.42's (the reference version). `name_validation` is the label-name check applied
 *   to `source_labels`/`target_label` at config time and to expanded targets at run time: `legacy` accepts
 *   [a-zA-Z_][a-zA-Z0-9_]* only, `utf8` any non-empty name, so dotted attribute keys can be named directly.
 * - Dropped series: their points are dropped and counted in `otelbridge_processor_dropped_items{reason="relabel_drop"}`;
 *   series whose `__name__` was removed are dropped with reason `relabel_no_name`.
 * - The rules are compiled once at creation; `POST /api/v1/relabel/explain` (explain.ts) shows rule by rule what
 *   the rules do to a label set.
 */
import { z } from 'zod';
import type { CreateSettings, ProcessorFactory } from '../../component/component.ts';
import { mutatesAttributes, type Consumer } from '../../consumer/consumer.ts';
import type { MetricsData } from '../../model/types.ts';
import { compileRelabel, relabelConfigSchemaFor, type CompiledRelabel, type RelabelConfig } from '../../relabel/index.ts';
import { createProcessor, processorCounters } from '../helper.ts';
import { RelabelCore } from './core.ts';
import { registerExplain } from './explain.ts';

const ruleSchemas = {
  legacy: relabelConfigSchemaFor({ nameValidation: 'legacy' }),
  utf8: relabelConfigSchemaFor({ nameValidation: 'utf8' }),
};

export const relabelSchema = z
  .strictObject({
    name_validation: z.enum(['legacy', 'utf8']).default('legacy'),
    series_cache_size: z.number().int().min(0).default(100_000),
    relabel_configs: z.array(z.unknown()).default([]),
  })
  .transform((raw, ctx) => {
    const schema = ruleSchemas[raw.name_validation];
    const rules: RelabelConfig[] = [];
    raw.relabel_configs.forEach((r, i) => {
      const parsed = schema.safeParse(r);
      if (parsed.success) rules.push(parsed.data);
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['relabel_configs', i, ...issue.path] });
    });
    return { name_validation: raw.name_validation, series_cache_size: raw.series_cache_size, relabel_configs: rules };
  });
export type RelabelProcessorConfig = z.output<typeof relabelSchema>;

export function compileProcessorRules(cfg: RelabelProcessorConfig): CompiledRelabel {
  return compileRelabel(cfg.relabel_configs, { semantics: 'v2.42', nameValidation: cfg.name_validation });
}

function createRelabel(settings: CreateSettings, cfg: RelabelProcessorConfig, next: Consumer) {
  const compiled = compileProcessorRules(cfg);
  const core = new RelabelCore(compiled, cfg.series_cache_size);
  core.shareOutput = !next.mutatesData;
  core.shareKeyValues = !mutatesAttributes(next);
  const counters = processorCounters(settings);
  let unregister: (() => void) | undefined;
  let dropped = 0;
  return createProcessor(settings, next, {
    mutatesData: true,
    // Attribute lists are replaced, never changed in place (promview.ts): the receiver may share its lists with us
    // as long as nothing after us changes them.
    mutatesAttributes: mutatesAttributes(next),
    async start(host) {
      unregister = registerExplain(host.ops, settings.id, compiled);
    },
    async shutdown() {
      unregister?.();
      unregister = undefined;
    },
    status: () => ({ rules: compiled.rules.length, nameValidation: cfg.name_validation, droppedPoints: dropped, cachedSeries: core.cachedSeries, cacheHits: core.hits, cacheMisses: core.misses }),
    process(md: MetricsData) {
      if (compiled.rules.length === 0) return md;
      const r = core.apply(md);
      if (r.dropped > 0) counters.dropped.add(r.dropped, { reason: 'relabel_drop' });
      if (r.noName > 0) counters.dropped.add(r.noName, { reason: 'relabel_no_name' });
      dropped += r.dropped + r.noName;
      // A new wrapper when points were dropped: the helper only recounts outgoing points for a different object.
      return r.dropped + r.noName > 0 ? { resourceMetrics: md.resourceMetrics } : md;
    },
  });
}

export const relabelFactory: ProcessorFactory<RelabelProcessorConfig> = {
  kind: 'processor',
  type: 'relabel',
  configSchema: relabelSchema as unknown as z.ZodType<RelabelProcessorConfig>,
  create: createRelabel,
};
