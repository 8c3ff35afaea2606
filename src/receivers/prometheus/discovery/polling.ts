/**
 * Base of the refreshing providers (file_sd, http_sd, dns_sd): the refresh timer (first refresh at start, then every
 * `intervalMs`, unref'd), one refresh at a time, status() bookkeeping and emitting only when the groups changed.
 *
 * Contract for subclasses: `discover()` returns the complete current groups. A source that fails inside it (one
 * file, one DNS name) keeps its last good groups in the returned list and is reported with `keyFailed(key, message)`
 * (logged once per distinct message, shown in status() as `key: message; ...`) and cleared from `errors` once it
 * succeeds or goes away. A `discover()` that throws fails the whole refresh: nothing is emitted (the last good groups
 * stay), the error is logged once per distinct message and becomes status().lastError as is. Errors after stop() are
 * ignored; no refresh starts and nothing is emitted after stop().
 */
import type { Logger } from 'pino';
import { ProviderState, type Provider, type ProviderStatus, type TargetGroup } from './types.ts';

export interface PollingOptions {
  intervalMs: number;
  /** Log message of a failure, e.g. 'file_sd: error reading file; keeping its last good targets'. */
  errorMessage: string;
  /** Log field naming the source of a `keyFailed` error (`file`, `name`). */
  keyField?: string;
  /** Fields logged with a failure of the whole refresh (http_sd: its url). */
  logContext?: Record<string, unknown>;
  /**
   * A refresh asked for while one runs: false (default) = the caller shares the running one; true = it is run once
   * more afterwards (file_sd: a change seen by the watcher during a read must not be missed).
   */
  rerunWhenBusy?: boolean;
}

export abstract class PollingProvider implements Provider {
  readonly name: string;
  private readonly logger: Logger;
  /** Per-source errors of the last refreshes (see the header). */
  protected readonly errors = new Map<string, string>();
  private readonly opts: PollingOptions;
  private readonly state: ProviderState;
  private update: ((groups: TargetGroup[]) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastEmitted = '';
  private isStopped = false;

  constructor(name: string, logger: Logger, opts: PollingOptions) {
    this.name = name;
    this.logger = logger;
    this.opts = opts;
    this.state = new ProviderState(name);
  }

  /** The complete current groups; throws when the whole refresh failed. */
  protected abstract discover(): Promise<TargetGroup[]>;

  protected get stopped(): boolean {
    return this.isStopped;
  }

  start(update: (groups: TargetGroup[]) => void): void {
    this.update = update;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Serialised: see `rerunWhenBusy`. Resolves when the (running or new) refresh is done. */
  refresh(): Promise<void> {
    if (this.isStopped) return Promise.resolve();
    if (this.running !== undefined) {
      if (this.opts.rerunWhenBusy === true) this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.isStopped) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private async run(): Promise<void> {
    let groups: TargetGroup[];
    try {
      groups = await this.discover();
    } catch (err) {
      if (this.isStopped) return;
      const msg = (err as Error).message;
      if (this.state.lastError !== msg) this.logger.error({ ...this.opts.logContext, err: msg }, this.opts.errorMessage);
      this.state.lastError = msg;
      return;
    }
    this.state.ok(groups);
    this.state.lastError = this.errors.size === 0 ? undefined : [...this.errors].map(([k, e]) => `${k}: ${e}`).join('; ');
    const key = JSON.stringify(groups);
    if (key !== this.lastEmitted && this.update !== undefined) {
      this.lastEmitted = key;
      this.update(groups);
    }
  }

  /** Records the failure of one source (its last good groups are kept by the subclass), logged once per message. */
  protected keyFailed(key: string, message: string): void {
    if (this.errors.get(key) !== message) this.logger.error({ [this.opts.keyField ?? 'source']: key, err: message }, this.opts.errorMessage);
    this.errors.set(key, message);
  }

  /** Ends the timer; subclasses release their own resources after calling it. */
  stop(): void {
    this.isStopped = true;
    this.update = undefined;
    clearInterval(this.timer);
  }

  status(): ProviderStatus {
    return this.state.status();
  }
}
