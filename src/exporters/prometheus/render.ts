/**
 * Renders a SeriesStore as Prometheus text 0.0.4 or OpenMetrics 1.0.0.
 *
 * Contract
 * - Families sorted by name, one HELP (when the description is non-empty) and one TYPE per family, each point's
 *   samples together in translator order (buckets ascending, +Inf, `_sum`, `_count`). Empty families are skipped.
 * - Text: types counter/gauge/histogram/summary/untyped (unknown -> untyped; info and stateset -> gauge); values as
 *   client_golang (Go 'g' shortest); timestamps (with `send_timestamps`) in integer ms.
 * - OpenMetrics: counter families are named without `_total` and their samples always end in `_total`; `# UNIT`
 *   when the unit is a suffix of the name; target_info is an `info` family (`# TYPE target info`); bucket/count
 *   values written as integers, other values with `.0`; timestamps in seconds; the latest exemplar of each counter /
 *   bucket sample; histogram `_count` only together with `_sum` (an OpenMetrics rule); counter samples that are NaN
 *   or negative are left out (invalid in OpenMetrics); ends with `# EOF`.
 * - `match[]` selectors (Prometheus /federate semantics, any selector may match): a point is served whole when any of
 *   its series matches, so histogram and summary groups stay valid.
 * - FAST PATH: each sample's rendered line is cached on the sample until its value changes; the series text
 *   (`name{labels}`) is cached for the series' lifetime. A render is string concatenation of cached lines.
 * - `Render.step(deadline)` renders until `performance.now()` passes `deadline` (checked every ~1k points, also inside
 *   a family) and says whether it finished, so the HTTP server can yield to the event loop between slices and give up
 *   at its render timeout. Points added or removed between slices are seen or skipped as Map iteration allows.
 */
import { formatFloat, formatFloatOM, formatMsAsSeconds, escapeLabelValue } from '../../codec/promtext/index.ts';
import type { Format } from '../../codec/promtext/index.ts';
import type { Selector } from '../../selector/selector.ts';
import { selectorMatchesNamed } from '../../selector/selector.ts';
import type { PromExemplar } from '../../translate/prometheus/index.ts';
import { SeriesKind } from '../../translate/prometheus/index.ts';
import type { SeriesStore, StoredFamily, StoredPoint, StoredSample } from './store.ts';

function escapeHelp(s: string, om: boolean): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const rep = c === 92 ? '\\\\' : c === 10 ? '\\n' : om && c === 34 ? '\\"' : null;
    if (rep !== null) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

function textType(t: string): string {
  switch (t) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return t;
    case 'info':
    case 'stateset':
      return 'gauge';
    default:
      return 'untyped';
  }
}

function textHeader(f: StoredFamily): string {
  let h = f.help === '' ? '' : '# HELP ' + f.name + ' ' + escapeHelp(f.help, false) + '\n';
  h += '# TYPE ' + f.name + ' ' + textType(f.type) + '\n';
  return h;
}

/** OpenMetrics family name: counters without `_total`, target_info without `_info`. */
function omBase(f: StoredFamily): string {
  if (f.type === 'counter' && f.name.endsWith('_total')) return f.name.slice(0, -6);
  if (f.targetInfo && f.name.endsWith('_info')) return f.name.slice(0, -5);
  return f.name;
}

function omHeader(f: StoredFamily): string {
  const base = omBase(f);
  const t = f.targetInfo ? 'info' : f.type === 'counter' || f.type === 'histogram' || f.type === 'summary' || f.type === 'unknown' ? f.type : 'gauge';
  let h = f.help === '' ? '' : '# HELP ' + base + ' ' + escapeHelp(f.help, true) + '\n';
  h += '# TYPE ' + base + ' ' + t + '\n';
  if (f.unit !== '' && t !== 'info' && base.endsWith('_' + f.unit)) h += '# UNIT ' + base + ' ' + f.unit + '\n';
  return h;
}

function textLine(s: StoredSample, timestamps: boolean): string {
  let l = s.prefix + ' ' + formatFloat(s.value);
  if (timestamps) l += ' ' + String(s.ts);
  return l + '\n';
}

function omExemplar(e: PromExemplar): string {
  let out = ' # {';
  for (let i = 0; i < e.labels.length; i++) {
    const l = e.labels[i]!;
    out += (i === 0 ? '' : ',') + l.name + '="' + escapeLabelValue(l.value) + '"';
  }
  return out + '} ' + formatFloatOM(e.value) + (e.timestampMs !== 0 ? ' ' + formatMsAsSeconds(e.timestampMs) : '');
}

