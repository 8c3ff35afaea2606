/**
 * The scrape loop of one target (Prometheus `scrapeLoop`): schedule, scrape, append, report, push.
 *
 * Contract
 * - Schedule: first scrape at the target's offset in the interval (stable per target, pinned to wall time), then on a
 *   fixed grid `first + k * interval` computed from absolute times (no drift from timer lateness). A scrape that
 *   overruns the next slot is followed immediately by one catch-up scrape, further missed slots are skipped (Go
 *   ticker semantics). Timestamps snap to the grid when within min(2 ms, interval/100), as Prometheus does.
 * - Each scrape waits for a slot of the receiver-wide `Limiter`; the timeout runs from the request start.
 * - Push: the batch (samples, stale markers, report) goes to the pipeline without blocking the schedule; while a
 *   previous push of this target is still in flight the new batch is skipped and counted (`busy`), as is a batch the
 *   pipeline refuses with backpressure. Target health reflects the scrape only, never the pipeline.
 * - `stop()` ends scheduling and lets an in-flight scrape finish; `endOfRun()` writes stale markers for every
 *   series the target exposed (Prometheus: after two more intervals + 10 %, at the next slot's time) unless `revive()`
 *   is called first; `abort()` is shutdown: no stale markers, in-flight request aborted.
 * - Config reload (receiver hand-over): `handOff()` stops the loop like `stop()` and cancels a pending end-of-run,
 *   letting the in-flight scrape and push finish on the old pipeline; the next generation `rebind()`s it to its own
 *   environment (pipeline, limiter, signal, metrics) and then revives it or ends its run. The cache, staleness sets
 *   and target state carry over. Only rebind to an environment whose job, metric relabeling, external labels,
 *   counter start mode and attribute sharing equal the old one's if the loop is to scrape again (the appender keeps
 *   those from construction); for end-of-run only, any environment works.
 */
import type { Logger } from 'pino';
import { createParser, formatFromContentType, ParseError, SCRAPE_ACCEPT_HEADER, type Parser } from '../../../codec/promtext/index.ts';
import type { Label, MetricsData } from '../../../model/types.ts';
import type { CompiledRelabel } from '../../../relabel/index.ts';
import type { ScrapeJob } from '../config.ts';
import type { JobMetrics } from '../metrics.ts';
import { Appender, REPORT_HELP, reportGroups } from './append.ts';
import { ScrapeCache, type PointGroup } from './cache.ts';
import { HttpClient, ScrapeError } from './http-client.ts';
import type { ResolveContext } from './resolve.ts';
import type { Target } from './target.ts';

/** Receiver-wide bound on concurrent scrapes (0 = unbounded). FIFO. */
export class Limiter {
  private active = 0;
  private readonly max: number;
  private readonly waiting: Array<() => void> = [];
  constructor(max: number) {
    this.max = max;
  }
  acquire(): Promise<void> | undefined {
    if (this.max === 0 || this.active < this.max) {
      this.active++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}

export interface PoolEnv {
  job: ScrapeJob;
  client: HttpClient;
  metricRelabel: CompiledRelabel | null;
  externalLabels: readonly Label[];
  limiter: Limiter;
  metrics: JobMetrics;
  logger: Logger;
  push(md: MetricsData): Promise<void>;
  counterStartTime: 'created' | 'first_seen';
  shareAttributes: boolean;
  scopeName: string;
  scopeVersion: string;
  /** Aborted on receiver shutdown. */
  signal: AbortSignal;
  /** Tests: never schedule scrapes (they are driven through `scrapeAndReport`). */
  manual?: boolean;
}

const TOLERANCE_MS = 2;

function isBackpressure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { errorClass?: string }).errorClass === 'backpressure';
}

export class ScrapeLoop {
  readonly target: Target;
  /** Set by the pool when target_limit is exceeded: scrapes fail with it without a request. */
  forcedError: string | undefined = undefined;
  private env: PoolEnv;
  private readonly cache = new ScrapeCache();
  private readonly appender: Appender;
  private readonly report: PointGroup[];
  private readonly headers: Record<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private eorTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private nextDue = 0;
  private scraping: Promise<void> | undefined;
  private pushing: Promise<void> | undefined;
  private everScraped = false;
  private lastTs = 0;

