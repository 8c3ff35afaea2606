/**
 * Load -> validate -> compile, step two: checks the merged raw config against the Collector shape and every
 * component's own schema, and returns the typed GatewayConfig. Every problem is collected (not just the first),
 * each with its file, line, YAML path and a reason; unknown types and keys get a "did you mean".
 */
import { z } from 'zod';
import type { Kind } from '../component/component.ts';
import type { Registry } from '../component/registry.ts';
import { ConfigError, suggestion, type ConfigIssue } from './errors.ts';
import { loadConfigFiles, locate, type LoadedConfig } from './load.ts';
import { SECTION_KIND, type ComponentConfig, type GatewayConfig, type PipelineConfig } from './types.ts';
import { zodIssues, type PathIssue } from './zod-issues.ts';
import { telemetrySchema } from '../telemetry/config.ts';
import { parseDuration } from './duration.ts';

const ID_RE = /^([a-z][a-z0-9_]*)(?:\/([^/\s]+))?$/;
const TOP_KEYS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service'];
const SERVICE_KEYS = ['pipelines', 'extensions', 'telemetry', 'shutdown_timeout'];
const PIPELINE_KEYS = ['receivers', 'processors', 'exporters'];

export function loadAndValidate(files: readonly string[], registry: Registry, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return validateConfig(loadConfigFiles(files, env), registry, files);
}

export function validateConfig(loaded: LoadedConfig, registry: Registry, files: readonly string[] = []): GatewayConfig {
  const issues: PathIssue[] = [];
  const raw = loaded.raw;
  const fail = (path: string, message: string) => issues.push({ path, message });

  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.includes(key)) fail(key, `unknown top-level section "${key}"${suggestion(key, TOP_KEYS)}`);
  }
  if (raw['connectors'] !== undefined && raw['connectors'] !== null && Object.keys(asMap(raw['connectors'], 'connectors', fail)).length > 0) {
    fail('connectors', 'connectors are not supported by otel-bridge (metrics pipelines only)');
  }

  const sections = {} as Record<keyof typeof SECTION_KIND, Map<string, ComponentConfig>>;
  for (const section of Object.keys(SECTION_KIND) as (keyof typeof SECTION_KIND)[]) {
    sections[section] = new Map();
    const kind = SECTION_KIND[section];
    const entries = asMap(raw[section], section, fail);
    for (const [id, value] of Object.entries(entries)) {
      const cc = validateComponent(registry, kind, section, id, value, fail);
      if (cc) sections[section].set(id, cc);
    }
  }

  const service = asMap(raw['service'], 'service', fail);
  if (raw['service'] === undefined) fail('service', 'missing "service" section (service.pipelines defines what runs)');
  for (const key of Object.keys(service)) {
    if (!SERVICE_KEYS.includes(key)) fail(`service.${key}`, `unknown option "${key}"${suggestion(key, SERVICE_KEYS)}`);
  }

  const pipelines = new Map<string, PipelineConfig>();
  const rawPipelines = asMap(service['pipelines'], 'service.pipelines', fail);
  if (Object.keys(rawPipelines).length === 0) fail('service.pipelines', 'at least one metrics pipeline is required');
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [pid, pval] of Object.entries(rawPipelines)) {
    const path = `service.pipelines.${pid}`;
    const m = /^(metrics|traces|logs|profiles)(?:\/([^/\s]+))?$/.exec(pid);
    if (!m) {
      fail(path, `invalid pipeline id "${pid}": expected "metrics" or "metrics/<name>"`);
      continue;
    }
    if (m[1] !== 'metrics') {
      fail(path, `${m[1]} pipelines are not supported: otel-bridge is a metrics gateway (use "metrics" or "metrics/<name>")`);
      continue;
    }
    const p = asMap(pval, path, fail);
    for (const key of Object.keys(p)) {
      if (!PIPELINE_KEYS.includes(key)) fail(`${path}.${key}`, `unknown option "${key}"${suggestion(key, PIPELINE_KEYS)}`);
    }
    const pc: PipelineConfig = { id: pid, receivers: [], processors: [], exporters: [] };
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const list = asList(p[role], `${path}.${role}`, fail);
      if (role !== 'processors' && list.length === 0) fail(`${path}.${role}`, `a pipeline needs at least one ${role.slice(0, -1)}`);
      const seen = new Set<string>();
      list.forEach((ref, i) => {
        const rpath = `${path}.${role}[${i}]`;
        if (typeof ref !== 'string') return fail(rpath, `expected a component id, got ${JSON.stringify(ref)}`);
        if (seen.has(ref)) return fail(rpath, `"${ref}" is listed twice in this pipeline`);
        seen.add(ref);
        if (!sections[role].has(ref) && !Object.hasOwn(asMapQuiet(raw[role]), ref)) {
          return fail(rpath, `pipeline references ${role.slice(0, -1)} "${ref}" which is not defined in the "${role}" section${suggestion(ref, Object.keys(asMapQuiet(raw[role])))}`);
        }
        used[role].add(ref);
        pc[role].push(ref);
      });
    }
    pipelines.set(pid, pc);
  }

  const serviceExtensions: string[] = [];
  asList(service['extensions'], 'service.extensions', fail).forEach((ref, i) => {
    if (typeof ref !== 'string') return fail(`service.extensions[${i}]`, `expected an extension id, got ${JSON.stringify(ref)}`);
    if (!Object.hasOwn(asMapQuiet(raw['extensions']), ref)) {
      return fail(`service.extensions[${i}]`, `extension "${ref}" is not defined in the "extensions" section${suggestion(ref, Object.keys(asMapQuiet(raw['extensions'])))}`);
    }
    serviceExtensions.push(ref);
  });

  const telemetry = telemetrySchema.safeParse(service['telemetry'] ?? {});
  if (!telemetry.success) issues.push(...zodIssues(telemetrySchema, telemetry.error, 'service.telemetry', service['telemetry']));

  let shutdownTimeoutMs = 30_000;
  if (service['shutdown_timeout'] !== undefined) {
    const d = typeof service['shutdown_timeout'] === 'string' ? parseDuration(service['shutdown_timeout']) : undefined;
    if (d === undefined) fail('service.shutdown_timeout', `invalid duration ${JSON.stringify(service['shutdown_timeout'])} (expected e.g. "30s")`);
    else shutdownTimeoutMs = d;
  }

  checkListenConflicts(sections, used, serviceExtensions, fail);

  if (issues.length > 0) throw new ConfigError(issues.map((i) => locate(loaded.sources, i.path, i.message)));
  return {
    receivers: onlyUsed(sections.receivers, used.receivers),
    processors: sections.processors,
    exporters: onlyUsed(sections.exporters, used.exporters),
    extensions: new Map([...sections.extensions].filter(([id]) => serviceExtensions.includes(id))),
    service: { pipelines, extensions: serviceExtensions, telemetry: telemetry.data!, shutdownTimeoutMs },
    raw,
    files: [...files],
  };
}

