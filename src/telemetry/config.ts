/**
 * The gateway's own telemetry settings, in the Collector's `service.telemetry` shape. Metric readers use the
 * OpenTelemetry declarative-configuration shape (`readers: [{pull: {exporter: {prometheus: ...}}}, {periodic: ...}]`),
 * which is also what a file in otel-config/ holds under `meter_provider.readers` (see otel-config/README.md).
 * Precedence: `service.telemetry.metrics.readers` (or legacy `address`) > `service.telemetry.config_file` >
 * the built-in default (Prometheus pull on 0.0.0.0:8888, as the Collector).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const prometheusPull = z.strictObject({
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8888),
  without_units: z.boolean().optional(),
  without_scope_info: z.boolean().default(true),
  without_type_suffix: z.boolean().optional(),
  with_resource_constant_labels: z.unknown().optional(),
});

const otlpPush = z.strictObject({
  protocol: z.enum(['grpc']).default('grpc'),
  endpoint: z.string(),
  headers: z.union([z.record(z.string(), z.string()), z.array(z.strictObject({ name: z.string(), value: z.string() }))]).optional(),
  insecure: z.boolean().default(true),
  timeout: z.number().int().positive().default(10_000),
  temporality_preference: z.enum(['cumulative', 'delta', 'lowmemory']).default('cumulative'),
});

export const readerSchema = z.union([
  z.strictObject({ pull: z.strictObject({ exporter: z.strictObject({ prometheus: prometheusPull }) }) }),
  z.strictObject({
    periodic: z.strictObject({
      interval: z.number().int().positive().default(60_000),
      timeout: z.number().int().positive().default(30_000),
      exporter: z.strictObject({ otlp: otlpPush }),
    }),
  }),
]);
export type ReaderConfig = z.output<typeof readerSchema>;

export const telemetrySchema = z.strictObject({
  logs: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      encoding: z.enum(['json']).default('json'),
    })
    .default({ level: 'info', encoding: 'json' }),
  metrics: z
    .strictObject({
      level: z.enum(['none', 'basic', 'normal', 'detailed']).default('normal'),
      /** Legacy Collector form: host:port of the Prometheus pull endpoint. */
      address: z.string().optional(),
      readers: z.array(readerSchema).optional(),
    })
    .default({ level: 'normal' }),
  resource: z.record(z.string(), z.string()).default({}),
  /** An OpenTelemetry declarative configuration file (otel-config/telemetry.yaml) for the meter provider. */
  config_file: z.string().optional(),
});
export type TelemetryConfig = z.output<typeof telemetrySchema>;

const declarativeFileSchema = z.looseObject({
  file_format: z.union([z.string(), z.number()]).optional(),
  disabled: z.boolean().optional(),
  resource: z.looseObject({ attributes: z.array(z.strictObject({ name: z.string(), value: z.unknown(), type: z.string().optional() })).optional() }).optional(),
  meter_provider: z.looseObject({ readers: z.array(readerSchema).default([]) }).optional(),
});

export interface EffectiveTelemetry {
  level: TelemetryConfig['metrics']['level'];
  readers: ReaderConfig[];
  resource: Record<string, string>;
  logLevel: TelemetryConfig['logs']['level'];
}

export const DEFAULT_READER: ReaderConfig = { pull: { exporter: { prometheus: prometheusPull.parse({}) } } };

/** Resolves the effective readers. Throws an Error naming the file and path on a bad config_file. */
export function effectiveTelemetry(t: TelemetryConfig): EffectiveTelemetry {
  const resource: Record<string, string> = {};
  let readers: ReaderConfig[] | undefined;
  if (t.config_file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(t.config_file, 'utf8'));
    } catch (err) {
      throw new Error(`${t.config_file}: cannot read telemetry config: ${(err as Error).message}`);
    }
    const r = declarativeFileSchema.safeParse(parsed);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new Error(`${t.config_file}: ${i.path.join('.')}: ${i.message}`);
    }
    if (r.data.disabled !== true) readers = r.data.meter_provider?.readers ?? [];
    else readers = [];
    for (const a of r.data.resource?.attributes ?? []) resource[a.name] = String(a.value);
  }
  if (t.metrics.address !== undefined) {
    const m = /^(.*):(\d+)$/.exec(t.metrics.address);
    if (!m) throw new Error(`service.telemetry.metrics.address: expected host:port, got "${t.metrics.address}"`);
    readers = [{ pull: { exporter: { prometheus: prometheusPull.parse({ host: m[1] || '0.0.0.0', port: Number(m[2]) }) } } }];
  }
  if (t.metrics.readers !== undefined) readers = t.metrics.readers;
  Object.assign(resource, t.resource);
  return {
    level: t.metrics.level,
    readers: t.metrics.level === 'none' ? [] : (readers ?? [DEFAULT_READER]),
    resource,
    logLevel: t.logs.level,
  };
}