  constructor(target: Target, env: PoolEnv) {
    this.target = target;
    this.env = env;
    const job = env.job;
    const ctx: ResolveContext = {
      cache: this.cache,
      targetLabels: target.labels,
      honorLabels: job.honorLabels,
      metricRelabel: env.metricRelabel,
      externalLabels: env.externalLabels,
      limits: { labelLimit: job.labelLimit, labelNameLengthLimit: job.labelNameLengthLimit, labelValueLengthLimit: job.labelValueLengthLimit },
      scopeName: env.scopeName,
      scopeVersion: env.scopeVersion,
    };
    const cache = this.cache;
    this.appender = new Appender(
      ctx,
      { honorTimestamps: job.honorTimestamps, trackTimestampsStaleness: job.trackTimestampsStaleness, sampleLimit: job.sampleLimit },
      {
        counterStartTime: env.counterStartTime,
        shareAttributes: env.shareAttributes,
        scheme: target.fullLabels.find((l) => l.name === '__scheme__')?.value ?? '',
        meta: (family) => {
          const h = REPORT_HELP[family];
          return h !== undefined && !cache.metadata.has(family) ? { help: h, unit: '' } : cache.metadata.get(family);
        },
      },
    );
    this.report = reportGroups(ctx);
    this.headers = {
      Accept: SCRAPE_ACCEPT_HEADER,
      'Accept-Encoding': 'gzip',
      'X-Prometheus-Scrape-Timeout-Seconds': String(target.timeoutMs / 1000),
    };
  }

  start(): void {
    if (this.scheduled || this.env.manual === true) return;
    this.scheduled = true;
    const now = Date.now();
    this.nextDue = now + this.target.offset(now);
    this.arm();
  }