/** The OpenMetrics line of a sample, or '' when OpenMetrics cannot carry it. */
function omLine(s: StoredSample, timestamps: boolean): string {
  const v = s.value;
  let prefix = s.prefix;
  let vs: string;
  switch (s.kind) {
    case SeriesKind.COUNTER:
      if (!(v >= 0)) return '';
      if (!s.ref.name.endsWith('_total')) prefix = s.ref.name + '_total' + prefix.slice(s.ref.name.length);
      vs = formatFloatOM(v);
      break;
    case SeriesKind.BUCKET:
    case SeriesKind.COUNT:
      vs = Number.isInteger(v) && v >= 0 && v < 1e21 ? String(v) : formatFloatOM(v);
      break;
    default:
      vs = formatFloatOM(v);
  }
  let l = prefix + ' ' + vs;
  if (timestamps) l += ' ' + formatMsAsSeconds(s.ts);
  if (s.exemplar !== undefined && (s.kind === SeriesKind.COUNTER || s.kind === SeriesKind.BUCKET)) l += omExemplar(s.exemplar);
  return l + '\n';
}

function pointMatches(p: StoredPoint, selectors: readonly Selector[]): boolean {
  for (const s of p.samples) {
    for (const sel of selectors) if (selectorMatchesNamed(sel, s.ref.name, s.ref.labels)) return true;
  }
  return false;
}

export interface RenderOptions {
  readonly format: Format;
  readonly timestamps: boolean;
  /** `match[]` selectors; undefined or empty = everything. */
  readonly selectors?: readonly Selector[] | undefined;
}

const CHECK_EVERY = 1024;

export class Render {
  private readonly families: readonly StoredFamily[];
  private readonly om: boolean;
  private readonly timestamps: boolean;
  private readonly selectors: readonly Selector[] | undefined;
  private readonly parts: string[] = [];
  // Position, so a render can stop between two points and resume in the next slice.
  private fi = 0;
  private it: Iterator<StoredPoint> | undefined = undefined;
  private out = '';
  private n = 0;
  /** Series written so far. */
  series = 0;

  constructor(store: SeriesStore, opts: RenderOptions) {
    this.families = store.sortedFamilies();
    this.om = opts.format === 'openmetrics';
    this.timestamps = opts.timestamps;
    this.selectors = opts.selectors !== undefined && opts.selectors.length > 0 ? opts.selectors : undefined;
  }

  /** Renders until `deadline` (performance.now() ms) passes, checked every ~1k points; true when done. */
  step(deadline = Infinity): boolean {
    const fams = this.families;
    const check = deadline !== Infinity;
    let sinceCheck = 0;
    while (this.fi < fams.length) {
      const f = fams[this.fi]!;
      if (this.it === undefined) {
        if (f.points.size === 0) {
          this.fi++;
          continue;
        }
        this.it = f.points.values();
        this.out = '';
        this.n = 0;
      }
      const it = this.it;
      for (let r = it.next(); !r.done; r = it.next()) {
        if (this.om) this.pointOM(f, r.value);
        else this.pointText(r.value);
        if (check && ++sinceCheck >= CHECK_EVERY) {
          sinceCheck = 0;
          if (performance.now() > deadline) return false;
        }
      }
      if (this.n > 0) {
        this.parts.push(this.om ? (f.omHeader ??= omHeader(f)) : (f.textHeader ??= textHeader(f)), this.out);
        this.series += this.n;
      }
      this.it = undefined;
      this.out = '';
      this.fi++;
    }
    return true;
  }

  /** The exposition (call after `step` returned true). */
  result(): string {
    return this.parts.join('') + (this.om ? '# EOF\n' : '');
  }

  private pointText(p: StoredPoint): void {
    if (this.selectors !== undefined && !pointMatches(p, this.selectors)) return;
    const ss = p.samples;
    const ts = this.timestamps;
    let out = this.out;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      out += s.text ??= textLine(s, ts);
    }
    this.out = out;
    this.n += ss.length;
  }

  private pointOM(f: StoredFamily, p: StoredPoint): void {
    if (this.selectors !== undefined && !pointMatches(p, this.selectors)) return;
    const ss = p.samples;
    const ts = this.timestamps;
    const skipCount = f.type === 'histogram' && !p.hasSum;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      if (skipCount && s.kind === SeriesKind.COUNT) continue;
      const line = (s.om ??= omLine(s, ts));
      if (line !== '') (this.out += line), this.n++;
    }
  }
}

/** Renders everything synchronously (benchmarks, tests). */
export function renderAll(store: SeriesStore, opts: RenderOptions): string {
  const r = new Render(store, opts);
  r.step();
  return r.result();
}
