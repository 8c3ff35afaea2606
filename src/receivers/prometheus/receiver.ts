/**
 * The `prometheus` receiver component: one scrape pool and one discovery manager per job, the run-time target store,
 * the targets API, status and self-metrics.
 *
 * Contract
 * - start(host): loads run-time targets (a corrupt file fails start), builds pools, mounts the targets API on the
 *   ops server, starts discovery (static targets scrape right away, at their offsets).
 * - shutdown(): discovery stops, loops stop without stale markers (as Prometheus on exit), in-flight scrapes and
 *   pushes settle, the API stops serving this receiver. Safe without start and twice.
 * - Reload (Component.handOver): `handOver()` returns a state object that `shutdown()` fills with every loop, stopped
 *   gracefully (in-flight scrapes and pushes finish on the old pipeline) instead of aborted. The next receiver adopts
 *   them before discovery starts: loops of a job whose config (and the receiver's external labels, counter start
 *   mode, attribute sharing) is unchanged continue with their caches when discovery brings their target back.
 *   Loops whose target is gone (job removed, or no longer discovered) write end-of-run stale markers through the new
 *   pipeline, as on target removal. A changed job's continuing targets get fresh loops (fresh caches; the old loop
 *   ends without stale markers, so series only the old metric relabeling produced are not staled).
 *   Never started: `handOver()` gives back `settings.previous`.
 * - Data: each scrape's batch is pushed through ReceiverObs (transport "http"); the pipeline owns it afterwards.
 *   Points share attribute arrays across scrapes only when the next consumer does not mutate data.
 */
import { readFileSync } from 'node:fs';
import type { Component, CreateSettings, Host } from '../../component/component.ts';
import { mutatesAttributes, type Consumer } from '../../consumer/consumer.ts';
import type { Label, MetricsData } from '../../model/types.ts';
import { compileRelabel } from '../../relabel/index.ts';
import { VERSION } from '../../version.ts';
import { ReceiverObs } from '../helper.ts';
import type { PrometheusReceiverConfig, ScrapeJob } from './config.ts';
import { DiscoveryManager } from './discovery/manager.ts';
import { DnsProvider } from './discovery/dns.ts';
import { FileProvider } from './discovery/file.ts';
import { HttpProvider } from './discovery/http.ts';
import { staticGroups, StaticProvider } from './discovery/static.ts';
import type { Provider } from './discovery/types.ts';
import { byName, toRecord } from './labels.ts';
import { ReceiverMetrics } from './metrics.ts';
import { RuntimeTargets } from './runtime-targets.ts';
import { HttpClient } from './scrape/http-client.ts';
import { Limiter, type ScrapeLoop } from './scrape/loop.ts';
import { ScrapePool } from './scrape/pool.ts';
import { mountTargetsApi, unmountTargetsApi } from './targets-api.ts';
import { formatPromDuration } from './units.ts';

const HANDOVER_KIND = 'prometheus-receiver/v1';

/** What a receiver hands to its successor on reload; `loops` is filled by the old receiver's shutdown. */
interface PromHandover {
  readonly kind: typeof HANDOVER_KIND;
  /** Receiver-wide settings the loops were built with (must match for a loop to scrape again). */
  readonly compat: string;
  readonly loops: ScrapeLoop[];
}

function isHandover(x: unknown): x is PromHandover {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === HANDOVER_KIND;
}

export const SCOPE_NAME = 'otel-bridge/receiver/prometheus';
const USER_AGENT = `otel-bridge/${VERSION}`;

interface JobRuntime {
  job: ScrapeJob;
  pool: ScrapePool;
  discovery: DiscoveryManager;
  runtime: StaticProvider;
}

export interface TargetView {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: string;
  scrapeInterval: string;
  scrapeTimeout: string;
}

export class PrometheusReceiver implements Component {
  readonly settings: CreateSettings;
  readonly cfg: PrometheusReceiverConfig;
  private readonly next: Consumer;
  private readonly jobs = new Map<string, JobRuntime>();
  readonly runtime: RuntimeTargets;
  private readonly ac = new AbortController();
  private host: Host | undefined;
  private started = false;
  private stopped = false;
  /** Set by handOver(): shutdown hands the loops over instead of aborting them. */
  private handover: PromHandover | undefined;
  /** Adopted loops of jobs this config no longer has, waiting for their end-of-run stale markers. */
  private readonly orphans = new Set<ScrapeLoop>();

  /** Tests only: loops are created but never scheduled; drive them with `loops(job)[i].scrapeAndReport(ts)`. */
  private readonly manual: boolean;

