/**
 * One generation of the running pipelines, built from a validated GatewayConfig.
 *
 * Graph: each receiver id is one instance feeding a fan-out of every pipeline that lists it; each pipeline has its
 * own processor instances chained in order, ending in a fan-out to the pipeline's exporters; each exporter id is one
 * instance shared by the pipelines that list it.
 * Order: start extensions, exporters, processors (last to first in each pipeline), receivers; shutdown reverses
 * it, so receivers stop taking data first and exporters flush last. Shutdown is bounded by `shutdownTimeoutMs`.
 * Reload state: `handOver()` (before `shutdown()`) collects each component's `handOver?.()` keyed by `handoverKey`;
 * the next generation is constructed with that map and gives each component its entry as `settings.previous`.
 */
import type { Logger } from 'pino';
import type { Component, CreateSettings, EncodingAware, ExporterFactory, ExtensionFactory, Kind, ProcessorFactory, ReceiverFactory } from '../component/component.ts';
import { mutatesAttributes, type Consumer } from '../consumer/consumer.ts';
import { fanOut } from '../consumer/fanout.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { SelfTelemetry } from '../telemetry/self-telemetry.ts';
import type { ComponentTelemetry } from '../telemetry/component-telemetry.ts';
import { componentLogger } from '../telemetry/logger.ts';
import { OpsRoutes, ServiceHost, type StatusSource } from './host.ts';

export type ComponentState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ComponentNode {
  readonly id: string;
  readonly kind: Kind;
  readonly type: string;
  readonly pipeline: string | undefined;
  readonly component: Component;
  readonly telemetry: ComponentTelemetry;
  state: ComponentState;
  error: string | undefined;
}

/** Identity of a component across generations: kind, type, id and (processors) pipeline. */
export function handoverKey(kind: Kind, type: string, id: string, pipeline: string | undefined): string {
  return `${kind}\u0000${type}\u0000${id}\u0000${pipeline ?? ''}`;
}

export type Handover = ReadonlyMap<string, unknown>;

export class Service {
  readonly config: GatewayConfig;
  readonly nodes: ComponentNode[] = [];
  readonly ops = new OpsRoutes();
  private readonly logger: Logger;
  private readonly telemetry: SelfTelemetry;
  private started = false;
  private stopped = false;
  private handedOver = false;
  private readonly previous: Handover;

  /** `previous`: what the last generation handed over (reload only). */
  constructor(config: GatewayConfig, logger: Logger, telemetry: SelfTelemetry, previous: Handover = new Map()) {
    this.config = config;
    this.logger = logger;
    this.telemetry = telemetry;
    this.previous = previous;
    this.build();
  }

  private settings(kind: Kind, type: string, id: string, pipeline?: string): CreateSettings {
    const extra: Record<string, string> = pipeline === undefined ? {} : { pipeline };
    const s: CreateSettings = {
      id,
      kind,
      pipeline,
      logger: componentLogger(this.logger, kind, id, pipeline),
      telemetry: this.telemetry.forComponent(kind, id, extra),
    };
    const prev = this.previous.get(handoverKey(kind, type, id, pipeline));
    return prev === undefined ? s : { ...s, previous: prev };
  }

  /**
   * Reload: collects every component's `handOver()` before `shutdown()`; once per generation (later calls give an
   * empty map). A component that throws hands over nothing.
   */
  handOver(): Handover {
    const out = new Map<string, unknown>();
    if (this.handedOver || this.stopped) return out;
    this.handedOver = true;
    for (const n of this.nodes) {
      if (n.component.handOver === undefined) continue;
      try {
        const st = n.component.handOver();
        if (st !== undefined) out.set(handoverKey(n.kind, n.type, n.id, n.pipeline), st);
      } catch (err) {
        this.logger.warn({ id: n.id, err: (err as Error).message }, 'handOver failed; the component starts fresh');
      }
    }
    return out;
  }

  private add(kind: Kind, id: string, type: string, pipeline: string | undefined, s: CreateSettings, component: Component): void {
    this.nodes.push({ id, kind, type, pipeline, component, telemetry: s.telemetry, state: 'created', error: undefined });
  }

