/** The validated configuration the service builds from. */
import type { AnyFactory, Kind } from '../component/component.ts';
import type { TelemetryConfig } from '../telemetry/config.ts';

export interface ComponentConfig {
  /** `type[/name]` */
  id: string;
  type: string;
  kind: Kind;
  factory: AnyFactory;
  /** Output of the factory's schema: defaults filled in. */
  config: unknown;
}

export interface PipelineConfig {
  /** e.g. `metrics` or `metrics/edge` */
  id: string;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface GatewayConfig {
  receivers: Map<string, ComponentConfig>;
  processors: Map<string, ComponentConfig>;
  exporters: Map<string, ComponentConfig>;
  extensions: Map<string, ComponentConfig>;
  service: {
    pipelines: Map<string, PipelineConfig>;
    extensions: string[];
    telemetry: TelemetryConfig;
    /** How long shutdown (SIGTERM, reload) may take to drain in-flight data. */
    shutdownTimeoutMs: number;
  };
  /** Merged input after env expansion, for /debug/config (redact before showing). */
  raw: Record<string, unknown>;
  files: string[];
}

export const SECTION_KIND: Record<'receivers' | 'processors' | 'exporters' | 'extensions', Kind> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
};