  constructor(settings: CreateSettings, cfg: PrometheusReceiverConfig, next: Consumer, opts: { manualScrapes?: boolean } = {}) {
    this.settings = settings;
    this.cfg = cfg;
    this.next = next;
    this.manual = opts.manualScrapes ?? false;
    this.runtime = new RuntimeTargets(cfg.api.directory, settings.id);
  }

  async start(host: Host): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.host = host;
    const log = this.settings.logger;
    this.runtime.load();
    const obs = new ReceiverObs(this.settings);
    const metrics = new ReceiverMetrics(this.settings.telemetry, () =>
      [...this.jobs.values()].map((j) => ({ job: j.job.jobName, active: j.pool.active.size, dropped: j.pool.droppedCount })),
    );
    const limiter = new Limiter(this.cfg.maxConcurrentScrapes);
    const external: Label[] = Object.entries(this.cfg.global.externalLabels).map(([name, value]) => ({ name, value })).sort(byName);
    const ctx = { receiver: this.settings.id };
    const push = (md: MetricsData) => obs.push(this.next, md, ctx, 'http').then(() => undefined);
    for (const job of this.cfg.jobs) {
      const jlog = log.child({ scrape_pool: job.jobName });
      const pool = new ScrapePool({
        job,
        client: new HttpClient(job.http, USER_AGENT),
        metricRelabel: job.metricRelabelConfigs.length > 0 ? compileRelabel(job.metricRelabelConfigs, { validate: false }) : null,
        externalLabels: external,
        limiter,
        metrics: metrics.job(job.jobName),
        logger: jlog,
        push,
        counterStartTime: this.cfg.counterStartTime,
        shareAttributes: !mutatesAttributes(this.next),
        scopeName: SCOPE_NAME,
        scopeVersion: VERSION,
        signal: this.ac.signal,
        manual: this.manual,
      });
      const runtime = new StaticProvider('api', this.runtime.groups(job.jobName));
      const providers: Provider[] = [new StaticProvider('static_configs', staticGroups(job.staticConfigs)), runtime];
      job.fileSdConfigs.forEach((c, i) => providers.push(new FileProvider(`file_sd_configs/${i}`, c, jlog)));
      job.httpSdConfigs.forEach((c, i) => providers.push(new HttpProvider(`http_sd_configs/${i}`, c, jlog, USER_AGENT)));
      job.dnsSdConfigs.forEach((c, i) => providers.push(new DnsProvider(`dns_sd_configs/${i}`, c, jlog)));
      const discovery = new DiscoveryManager(providers, (groups) => pool.sync(groups), jlog);
      this.jobs.set(job.jobName, { job, pool, discovery, runtime });
    }
    for (const j of this.runtime.jobNames()) {
      if (!this.jobs.has(j)) log.warn({ job: j }, 'run-time scrape targets for a job that is not configured are ignored (kept in the file)');
    }
    const compat = this.compat();
    if (isHandover(this.settings.previous)) this.adopt(this.settings.previous, compat, { push, limiter, metrics });
    mountTargetsApi(host.ops, this);
    for (const j of this.jobs.values()) j.discovery.start();
    log.info({ jobs: [...this.jobs.keys()] }, 'prometheus receiver started');
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.host !== undefined) unmountTargetsApi(this.host.ops, this);
    for (const j of this.jobs.values()) j.discovery.stop();
    const h = this.handover;
    if (h !== undefined) {
      const pools = await Promise.all([...this.jobs.values()].map((j) => j.pool.handOff()));
      const orphans = [...this.orphans];
      this.orphans.clear();
      await Promise.all(orphans.map((l) => l.handOff()));
      h.loops.push(...pools.flat(), ...orphans);
      this.ac.abort();
      return;
    }
    this.ac.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.pool.stop()));
    await Promise.all([...this.orphans].map((l) => l.abort()));
    this.orphans.clear();
  }

  handOver(): unknown {
    if (this.stopped) return undefined;
    if (!this.started) return this.settings.previous;
    this.handover ??= { kind: HANDOVER_KIND, compat: this.compat(), loops: [] };
    return this.handover;
  }

  private compat(): string {
    const c = this.cfg;
    return JSON.stringify([c.global.externalLabels, c.counterStartTime, !mutatesAttributes(this.next)]);
  }

  /** Reload: loops of the previous generation go to the pool of their job, or end their run (job removed). */
  private adopt(prev: PromHandover, compat: string, env: { push: (md: MetricsData) => Promise<void>; limiter: Limiter; metrics: ReceiverMetrics }): void {
    const unchanged = new Map<ScrapeJob, boolean>();
    const byJob = new Map<string, ScrapeLoop[]>();
    for (const loop of prev.loops) {
      const oldJob = loop.environment.job;
      const name = oldJob.jobName;
      const j = this.jobs.get(name);
      if (j === undefined) {
        loop.rebind({ ...loop.environment, push: env.push, limiter: env.limiter, metrics: env.metrics.job(name), signal: this.ac.signal, manual: this.manual });
        this.orphans.add(loop);
        void loop.stop().then(() => loop.endOfRun(() => this.orphans.delete(loop)));
        continue;
      }
      let list = byJob.get(name);
      if (list === undefined) byJob.set(name, (list = []));
      list.push(loop);
      if (!unchanged.has(oldJob)) unchanged.set(oldJob, prev.compat === compat && JSON.stringify(oldJob) === JSON.stringify(j.job));
    }
    for (const [name, loops] of byJob) {
      const reuse = loops.every((l) => unchanged.get(l.environment.job) === true);
      this.jobs.get(name)!.pool.adopt(loops, reuse);
    }
    this.settings.logger.info({ loops: prev.loops.length, removedJobTargets: this.orphans.size }, 'adopted scrape loops of the previous configuration');
  }

  // ---- for the targets API ----

  /** Active scrape loops of a job (tests, diagnostics). */
  loops(job: string): ScrapeLoop[] {
    return this.jobs.get(job)?.pool.loops() ?? [];
  }

  hasJob(job: string): boolean {
    return this.jobs.has(job);
  }

  /** The bearer token the run-time target API requires, or undefined when it is disabled. */
  apiToken(): string | undefined {
    const a = this.cfg.api;
    if (a.token !== undefined && a.token !== '') return a.token;
    if (a.tokenFile !== undefined) return readFileSync(a.tokenFile, 'utf8').trim() || undefined;
    return undefined;
  }

  addTargets(job: string, targets: string[], labels: Record<string, string>): void {
    this.runtime.add(job, targets, labels);
    this.resyncRuntime(job);
  }

  removeTargets(job: string, targets: string[]): string[] {
    const removed = this.runtime.remove(job, targets);
    if (removed.length > 0) this.resyncRuntime(job);
    return removed;
  }

  private resyncRuntime(job: string): void {
    const j = this.jobs.get(job);
    if (j === undefined) return;
    j.runtime.set(this.runtime.groups(job));
    j.discovery.sync();
  }

  activeTargets(pool?: string): TargetView[] {
    const out: TargetView[] = [];
    for (const j of [...this.jobs.values()].sort((a, b) => (a.job.jobName < b.job.jobName ? -1 : 1))) {
      if (pool !== undefined && pool !== j.job.jobName) continue;
      const loops = j.pool.loops().sort((a, b) => (a.target.url < b.target.url ? -1 : a.target.url > b.target.url ? 1 : 0));
      for (const l of loops) {
        const t = l.target;
        out.push({
          discoveredLabels: toRecord(t.discoveredLabels),
          labels: toRecord(t.labels),
          scrapePool: j.job.jobName,
          scrapeUrl: t.url,
          globalUrl: t.globalUrl(),
          lastError: t.lastError,
          lastScrape: t.lastScrape === 0 ? '0001-01-01T00:00:00Z' : new Date(t.lastScrape).toISOString(),
          lastScrapeDuration: t.lastScrapeDurationMs / 1000,
          health: t.health,
          scrapeInterval: formatPromDuration(t.intervalMs),
          scrapeTimeout: formatPromDuration(t.timeoutMs),
        });
      }
    }
    return out;
  }

  droppedTargets(pool?: string): Array<{ discoveredLabels: Record<string, string> }> {
    const out: Array<{ discoveredLabels: Record<string, string> }> = [];
    for (const j of this.jobs.values()) {
      if (pool !== undefined && pool !== j.job.jobName) continue;
      for (const d of j.pool.dropped) out.push({ discoveredLabels: toRecord(d) });
    }
    return out;
  }

  status(): Record<string, unknown> {
    const targets = this.activeTargets().map((t) => ({
      job: t.scrapePool,
      scrapeUrl: t.scrapeUrl,
      health: t.health,
      labels: t.labels,
      lastScrape: t.lastScrape.startsWith('0001') ? undefined : t.lastScrape,
      lastScrapeDuration: t.lastScrapeDuration,
      lastError: t.lastError,
    }));
    const jobs = [...this.jobs.values()].map((j) => ({
      job: j.job.jobName,
      active: j.pool.active.size,
      dropped: j.pool.droppedCount,
      syncErrors: j.pool.syncErrors.length > 0 ? j.pool.syncErrors : undefined,
      discovery: j.discovery.status().filter((s) => s.lastError !== undefined || s.name !== 'api' || s.targets > 0),
    }));
    return { targets, jobs };
  }
}
