/**
 * Service discovery contract (after Prometheus `discovery.Discoverer` + `targetgroup.Group`).
 *
 * - A `Provider` emits its complete current list of target groups through `update` whenever it changes (not deltas);
 *   the job's `DiscoveryManager` replaces that provider's groups and resyncs the scrape pool.
 * - On a failed refresh a provider keeps (does not re-emit) its last good groups and records the error in
 *   `status()`; it logs the error itself.
 * - `stop()` ends timers and watchers; safe twice; no `update` after it returns.
 */

export interface TargetGroup {
  /** Unique within the provider (Prometheus `Group.Source`). */
  source: string;
  /** One label set per target; `__address__` at least. */
  targets: Array<Record<string, string>>;
  /** Labels common to every target of the group (a target's own label wins). */
  labels: Record<string, string>;
}

export interface ProviderStatus {
  name: string;
  groups: number;
  targets: number;
  /** ISO time of the last successful refresh. */
  lastRefresh: string | undefined;
  lastError: string | undefined;
}

export interface Provider {
  readonly name: string;
  start(update: (groups: TargetGroup[]) => void): void;
  stop(): void;
  status(): ProviderStatus;
}

/** Shared bookkeeping for providers' status(). */
export class ProviderState {
  readonly name: string;
  groups: TargetGroup[] = [];
  lastRefresh: string | undefined = undefined;
  lastError: string | undefined = undefined;
  constructor(name: string) {
    this.name = name;
  }
  ok(groups: TargetGroup[]): void {
    this.groups = groups;
    this.lastRefresh = new Date().toISOString();
    this.lastError = undefined;
  }
  status(): ProviderStatus {
    return {
      name: this.name,
      groups: this.groups.length,
      targets: this.groups.reduce((n, g) => n + g.targets.length, 0),
      lastRefresh: this.lastRefresh,
      lastError: this.lastError,
    };
  }
}