function validateComponent(
  registry: Registry,
  kind: Kind,
  section: string,
  id: string,
  value: unknown,
  fail: (path: string, message: string) => void,
): ComponentConfig | undefined {
  const path = `${section}.${id}`;
  const m = ID_RE.exec(id);
  if (!m) {
    fail(path, `invalid component id "${id}": expected "type" or "type/name" (type in lower case)`);
    return undefined;
  }
  const type = m[1]!;
  const factory = registry.get(kind, type);
  if (!factory) {
    fail(path, `unknown ${kind} type "${type}"${suggestion(type, registry.types(kind))}; available: ${registry.types(kind).join(', ') || '(none)'}`);
    return undefined;
  }
  const input = value ?? {};
  const parsed = (factory.configSchema as z.ZodType).safeParse(input);
  if (!parsed.success) {
    for (const i of zodIssues(factory.configSchema as z.ZodType, parsed.error, path, input)) fail(i.path, i.message);
    return undefined;
  }
  return { id, type, kind, factory, config: parsed.data };
}

function checkListenConflicts(
  sections: Record<keyof typeof SECTION_KIND, Map<string, ComponentConfig>>,
  used: { receivers: Set<string>; exporters: Set<string> },
  serviceExtensions: string[],
  fail: (path: string, message: string) => void,
): void {
  const byPort = new Map<number, { path: string; host: string }>();
  const check = (section: string, cc: ComponentConfig) => {
    for (const addr of cc.factory.listenAddresses?.(cc.config as never) ?? []) {
      const mm = /^(.*):(\d+)$/.exec(addr);
      if (!mm) continue;
      const port = Number(mm[2]);
      if (port === 0) continue;
      const host = mm[1] === '' || mm[1] === '0.0.0.0' || mm[1] === '::' || mm[1] === '[::]' ? '*' : mm[1]!;
      const prev = byPort.get(port);
      if (prev && (prev.host === '*' || host === '*' || prev.host === host)) {
        fail(`${section}.${cc.id}`, `port ${port} (${addr}) is already used by ${prev.path}`);
      } else byPort.set(port, { path: `${section}.${cc.id}`, host });
    }
  };
  for (const id of serviceExtensions) {
    const cc = sections.extensions.get(id);
    if (cc) check('extensions', cc);
  }
  for (const [id, cc] of sections.receivers) if (used.receivers.has(id)) check('receivers', cc);
  for (const [id, cc] of sections.exporters) if (used.exporters.has(id)) check('exporters', cc);
}

function onlyUsed(m: Map<string, ComponentConfig>, used: Set<string>): Map<string, ComponentConfig> {
  return new Map([...m].filter(([id]) => used.has(id)));
}

function asMap(v: unknown, path: string, fail: (path: string, message: string) => void): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    fail(path, `expected a mapping, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`);
    return {};
  }
  return v as Record<string, unknown>;
}

function asMapQuiet(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asList(v: unknown, path: string, fail: (path: string, message: string) => void): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    fail(path, `expected a list, got ${JSON.stringify(v)}`);
    return [];
  }
  return v;
}

export type { ConfigIssue };
export { ConfigError };