  private arm(): void {
    if (!this.scheduled) return;
    const delay = Math.max(0, this.nextDue - Date.now());
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.scheduled) return;
    const now = Date.now();
    if (now < this.nextDue - 1) return this.arm(); // timer fired early
    const interval = this.target.intervalMs;
    const due = this.nextDue;
    const tolerance = Math.min(TOLERANCE_MS, interval / 100);
    const ts = now - due <= tolerance ? due : now;
    this.nextDue = due + interval;
    this.scraping = this.scrapeAndReport(ts)
      .catch((err: unknown) => this.env.logger.error({ target: this.target.url, err: (err as Error).stack ?? String(err) }, 'scrape loop error'))
      .finally(() => this.afterScrape());
  }

  private afterScrape(): void {
    this.scraping = undefined;
    if (!this.scheduled) return;
    const end = Date.now();
    const interval = this.target.intervalMs;
    if (this.nextDue <= end) {
      // Overran at least one slot: one catch-up scrape now (its tick sees the last missed slot as due, so its
      // timestamp is the current time), then the grid continues.
      while (this.nextDue <= end) this.nextDue += interval;
      this.nextDue -= interval;
      this.timer = setTimeout(() => this.tick(), 0);
      this.timer.unref();
      return;
    }
    this.arm();
  }

  /** One scrape at timestamp `tsMs` (exported for tests). */
  async scrapeAndReport(tsMs: number): Promise<void> {
    const env = this.env;
    const target = this.target;
    const app = this.appender;
    const t0 = performance.now();
    target.lastScrape = Date.now();
    env.metrics.started();
    app.begin(tsMs);
    this.lastTs = tsMs;
    let scrapeErr: Error | undefined;
    let appendErr: Error | undefined;
    if (this.forcedError !== undefined) {
      scrapeErr = new ScrapeError('target_limit', this.forcedError);
    } else {
      const wait = env.limiter.acquire();
      if (wait !== undefined) await wait;
      let parser: Parser | undefined;
      let bytes = 0;
      try {
        await env.client.get(target.url, {
          timeoutMs: target.timeoutMs,
          headers: this.headers,
          bodySizeLimit: env.job.bodySizeLimit,
          signal: env.signal,
          onResponse: (ct) => {
            // Lazy labels: the appender reads a line's labels only on a scrape-cache miss (a hit is text parsed and
            // validated before), so most lines are never label-parsed again.
            parser = createParser(formatFromContentType(ct), undefined, { lazyLabels: true });
          },
          onChunk: (chunk) => {
            bytes += chunk.length;
            try {
              parser!.write(chunk);
              app.feed(parser!);
            } catch (err) {
              appendErr = err as Error;
              throw err;
            }
          },
        });
        // An empty body is an empty scrape in every format (upstream skips the parser for it).
        if (bytes > 0) {
          try {
            parser!.end();
            app.feed(parser!);
          } catch (err) {
            appendErr = err as Error;
          }
        }
      } catch (err) {
        if (appendErr === undefined) scrapeErr = err as Error;
      } finally {
        env.limiter.release();
      }
      if (scrapeErr === undefined && appendErr === undefined && app.sampleLimitHit) appendErr = new ScrapeError('sample_limit', 'sample limit exceeded');
    }
    if (scrapeErr !== undefined) app.failTransport();
    else if (appendErr !== undefined) app.failAppend();
    else app.commit();
    const err = scrapeErr ?? appendErr;
    const seconds = (performance.now() - t0) / 1000;
    app.report(this.report, err === undefined, seconds);
    this.everScraped = true;
    target.health = err === undefined ? 'up' : 'down';
    target.lastError = err === undefined ? '' : err.message;
    target.lastScrapeDurationMs = seconds * 1000;
    const reason = err === undefined ? undefined : err instanceof ScrapeError ? err.reason : err instanceof ParseError ? 'parse' : 'other';
    env.metrics.finished(seconds, reason);
    env.metrics.duplicates(app.duplicates);
    if (err !== undefined && !env.signal.aborted) env.logger.debug({ target: target.url, err: err.message, reason }, 'scrape failed');
    if (app.duplicates > 0) env.logger.debug({ target: target.url, num_dropped: app.duplicates }, 'Error on ingesting samples with the same series twice in one scrape');
    this.push(app.finish());
  }

  private push(md: MetricsData): void {
    if (md.resourceMetrics.length === 0 || this.env.signal.aborted) return;
    if (this.pushing !== undefined) {
      this.env.metrics.skipped('busy');
      return;
    }
    const p = this.env.push(md).then(
      () => undefined,
      (err: unknown) => {
        this.env.metrics.skipped(isBackpressure(err) ? 'backpressure' : 'error');
        this.env.logger.debug({ target: this.target.url, err: (err as Error).message }, 'pipeline refused scrape result');
      },
    );
    this.pushing = p.finally(() => {
      this.pushing = undefined;
    });
  }

  /** Stops scheduling; an in-flight scrape completes. */
  async stop(): Promise<void> {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scraping;
  }

  /** After `stop()`: stale markers for everything once the target has been gone for two intervals + 10 %. */
  endOfRun(onDone: () => void): void {
    if (!this.everScraped) return onDone();
    const interval = this.target.intervalMs;
    const manual = this.env.manual === true;
    const staleTime = manual ? this.lastTs + interval : this.nextDue;
    const wait = manual ? 0 : Math.max(0, staleTime + interval + interval / 10 - Date.now());
    this.eorTimer = setTimeout(() => {
      this.eorTimer = undefined;
      if (this.env.signal.aborted) return;
      this.appender.begin(staleTime);
      this.appender.endOfRun(this.report);
      this.push(this.appender.finish());
      onDone();
    }, wait);
    this.eorTimer.unref();
  }

  /** The target came back before its end-of-run staleness: keep the cache and scrape again. */
  revive(target: Target): void {
    clearTimeout(this.eorTimer);
    this.eorTimer = undefined;
    this.target.discoveredLabels = target.discoveredLabels;
    this.start();
  }

  /** Receiver shutdown: no stale markers; waits for the in-flight scrape (its request is aborted by the signal). */
  async abort(): Promise<void> {
    clearTimeout(this.eorTimer);
    this.eorTimer = undefined;
    await this.stop();
    await this.pushing;
  }

  /** Reload: stop scheduling and any pending end-of-run; waits for the in-flight scrape and push (not aborted). */
  async handOff(): Promise<void> {
    clearTimeout(this.eorTimer);
    this.eorTimer = undefined;
    await this.stop();
    await this.pushing;
  }

  /** Reload: the next generation's environment (after `handOff()`); see the header for what must match. */
  rebind(env: PoolEnv): void {
    this.env = env;
  }

  /** The environment this loop runs in (the receiver derives an end-of-run environment for removed jobs from it). */
  get environment(): PoolEnv {
    return this.env;
  }

  /** For tests: wait until the current scrape and its push settled. */
  async idle(): Promise<void> {
    await this.scraping;
    await this.pushing;
  }
}
