/**
 * Runs a Gateway in-process on a YAML config string, with logs captured as parsed JSON lines.
 * Every test gets its own temp dir; `stop()` drains and removes nothing the test wants to inspect.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { builtinRegistry } from '../../src/components.ts';
import type { Registry } from '../../src/component/registry.ts';
import { Gateway } from '../../src/service/gateway.ts';
import { createRootLogger } from '../../src/telemetry/logger.ts';

export interface TestGateway {
  gw: Gateway;
  dir: string;
  configFile: string;
  logs: Record<string, unknown>[];
  /** Rewrites the config file (for reload tests). */
  writeConfig(yaml: string): void;
  stop(): Promise<void>;
}

export function memoryLogger() {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logs, logger: createRootLogger('debug', stream) };
}

export async function startGateway(yaml: string, opts: { registry?: Registry; watchFiles?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-test-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, yaml);
  const { logs, logger } = memoryLogger();
  const gw = new Gateway({
    configFiles: [configFile],
    registry: opts.registry ?? builtinRegistry(),
    logger,
    watchFiles: opts.watchFiles ?? false,
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  await gw.start();
  return {
    gw,
    dir,
    configFile,
    logs,
    writeConfig: (y: string) => writeFileSync(configFile, y),
    stop: () => gw.stop(),
  };
}

/** Minimal telemetry block so tests never bind :8888. */
export function telemetryYaml(metricsPort: number | 'none' = 'none'): string {
  if (metricsPort === 'none') return `  telemetry:\n    metrics:\n      level: none\n`;
  return `  telemetry:\n    metrics:\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n                host: 127.0.0.1\n                port: ${metricsPort}\n`;
}