  private build(): void {
    const cfg = this.config;
    for (const [id, cc] of cfg.extensions) {
      const s = this.settings('extension', cc.type, id);
      this.add('extension', id, cc.type, undefined, s, (cc.factory as ExtensionFactory).create(s, cc.config));
    }
    const exporters = new Map<string, Consumer & Component>();
    for (const [id, cc] of cfg.exporters) {
      const s = this.settings('exporter', cc.type, id);
      const e = (cc.factory as ExporterFactory).create(s, cc.config);
      exporters.set(id, e);
      this.add('exporter', id, cc.type, undefined, s, e);
    }
    const pipelineHeads = new Map<string, Consumer>();
    for (const [pid, p] of cfg.service.pipelines) {
      let next: Consumer = fanOut(p.exporters.map((id) => exporters.get(id)!));
      for (let i = p.processors.length - 1; i >= 0; i--) {
        const id = p.processors[i]!;
        const cc = cfg.processors.get(id)!;
        const s = this.settings('processor', cc.type, id, pid);
        const proc = (cc.factory as ProcessorFactory).create(s, cc.config, next);
        this.add('processor', id, cc.type, pid, s, proc);
        next = proc.mutatesData && !(proc as EncodingAware).preservesEncoding ? stripEncoding(proc) : proc;
      }
      pipelineHeads.set(pid, next);
    }
    for (const [id, cc] of cfg.receivers) {
      const heads = [...cfg.service.pipelines.values()].filter((p) => p.receivers.includes(id)).map((p) => pipelineHeads.get(p.id)!);
      const s = this.settings('receiver', cc.type, id);
      this.add('receiver', id, cc.type, undefined, s, (cc.factory as ReceiverFactory).create(s, cc.config, fanOut(heads)));
    }
  }

  /** Start order: extensions, exporters, processors (built last-to-first already), receivers = build order. */
  async start(statusSource: StatusSource): Promise<void> {
    this.started = true;
    const extensions = new Map(this.nodes.filter((n) => n.kind === 'extension').map((n) => [n.id, n.component]));
    const host = new ServiceHost(extensions, this.ops, statusSource);
    for (const n of this.nodes) {
      n.state = 'starting';
      const log = componentLogger(this.logger, n.kind, n.id, n.pipeline);
      try {
        await n.component.start(host);
        n.state = 'running';
        log.info('component started');
      } catch (err) {
        n.state = 'failed';
        n.error = (err as Error).message;
        log.error({ err: (err as Error).message }, 'component failed to start');
        throw new Error(`${n.kind} "${n.id}"${n.pipeline ? ` in pipeline "${n.pipeline}"` : ''} failed to start: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Reverse order; each component gets what is left of the timeout. Safe to call twice and without start. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.started) return;
    const deadline = Date.now() + timeoutMs;
    for (const n of this.nodes) {
      try {
        if (n.state === 'running') n.component.prepareShutdown?.();
      } catch (err) {
        this.logger.warn({ id: n.id, err: (err as Error).message }, 'prepareShutdown failed');
      }
    }
    for (const n of [...this.nodes].reverse()) {
      if (n.state === 'created' || n.state === 'stopped') continue;
      n.state = 'stopping';
      const log = componentLogger(this.logger, n.kind, n.id, n.pipeline);
      const left = Math.max(0, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          n.component.shutdown(),
          new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`shutdown timed out after ${timeoutMs} ms`)), left))),
        ]);
        n.state = 'stopped';
        log.info('component stopped');
      } catch (err) {
        n.state = 'failed';
        n.error = (err as Error).message;
        log.error({ err: (err as Error).message }, 'component shutdown failed');
      } finally {
        clearTimeout(timer);
        n.telemetry.dispose();
      }
    }
  }

  allRunning(): boolean {
    return this.nodes.every((n) => n.state === 'running');
  }

  status(): Record<string, unknown> {
    const describe = (n: ComponentNode) => ({
      id: n.id,
      kind: n.kind,
      type: n.type,
      pipeline: n.pipeline,
      state: n.state,
      error: n.error,
      counters: n.telemetry.snapshot(),
      details: safeStatus(n.component),
    });
    return {
      pipelines: [...this.config.service.pipelines.values()].map((p) => ({
        id: p.id,
        receivers: p.receivers,
        processors: p.processors,
        exporters: p.exporters,
      })),
      components: this.nodes.map(describe),
    };
  }
}

function safeStatus(c: Component): Record<string, unknown> | undefined {
  try {
    return c.status?.();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Drops the received encoding before a processor that may change the data (see MetricsData.encoded). */
function stripEncoding(c: Consumer): Consumer {
  return {
    mutatesData: c.mutatesData,
    mutatesAttributes: mutatesAttributes(c),
    consume(md, ctx) {
      md.encoded = undefined;
      return c.consume(md, ctx);
    },
  };
}
