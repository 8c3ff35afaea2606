/**
 * The `prometheus` receiver component: one scrape pool and one discovery manager per job, the run-time target store,
 * the targets API, status and self-metrics.
 *
 * Contract
 * - start(host): loads run-time targets (a corrupt file fails start), builds pools, mounts the targets API on the
 *   ops server, starts discovery (static targets scrape right away, at their offsets).
 * - shutdown(): discovery stops, loops stop without stale markers (as Prometheus on exit), in-flight scrapes and
 *   pushes settle, the API stops serving this receiver. Safe without start and twice.
 * - Data: each scrape's batch is pushed through ReceiverObs (transport "http"); the pipeline owns it afterwards.
 *   Points share attribute arrays across scrapes only when the next consumer does not mutate data.
 */
import { readFileSync } from 'node:fs';
import type { Component, CreateSettings, Host } from '../../component/component.ts';
import type { Consumer } from '../../consumer/consumer.ts';
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
        shareAttributes: !this.next.mutatesData,
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
    mountTargetsApi(host.ops, this);
    for (const j of this.jobs.values()) j.discovery.start();
    log.info({ jobs: [...this.jobs.keys()] }, 'prometheus receiver started');
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.host !== undefined) unmountTargetsApi(this.host.ops, this);
    this.ac.abort();
    for (const j of this.jobs.values()) j.discovery.stop();
    await Promise.all([...this.jobs.values()].map((j) => j.pool.stop()));
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
