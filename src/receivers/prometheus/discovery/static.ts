/**
 * `static_configs`, and the run-time targets added through POST /api/v1/scrape_targets (same shape, replaceable).
 * Sources are the config index ("0", "1", ...) as in Prometheus; run-time groups use "api/<id>".
 */
import type { StaticConfig } from '../config-sd.ts';
import { ProviderState, type Provider, type ProviderStatus, type TargetGroup } from './types.ts';

export function staticGroups(configs: readonly StaticConfig[], sourcePrefix = ''): TargetGroup[] {
  return configs.map((c, i) => ({
    source: `${sourcePrefix}${i}`,
    targets: c.targets.map((t) => ({ __address__: t })),
    labels: { ...c.labels },
  }));
}

export class StaticProvider implements Provider {
  readonly name: string;
  private readonly state: ProviderState;
  private update: ((groups: TargetGroup[]) => void) | undefined;

  constructor(name: string, groups: TargetGroup[]) {
    this.name = name;
    this.state = new ProviderState(name);
    this.state.groups = groups;
  }

  start(update: (groups: TargetGroup[]) => void): void {
    this.update = update;
    this.state.ok(this.state.groups);
    update(this.state.groups);
  }

  /** Replaces the groups (run-time API) and re-emits them when started. */
  set(groups: TargetGroup[]): void {
    this.state.ok(groups);
    this.update?.(groups);
  }

  groups(): readonly TargetGroup[] {
    return this.state.groups;
  }

  stop(): void {
    this.update = undefined;
  }

  status(): ProviderStatus {
    return this.state.status();
  }
}
