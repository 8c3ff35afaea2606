/**
 * The process-level runtime: loads config, configures self-telemetry, runs one Service generation at a time,
 * reloads on demand (SIGHUP or a changed config file) and drains on stop.
 * Reload: the new config is validated first; if invalid, it is logged and the running generation keeps serving.
 * If valid, the old generation is shut down (ports are released) and the new one started; if the new one fails to
 * start, the old config is started again.
 * State across reload: before the old generation shuts down, its components hand over state (Component.handOver)
 * to the components of the new one (CreateSettings.previous). If the new generation fails to start, it hands over in
 * turn (components that never started give back what they got), so the restored old config gets the state.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { Registry } from '../component/registry.ts';
import { loadAndValidate } from '../config/validate.ts';
import { ConfigError } from '../config/errors.ts';
import type { GatewayConfig } from '../config/types.ts';
import { effectiveTelemetry } from '../telemetry/config.ts';
import { SelfTelemetry } from '../telemetry/self-telemetry.ts';
import { redactConfig } from './redact.ts';
import { Service, type Handover } from './service.ts';
import type { StatusSource } from './host.ts';
import { VERSION } from '../version.ts';

export type GatewayState = 'idle' | 'starting' | 'running' | 'reloading' | 'draining' | 'stopped';

export interface GatewayOptions {
  configFiles: string[];
  registry: Registry;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Reload when a config file changes on disk (default true). */
  watchFiles?: boolean;
  /** Overrides service.shutdown_timeout. */
  shutdownTimeoutMs?: number;
}

export class Gateway implements StatusSource {
  state: GatewayState = 'idle';
  private service: Service | undefined;
  private readonly opts: GatewayOptions;
  private readonly logger: Logger;
  readonly telemetry = new SelfTelemetry();
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private lifecycle: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  reloads = { ok: 0, failed: 0, lastError: undefined as string | undefined, lastAt: undefined as string | undefined };

  constructor(opts: GatewayOptions) {
    this.opts = opts;
    this.logger = opts.logger;
  }

  get config(): GatewayConfig | undefined {
    return this.service?.config;
  }

  /** Throws ConfigError for an invalid config, or an Error when a component fails to start. */
  async start(): Promise<void> {
    this.state = 'starting';
    const config = loadAndValidate(this.opts.configFiles, this.opts.registry, this.opts.env);
    this.logger.level = config.service.telemetry.logs.level;
    await this.telemetry.configure(effectiveTelemetry(config.service.telemetry));
    await this.run(config);
    this.state = 'running';
    this.logger.info({ version: VERSION, files: this.opts.configFiles, pipelines: [...config.service.pipelines.keys()] }, 'otel-bridge started');
    if (this.opts.watchFiles !== false) this.watchConfigFiles();
  }

  /** Reload state a failed `run` left over (what its components handed back), for the restored config. */
  private leftover: Handover = new Map();

  private async run(config: GatewayConfig, previous: Handover = new Map()): Promise<void> {
    let svc: Service;
    try {
      svc = new Service(config, this.logger, this.telemetry, previous);
    } catch (err) {
      this.leftover = previous;
      throw err;
    }
    this.service = svc;
    try {
      await svc.start(this);
      this.leftover = new Map();
    } catch (err) {
      this.leftover = previous.size > 0 ? svc.handOver() : new Map();
      await svc.shutdown(this.timeout(config));
      throw err;
    }
  }

  private timeout(config: GatewayConfig): number {
    return this.opts.shutdownTimeoutMs ?? config.service.shutdownTimeoutMs;
  }

  /** Serialised with start/stop. Resolves true when the new config runs. */
  reload(reason = 'requested'): Promise<boolean> {
    const p = this.lifecycle.then(() => this.doReload(reason));
    this.lifecycle = p.catch(() => undefined);
    return p;
  }

  private async doReload(reason: string): Promise<boolean> {
    if (this.state !== 'running') return false;
    const old = this.service!;
    let next: GatewayConfig;
    try {
      next = loadAndValidate(this.opts.configFiles, this.opts.registry, this.opts.env);
      effectiveTelemetry(next.service.telemetry);
    } catch (err) {
      this.reloads.failed++;
      this.reloads.lastError = err instanceof ConfigError ? err.issues.map((i) => `${i.file}:${i.line ?? ''} ${i.path}: ${i.message}`).join('; ') : (err as Error).message;
      this.logger.error({ reason, err: this.reloads.lastError }, 'config reload rejected: invalid config, keeping the running one');
      return false;
    }
    this.state = 'reloading';
    this.logger.info({ reason }, 'reloading config');
    const handover = old.handOver();
    await old.shutdown(this.timeout(old.config));
    try {
      this.logger.level = next.service.telemetry.logs.level;
      await this.telemetry.configure(effectiveTelemetry(next.service.telemetry));
      this.leftover = handover;
      await this.run(next, handover);
      this.reloads.ok++;
      this.reloads.lastAt = new Date().toISOString();
      this.state = 'running';
      this.logger.info({ pipelines: [...next.service.pipelines.keys()] }, 'config reloaded');
      return true;
    } catch (err) {
      this.reloads.failed++;
      this.reloads.lastError = (err as Error).message;
      this.logger.error({ err: (err as Error).message }, 'new config failed to start; restoring the previous config');
      await this.telemetry.configure(effectiveTelemetry(old.config.service.telemetry));
      const back = this.leftover;
      this.leftover = new Map();
      await this.run(old.config, back);
      this.state = 'running';
      return false;
    }
  }

  /** Drains and stops. Safe to call twice. */
  stop(): Promise<void> {
    const p = this.lifecycle.then(async () => {
      if (this.state === 'stopped') return;
      this.state = 'draining';
      this.unwatch();
      const svc = this.service;
      if (svc) await svc.shutdown(this.timeout(svc.config));
      await this.telemetry.shutdown();
      this.state = 'stopped';
      this.logger.info('otel-bridge stopped');
    });
    this.lifecycle = p.catch(() => undefined);
    return p;
  }

  private watchConfigFiles(): void {
    for (const f of this.opts.configFiles) {
      try {
        const w = watch(f, { persistent: false }, () => {
          clearTimeout(this.reloadTimer);
          this.reloadTimer = setTimeout(() => void this.reload(`file changed: ${f}`), 300);
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (err) {
        this.logger.warn({ file: f, err: (err as Error).message }, 'cannot watch config file; reload with SIGHUP');
      }
    }
  }

  private unwatch(): void {
    clearTimeout(this.reloadTimer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  // StatusSource
  live(): boolean {
    return this.state !== 'stopped';
  }
  ready(): boolean {
    return this.state === 'running' && this.service !== undefined && this.service.allRunning();
  }
  status(): Record<string, unknown> {
    return {
      version: VERSION,
      state: this.state,
      ready: this.ready(),
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      configFiles: this.opts.configFiles,
      reloads: this.reloads,
      selfMetrics: this.telemetry.pullAddresses.map((a) => `http://${a}/metrics`),
      opsRoutes: this.service?.ops.mounted ?? [],
      ...(this.service?.status() ?? {}),
    };
  }
  effectiveConfig(): unknown {
    return redactConfig(this.service?.config.raw ?? {});
  }
}
