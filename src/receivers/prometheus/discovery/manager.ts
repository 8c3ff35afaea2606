/**
 * Per-job discovery manager: merges the groups of every provider of a job and hands the full list to the scrape
 * pool. The first sync happens right after start (static targets are scraped without delay); later updates are
 * coalesced for `debounceMs` (Prometheus batches SD updates every 5 s; file edits and SD refreshes here are rare,
 * so a short window keeps changes prompt while still merging bursts such as an editor's save).
 */
import type { Logger } from 'pino';
import type { Provider, ProviderStatus, TargetGroup } from './types.ts';

export class DiscoveryManager {
  readonly providers: readonly Provider[];
  private readonly current = new Map<Provider, TargetGroup[]>();
  private readonly onSync: (groups: TargetGroup[]) => void;
  private readonly debounceMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;

  constructor(providers: readonly Provider[], onSync: (groups: TargetGroup[]) => void, logger: Logger, debounceMs = 100) {
    this.providers = providers;
    this.logger = logger;
    this.onSync = onSync;
    this.debounceMs = debounceMs;
  }

  start(): void {
    for (const p of this.providers) {
      p.start((groups) => {
        if (this.stopped) return;
        this.current.set(p, groups);
        if (this.started) this.schedule();
      });
    }
    this.started = true;
    this.sync();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Pushes the merged groups to the pool now. */
  sync(): void {
    if (this.stopped) return;
    const all: TargetGroup[] = [];
    for (const p of this.providers) {
      for (const g of this.current.get(p) ?? []) all.push({ ...g, source: `${p.name}/${g.source}` });
    }
    try {
      this.onSync(all);
    } catch (err) {
      this.logger.error({ err: (err as Error).stack ?? String(err) }, 'applying discovered targets failed');
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const p of this.providers) p.stop();
  }

  status(): ProviderStatus[] {
    return this.providers.map((p) => p.status());
  }
}
