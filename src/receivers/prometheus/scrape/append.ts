/**
 * One scrape's append (Prometheus `scrapeLoop.append` + `report`), fed entry by entry while the body streams in.
 *
 * Contract
 * - `begin(tsMs)`, then `feed(parser)` after every chunk (and after `parser.end()`), then exactly one of
 *   `commit()` (whole body parsed), `failAppend()` (parse error, label/limit error, sample limit: the entries
 *   tracked so far stay tracked, as upstream's rolled-back append), `failTransport()` (HTTP/timeout/body limit: as
 *   if nothing was read), or `endOfRun()` (target gone: every series stale). Then `report(...)` adds the synthetic
 *   series and `finish()` returns the batch (ownership passes to the caller).
 * - `feed` throws ScrapeError / ParseError for errors that fail the scrape; the caller then calls `failAppend()`.
 * - Hot path (cache hit, no exemplar): one Map lookup, a few field writes on the entry and its point group; no
 *   allocation per sample. Counters (`total`, `added`, `seriesAdded`) follow Prometheus 2.42 exactly.
 */
import { EntryType, type Parser } from '../../../codec/promtext/index.ts';
import type { KeyValue, Label, MetricsData } from '../../../model/types.ts';
import { promSeries } from '../../../model/prom-memo.ts';
import { ownString } from '../../../model/label-intern.ts';
import { PointBuilder, toExemplar, type BuilderOptions } from '../translate.ts';
import { getLabel } from '../labels.ts';
import { MetricSlot, NO_NUMBERS, PointGroup, Role, ScrapeCache, type SeriesEntry } from './cache.ts';
import { buildEntry, resolveRole, resourceSlot, scopeSlot, type ResolveContext } from './resolve.ts';

export interface AppendOptions {
  honorTimestamps: boolean;
  trackTimestampsStaleness: boolean;
  sampleLimit: number;
}

export const REPORT_HELP: Record<string, string> = {
  up: 'Health of the scrape target. 1 means the target is healthy, 0 if the scrape failed.',
  scrape_duration_seconds: 'Duration of the last scrape in seconds.',
  scrape_samples_scraped: 'Number of samples last scraped.',
  scrape_samples_post_metric_relabeling: 'Number of samples remaining after metric relabeling was applied.',
  scrape_series_added: 'Number of series in the last scrape.',
};
const REPORT_NAMES = Object.keys(REPORT_HELP);

/** The synthetic series of a target, labelled as Prometheus `mutateReportSampleLabels` does. */
export function reportGroups(ctx: ResolveContext): PointGroup[] {
  let labels: Label[] = [...ctx.targetLabels];
  for (const e of ctx.externalLabels) if (getLabel(labels, e.name) === '') labels.push(e);
  labels = labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const res = resourceSlot(ctx.cache, getLabel(labels, 'job'), getLabel(labels, 'instance'));
  const scope = scopeSlot(ctx, res, []);
  const attrs: KeyValue[] = [];
  for (const l of labels) if (l.name !== 'job' && l.name !== 'instance') attrs.push({ key: l.name, value: l.value });
  return REPORT_NAMES.map((name) => new PointGroup(new MetricSlot(scope, name, 'gauge', false, 'gauge', name), attrs, promSeries(name, labels)));
}

export class Appender {
  private readonly ctx: ResolveContext;
  private readonly cache: ScrapeCache;
  private readonly o: AppendOptions;
  private readonly bo: BuilderOptions;
  private readonly touched: PointGroup[] = [];
  private readonly staleList: SeriesEntry[] = [];
  private id = 0;
  private defTime = 0;
  builder: PointBuilder | undefined;
  total = 0;
  added = 0;
  seriesAdded = 0;
  duplicates = 0;
  incomplete = 0;
  sampleLimitHit = false;

  constructor(ctx: ResolveContext, o: AppendOptions, bo: BuilderOptions) {
    this.ctx = ctx;
    this.cache = ctx.cache;
    this.o = o;
    this.bo = bo;
  }

  begin(tsMs: number): void {
    this.id = this.cache.beginAppend();
    this.defTime = tsMs;
    this.total = this.added = this.seriesAdded = this.duplicates = this.incomplete = 0;
    this.sampleLimitHit = false;
    this.touched.length = 0;
    this.builder = new PointBuilder(this.bo, this.id);
  }

  /** Consumes entries until the parser needs more input (or ends). Throws on scrape-failing errors. */
  feed(p: Parser): void {
    const cache = this.cache;
    const order = cache.order;
    const id = this.id;
    const limit = this.o.sampleLimit;
    for (;;) {
      // FAST PATH: the entry at this position in the last scrape is the guess; the parser checks the line against it
      // in place (and then skips the label block); only a mismatch looks the text up in the Map.
      const at = this.total;
      let e: SeriesEntry | undefined = order[at];
      if (e !== undefined && e.evicted) e = undefined;
      p.guess = e === undefined ? '' : e.raw;
      const t = p.next();
      if (t === EntryType.Series) {
        this.total++;
        if (e === undefined || !p.seriesIs(e.raw)) e = cache.series.get(p.series());
        let isNew = false;
        if (e === undefined) {
          e = buildEntry(this.ctx, p, p.series());
          order[at] = e;
          if (e.dropped) continue;
          isNew = true;
        } else {
          order[at] = e;
          e.lastIter = cache.iter;
          // FAST PATH: a line dropped by metric_relabel_configs in an earlier scrape.
          if (e.dropped) continue;
        }
        let ts = this.defTime;
        let explicit = false;
        if (this.o.honorTimestamps && p.hasTimestamp()) {
          ts = p.timestamp();
          explicit = true;
        }
        this.added++;
        const over = limit > 0 && this.added > limit;
        if (over) this.sampleLimitHit = true;
        if (e.seenId === id) {
          // Same series twice in one scrape: Prometheus keeps the first sample.
          this.duplicates++;
          continue;
        }
        e.seenId = id;
        if ((!explicit || this.o.trackTimestampsStaleness) && (isNew || !over)) cache.track(e);
        if (isNew && !over) this.seriesAdded++;
        if (this.sampleLimitHit) continue;
        if (e.metaGen !== cache.metaGen) resolveRole(this.ctx, e);
        this.record(e, p, ts);
      } else if (t === EntryType.Type) {
        const mt = p.metricType();
        cache.setType(p.metadataName(), mt === 'untyped' ? 'unknown' : mt);
      } else if (t === EntryType.Help) {
        // Owned copies: the parser's strings are slices of the body, which a kept slice would keep alive.
        const m = cache.meta(p.metadataName());
        const help = p.help();
        if (m.help !== help) m.help = ownString(help);
      } else if (t === EntryType.Unit) {
        const m = cache.meta(p.metadataName());
        const unit = p.unit();
        if (m.unit !== unit) m.unit = ownString(unit);
      } else if (t === EntryType.NeedMore || t === EntryType.EOF) {
        return;
      }
    }
  }

