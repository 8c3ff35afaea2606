/**
 * Scrape targets: Prometheus 2.42 `PopulateLabels` / `TargetsFromGroup` and the `Target` record the scrape loop,
 * the targets API and the status page read.
 *
 * Contract
 * - `populateLabels(discovered, job, relabel)` returns `{labels, discovered}` (labels null = dropped by relabeling) or
 *   `{error}` with Prometheus's message. Order of steps as upstream: job / __scrape_interval__ / __scrape_timeout__ /
 *   __metrics_path__ / __scheme__ defaults, __param_*, relabel, address check, default port (2.42 always adds :80 /
 *   :443), interval/timeout label parsing, __meta_* removal, instance default, label value check.
 * - A `Target` is immutable in identity (`key` = labels + URL, Prometheus `Target.hash()`); its health fields are
 *   written by its scrape loop only.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Label } from '../../../model/types.ts';
import { applyRelabel, type CompiledRelabel } from '../../../relabel/index.ts';
import type { ScrapeJob } from '../config.ts';
import { checkTargetAddress } from '../config-sd.ts';
import { byName, encodeQuery, getLabel, goEscapePath, labelsKey, splitHostPort, toLabels, type LabelMap } from '../labels.ts';
import { formatPromDuration, parsePromDuration } from '../units.ts';

export type Health = 'up' | 'down' | 'unknown';

export interface PopulateResult {
  /** Final target labels (with the `__` ones that shape the URL), or null when relabeling dropped the target. */
  labels: Label[] | null;
  /** Labels before relabeling (discovered labels plus the job defaults). */
  discovered: Label[];
  error?: string;
}

export function populateLabels(input: LabelMap, job: ScrapeJob, relabel: CompiledRelabel | null): PopulateResult {
  const lb: LabelMap = new Map(input);
  const intervalStr = formatPromDuration(job.scrapeIntervalMs);
  const timeoutStr = formatPromDuration(job.scrapeTimeoutMs);
  const defaults: [string, string][] = [
    ['job', job.jobName],
    ['__scrape_interval__', intervalStr],
    ['__scrape_timeout__', timeoutStr],
    ['__metrics_path__', job.metricsPath],
    ['__scheme__', job.scheme],
  ];
  for (const [k, v] of defaults) if ((lb.get(k) ?? '') === '') lb.set(k, v);
  for (const [k, v] of Object.entries(job.params)) if (v.length > 0) lb.set(`__param_${k}`, v[0]!);
  const discovered = toLabels(lb);
  let labels: readonly Label[] = discovered;
  if (relabel !== null && relabel.rules.length > 0) {
    const r = applyRelabel(relabel, discovered);
    if (r === null) return { labels: null, discovered };
    labels = r;
  }
  const m: LabelMap = new Map();
  for (const l of labels) m.set(l.name, l.value);
  let addr = m.get('__address__') ?? '';
  if (addr === '') return { labels: null, discovered: [], error: 'no address' };
  const scheme = m.get('__scheme__') ?? '';
  const split = splitHostPort(addr);
  const addPort = typeof split === 'string' && typeof splitHostPort(addr + ':1234') !== 'string';
  if (addPort) {
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else return { labels: null, discovered: [], error: `invalid scheme: ${JSON.stringify(job.scheme)}` };
    m.set('__address__', addr);
  }
  const addrErr = checkTargetAddress(addr);
  if (addrErr !== undefined) return { labels: null, discovered: [], error: addrErr };

  let intervalMs = job.scrapeIntervalMs;
  const interval = m.get('__scrape_interval__') ?? '';
  if (interval !== intervalStr) {
    const d = parsePromDuration(interval);
    if (typeof d === 'string') return { labels: null, discovered: [], error: `error parsing scrape interval: ${d}` };
    if (d === 0) return { labels: null, discovered: [], error: 'scrape interval cannot be 0' };
    intervalMs = d;
  }
  let timeoutMs = job.scrapeTimeoutMs;
  const timeout = m.get('__scrape_timeout__') ?? '';
  if (timeout !== timeoutStr) {
    const d = parsePromDuration(timeout);
    if (typeof d === 'string') return { labels: null, discovered: [], error: `error parsing scrape timeout: ${d}` };
    if (d === 0) return { labels: null, discovered: [], error: 'scrape timeout cannot be 0' };
    timeoutMs = d;
  }
  if (timeoutMs > intervalMs) {
    return { labels: null, discovered: [], error: `scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeout)} > ${JSON.stringify(interval)})` };
  }
  for (const k of [...m.keys()]) if (k.startsWith('__meta_')) m.delete(k);
  if ((m.get('instance') ?? '') === '') m.set('instance', addr);
  const res = toLabels(m);
  for (const l of res) {
    if (!l.value.isWellFormed()) return { labels: null, discovered: [], error: `invalid label value for ${JSON.stringify(l.name)}: ${JSON.stringify(l.value)}` };
  }
  return { labels: res, discovered };
}

