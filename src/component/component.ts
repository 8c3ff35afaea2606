/**
 * Component contract (after the Collector's component.Component):
 * - `start(host)` brings the component up; it may reject with an Error whose message says what failed.
 * - `shutdown()` is safe without start and safe twice; it resolves when in-flight work is flushed or given up.
 * - `status()` (optional) returns a small JSON-able object for the status page (state, targets, queue sizes...).
 * Start order: extensions, exporters, processors (last to first), receivers; shutdown in reverse.
 * State across a config reload (optional, both halves):
 * - `handOver()` is called on each component of the old generation during a reload (or on a new generation that
 *   failed to start, before the old config is restored), before any `prepareShutdown()`/`shutdown()` of that
 *   generation. It returns opaque state for its successor (or undefined) and stays otherwise running: `shutdown()`
 *   follows, and may finish the state (e.g. let an in-flight scrape complete) but must not use it after it resolved.
 *   It may be called on a component that was created but never started: it then returns what it was given in
 *   `CreateSettings.previous` (still unused), so state survives a failed reload.
 * - The new component with the same kind, type, id (and pipeline, for processors) gets that value in
 *   `CreateSettings.previous`, and only after the old one's `shutdown()` resolved. It owns it from `start()` on and
 *   must not trust its shape blindly (check a version tag); never set on the first start or without a reload.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Consumer } from '../consumer/consumer.ts';
import type { ComponentTelemetry } from '../telemetry/component-telemetry.ts';

export type Kind = 'receiver' | 'processor' | 'exporter' | 'extension';

export interface Host {
  /** Extension by id (`type[/name]`), for auth and storage lookups. */
  getExtension(id: string): Component | undefined;
  /** Register an HTTP route group on the ops server (status page, targets API...). */
  readonly ops: OpsRegistry;
}

export interface OpsRegistry {
  /** Adds an express Router/handler under a path on the ops port. */
  mount(path: string, handler: import('express').RequestHandler | import('express').Router): void;
}

export interface Component {
  start(host: Host): Promise<void>;
  shutdown(): Promise<void>;
  status?(): Record<string, unknown>;
  /**
   * Called on every component before any shutdown begins: stop waiting for more data (flush buffers now and pass
   * further data through without delay), so in-flight receiver requests can complete while receivers drain.
   */
  prepareShutdown?(): void;
  /** Reload only: state for the next generation's component with the same id and type (see the header). */
  handOver?(): unknown;
}

/** Optional capability of a mutating processor: it keeps MetricsData.encoded correct itself (e.g. batch). */
export interface EncodingAware {
  readonly preservesEncoding?: boolean;
}

export interface ProcessorComponent extends Component, Consumer {}
export interface ExporterComponent extends Component, Consumer {}

export interface CreateSettings {
  /** `type[/name]` as written in the config. */
  readonly id: string;
  readonly kind: Kind;
  /** For processors, the pipeline id it belongs to (each pipeline gets its own processor instances). */
  readonly pipeline?: string;
  readonly logger: Logger;
  readonly telemetry: ComponentTelemetry;
  /** Reload only: what the previous generation's component with the same kind/type/id handed over (see the header). */
  readonly previous?: unknown;
}

interface FactoryBase<C> {
  /** Collector type name, e.g. `otlp`, `prometheusremotewrite`. */
  readonly type: string;
  /**
   * Strict zod schema: defaults filled in, unknown keys rejected. `superRefine` for cross-field checks.
   * Errors name the YAML path; see src/config/validate.ts.
   */
  readonly configSchema: z.ZodType<C>;
  /** Ports this config listens on ("host:port"), to detect two components binding the same one. */
  listenAddresses?(config: C): string[];
}

export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'receiver';
  create(settings: CreateSettings, config: C, next: Consumer): Component;
}
export interface ProcessorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'processor';
  create(settings: CreateSettings, config: C, next: Consumer): ProcessorComponent;
}
export interface ExporterFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'exporter';
  create(settings: CreateSettings, config: C): ExporterComponent;
}
export interface ExtensionFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'extension';
  create(settings: CreateSettings, config: C): Component;
}

export type AnyFactory = ReceiverFactory<any> | ProcessorFactory<any> | ExporterFactory<any> | ExtensionFactory<any>;