  private record(e: SeriesEntry, p: Parser, ts: number): void {
    const role = e.role;
    if (role === Role.IGNORE) return;
    if (role === Role.TARGET_INFO) {
      const res = resourceSlot(this.cache, getLabel(e.labels, 'job'), getLabel(e.labels, 'instance'));
      const attrs: KeyValue[] = [];
      for (const l of e.labels) if (l.name !== 'job' && l.name !== 'instance') attrs.push({ key: l.name, value: l.value });
      res.targetInfo = attrs;
      return;
    }
    const g = e.group!;
    g.lastIter = this.cache.iter;
    if (g.iter !== this.id) {
      g.iter = this.id;
      g.tsMs = ts;
      g.hasValue = g.hasSum = g.hasCount = false;
      g.createdMs = -1;
      if (g.keys.length !== 0) {
        g.keys.length = 0;
        g.vals.length = 0;
      }
      g.exemplars = undefined;
      this.touched.push(g);
    }
    const v = p.value();
    switch (role) {
      case Role.VALUE:
        if (g.hasValue) {
          this.duplicates++;
          return;
        }
        g.hasValue = true;
        g.value = v;
        break;
      case Role.BUCKET:
      case Role.QUANTILE:
        if (g.keys === NO_NUMBERS) (g.keys = []), (g.vals = []);
        g.keys.push(e.bound);
        g.vals.push(v);
        break;
      case Role.SUM:
        g.hasSum = true;
        g.sum = v;
        break;
      case Role.COUNT:
        g.hasCount = true;
        g.count = v;
        break;
      case Role.CREATED:
        g.createdMs = v;
        break;
    }
    if (p.hasExemplar()) {
      const n = p.exemplarLabelCount();
      const labels: [string, string][] = [];
      for (let i = 0; i < n; i++) labels.push([p.exemplarLabelName(i), p.exemplarLabelValue(i)]);
      (g.exemplars ??= []).push(toExemplar(labels, p.exemplarValue(), p.exemplarHasTimestamp() ? p.exemplarTimestamp() : ts));
    }
  }

  /** Whole body appended: points for every touched group, stale markers for vanished series. */
  commit(): void {
    const b = this.builder!;
    for (const g of this.touched) {
      if (b.emit(g)) g.emitId = this.id;
      else this.incomplete++;
    }
    this.emitStale();
    this.cache.iterDone(true);
    // A target that shrank: guesses past its new length would only keep old entries alive.
    if (this.cache.order.length > this.total) this.cache.order.length = this.total;
  }

  /** Append failed mid-way: nothing of it is kept except its staleness tracking (upstream rollback). */
  failAppend(): void {
    this.emitStale();
    this.cache.iterDone(false);
  }

  /** Scrape failed before/while reading: like an empty scrape (every previously exposed series goes stale). */
  failTransport(): void {
    this.cache.untrackAll();
    this.id = this.cache.beginAppend();
    this.emitStale();
    this.cache.iterDone(false);
    this.total = this.added = this.seriesAdded = 0;
  }

  /** Target removed: stale markers for everything it exposed, including the report series. */
  endOfRun(report: readonly PointGroup[]): void {
    this.failTransport();
    for (const g of report) if (g.emitId > 0) this.builder!.emitStale(g, this.defTime);
  }

  private emitStale(): void {
    const list = this.staleList;
    list.length = 0;
    this.cache.stale(list);
    for (const e of list) {
      const g = e.group;
      if (g === undefined || g.emitId === this.id || g.staleIter === this.id) continue;
      g.staleIter = this.id;
      if (g.emitId < 0) continue; // never emitted a point: nothing to mark stale downstream
      this.builder!.emitStale(g, this.defTime);
    }
  }

  /** The batch of this append (ownership passes to the caller); the appender keeps no reference to it. */
  finish(): MetricsData {
    const md = this.builder!.finish();
    this.builder = undefined;
    return md;
  }

  /** The five synthetic series (Prometheus `report`), at the scrape's timestamp. */
  report(groups: readonly PointGroup[], up: boolean, durationSeconds: number): void {
    const values = [up ? 1 : 0, durationSeconds, this.total, this.added, this.seriesAdded];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      g.iter = this.id;
      g.tsMs = this.defTime;
      g.hasValue = true;
      g.value = values[i]!;
      g.createdMs = -1;
      g.exemplars = undefined;
      this.builder!.emit(g);
      g.emitId = this.id;
    }
  }
}