/** Interval/timeout of a target from its (validated) labels, as Prometheus `Target.intervalAndTimeout`. */
function intervalAndTimeout(labels: readonly Label[], job: ScrapeJob): [number, number] {
  const i = parsePromDuration(getLabel(labels, '__scrape_interval__'));
  const t = parsePromDuration(getLabel(labels, '__scrape_timeout__'));
  return [typeof i === 'number' && i > 0 ? i : job.scrapeIntervalMs, typeof t === 'number' && t > 0 ? t : job.scrapeTimeoutMs];
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export class Target {
  readonly job: string;
  /** Final labels including the `__` ones (`__address__`, `__scheme__`, `__param_*`...). */
  readonly fullLabels: readonly Label[];
  /** `Target.Labels()`: the labels without the `__` prefix (what series get). */
  readonly labels: readonly Label[];
  discoveredLabels: readonly Label[];
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Identity within the pool (Prometheus `Target.hash()` inputs). */
  readonly key: string;
  /** Stable pseudo-random number in [0, 2^48) from the identity, for the scrape offset. */
  readonly hash: number;

  health: Health = 'unknown';
  lastError = '';
  /** Wall-clock ms of the last scrape start, 0 = never. */
  lastScrape = 0;
  lastScrapeDurationMs = 0;

  constructor(job: ScrapeJob, labels: readonly Label[], discovered: readonly Label[]) {
    this.job = job.jobName;
    this.fullLabels = labels;
    this.labels = labels.filter((l) => !l.name.startsWith('__'));
    this.discoveredLabels = discovered;
    this.url = buildUrl(labels, job.params);
    [this.intervalMs, this.timeoutMs] = intervalAndTimeout(labels, job);
    this.key = labelsKey(labels) + '\x00' + this.url;
    this.hash = createHash('sha1').update(this.key).digest().readUIntBE(0, 6);
  }

  /** Prometheus `Target.offset()`: delay from `now` to this target's slot in the interval, pinned to wall time. */
  offset(now: number, intervalMs = this.intervalMs): number {
    const base = intervalMs - (now % intervalMs);
    let next = base + (this.hash % intervalMs);
    if (next > intervalMs) next -= intervalMs;
    return next;
  }

  /** Scrape URL with localhost replaced by this machine's hostname (Prometheus `globalURL`). */
  globalUrl(): string {
    const u = new URL(this.url);
    if (LOCAL_HOSTS.has(u.hostname)) u.hostname = hostname();
    return u.toString();
  }
}

/** Prometheus `Target.URL()`: scheme, address, path, config params overridden by `__param_*` labels. */
export function buildUrl(labels: readonly Label[], params: Record<string, string[]>): string {
  const q: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(params)) q[k] = [...v];
  for (const l of labels) {
    if (!l.name.startsWith('__param_')) continue;
    const k = l.name.slice(8);
    const cur = q[k];
    if (cur !== undefined && cur.length > 0) cur[0] = l.value;
    else q[k] = [l.value];
  }
  let path = getLabel(labels, '__metrics_path__');
  const host = getLabel(labels, '__address__');
  if (path !== '' && path[0] !== '/' && host !== '') path = '/' + path;
  const query = encodeQuery(q);
  return `${getLabel(labels, '__scheme__')}://${host}${goEscapePath(path)}${query === '' ? '' : '?' + query}`;
}

export { byName };
