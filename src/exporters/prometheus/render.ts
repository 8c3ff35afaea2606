/**
 * Renders a SeriesStore as Prometheus text 0.0.4 or OpenMetrics 1.0.0, as bytes, into 64 KiB chunks.
 *
 * Contract
 * - Families sorted by name, one HELP (when the description is non-empty) and one TYPE per family, each point's
 *   samples together in translator order (buckets ascending, +Inf, `_sum`, `_count`). Empty families are skipped
 *   (a family's header is written just before its first written sample).
 * - Text: types counter/gauge/histogram/summary/untyped (unknown -> untyped; info and stateset -> gauge); values as
 *   client_golang (Go 'g' shortest); timestamps (with `send_timestamps`) in integer ms.
 * - OpenMetrics: counter families are named without `_total` and their samples always end in `_total`; `# UNIT`
 *   when the unit is a suffix of the name; target_info is an `info` family (`# TYPE target info`); bucket/count
 *   values written as integers, other values with `.0`; timestamps in seconds; the latest exemplar of each counter /
 *   bucket sample; histogram `_count` only together with `_sum` (an OpenMetrics rule); counter samples that are NaN
 *   or negative are left out (invalid in OpenMetrics); ends with `# EOF`.
 * - Escaping, TYPE names and number formats are the exposition writer's (codec/promtext/writer.ts, float.ts).
 * - `match[]` selectors (Prometheus /federate semantics, any selector may match): a point is served whole when any of
 *   its series matches, so histogram and summary groups stay valid.
 * - Output: `step` fills pooled 64 KiB Buffers (a line longer than a chunk gets a buffer of its own); `take()` hands
 *   over the filled ones, `finish()` the rest with `# EOF`. Every chunk is whole lines, so valid UTF-8 on its own.
 *   Chunks handed over belong to the caller, who gives each back with `releaseChunk` once nothing reads it any more
 *   (never twice); `discard()` gives back what was not handed over. The pool keeps at most 32 free chunks.
 * - `Render.step(deadline, budget)` renders until `performance.now()` passes `deadline` (checked every ~1k points,
 *   also inside a family) or `budget` bytes of filled chunks wait to be taken, and says whether it finished, so the
 *   HTTP server can yield to the event loop / the socket between slices and give up at its render timeout. Points
 *   added or removed between slices are seen or skipped as Map iteration allows.
 *
 * Hot path: no per-line strings. Per sample: the cached series text (`name{labels}`, flat one-byte string when
 * ASCII, written by one `Buffer.write`), then the value: integers below 1e6 (Go's 'g' switches to exponent form
 * there) and bucket/count integers as digits straight into the buffer, other values formatted once and cached on the
 * sample until it changes (store.ts clears the cache). HELP/TYPE lines are cached per family.
 */
import { formatFloat, formatFloatOM, formatMsAsSeconds } from '../../codec/promtext/float.ts';
import type { Format } from '../../codec/promtext/types.ts';
import { escapeHelp, escapeLabelValue, formatCountOM, putAscii, putInt, textTypeName } from '../../codec/promtext/writer.ts';
import type { Selector } from '../../selector/selector.ts';
import { selectorMatchesNamed } from '../../selector/selector.ts';
import type { PromExemplar } from '../../translate/prometheus/index.ts';
import { SeriesKind } from '../../translate/prometheus/index.ts';
import type { SeriesStore, StoredFamily, StoredPoint } from './store.ts';

export const CHUNK_BYTES = 64 * 1024;
const POOL_MAX = 32;
const pool: Buffer[] = [];
/** The memory of every chunk this module allocated (only those go back to the pool). */
const chunks = new WeakSet<ArrayBufferLike>();

function takeChunk(): Buffer {
  const b = pool.pop();
  if (b !== undefined) return b;
  const fresh = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  chunks.add(fresh.buffer);
  return fresh;
}

/** Gives a chunk (or a view of one from `take`/`finish`) back to the pool; other buffers are left to GC. */
export function releaseChunk(b: Uint8Array): void {
  if (pool.length >= POOL_MAX || b.byteOffset !== 0 || !chunks.has(b.buffer)) return;
  for (const p of pool) if (p.buffer === b.buffer) return; // already back (a double release must not share a chunk)
  pool.push(Buffer.from(b.buffer, 0, CHUNK_BYTES));
}

/** Room for everything after the series text on one line: ' ' value (<= 24) ' ' timestamp (<= 24) '\n'. */
const TAIL = 64;

function textHeader(f: StoredFamily): string {
  let h = f.help === '' ? '' : '# HELP ' + f.name + ' ' + escapeHelp(f.help, false) + '\n';
  h += '# TYPE ' + f.name + ' ' + textTypeName(f.type) + '\n';
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

function omExemplar(e: PromExemplar): string {
  let out = ' # {';
  for (let i = 0; i < e.labels.length; i++) {
    const l = e.labels[i]!;
    out += (i === 0 ? '' : ',') + l.name + '="' + escapeLabelValue(l.value) + '"';
  }
  return out + '} ' + formatFloatOM(e.value) + (e.timestampMs !== 0 ? ' ' + formatMsAsSeconds(e.timestampMs) : '');
}

function pointMatches(p: StoredPoint, selectors: readonly Selector[]): boolean {
  for (const s of p.samples) {
    for (const sel of selectors) if (selectorMatchesNamed(sel, s.ref.name, s.ref.labels)) return true;
  }
  return false;
}

/** Integral and in (-1e6, 1e6): Go's 'g' shortest writes it as plain digits (-0 as `0`). */
const smallInt = (v: number): boolean => v > -1e6 && v < 1e6 && Math.floor(v) === v;

export interface RenderOptions {
  readonly format: Format;
  readonly timestamps: boolean;
  /** `match[]` selectors; undefined or empty = everything. */
  readonly selectors?: readonly Selector[] | undefined;
}

const CHECK_EVERY = 1024;
const EOF_LINE = '# EOF\n';

export class Render {
  private readonly families: readonly StoredFamily[];
  private readonly om: boolean;
  private readonly timestamps: boolean;
  private readonly selectors: readonly Selector[] | undefined;
  // Output: the chunk being filled and the filled ones not taken yet.
  private buf: Buffer;
  private off = 0;
  private ready: Buffer[] = [];
  private readyBytes = 0;
  // Position, so a render can stop between two points and resume in the next slice.
  private fi = 0;
  private it: Iterator<StoredPoint> | undefined = undefined;
  private headed = false;
  /** Series written so far. */
  series = 0;
  /** Bytes handed over by take()/finish() so far. */
  bytes = 0;

  constructor(store: SeriesStore, opts: RenderOptions) {
    this.families = store.sortedFamilies();
    this.om = opts.format === 'openmetrics';
    this.timestamps = opts.timestamps;
    this.selectors = opts.selectors !== undefined && opts.selectors.length > 0 ? opts.selectors : undefined;
    this.buf = takeChunk();
  }

  /**
   * Renders until `deadline` (performance.now() ms) passes, checked every ~1k points, or until at least `budget`
   * bytes of filled chunks wait in `take()`; true when done (then call `finish()`).
   */
  step(deadline = Infinity, budget = Infinity): boolean {
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
        this.headed = false;
      }
      const it = this.it;
      for (let r = it.next(); !r.done; r = it.next()) {
        if (this.om) this.pointOM(f, r.value);
        else this.pointText(f, r.value);
        if (this.readyBytes >= budget) return false;
        if (check && ++sinceCheck >= CHECK_EVERY) {
          sinceCheck = 0;
          if (performance.now() > deadline) return false;
        }
      }
      this.it = undefined;
      this.fi++;
    }
    return true;
  }

  /** The filled chunks rendered so far (now the caller's: `releaseChunk` each when sent). */
  take(): Buffer[] {
    const out = this.ready;
    this.ready = [];
    this.bytes += this.readyBytes;
    this.readyBytes = 0;
    return out;
  }

  /** After `step` returned true: the remaining chunks, `# EOF` included for OpenMetrics (the caller's, as `take`). */
  finish(): Buffer[] {
    if (this.om) this.putString(EOF_LINE, EOF_LINE.length);
    this.seal();
    releaseChunk(this.buf); // still ours only when it was empty
    this.buf = Buffer.alloc(0);
    return this.take();
  }

  /** Gives every chunk not handed over back to the pool (a render abandoned half way). */
  discard(): void {
    for (const c of this.ready) releaseChunk(c);
    this.ready = [];
    this.readyBytes = 0;
    releaseChunk(this.buf);
    this.buf = Buffer.alloc(0);
    this.off = 0;
  }

  /** Moves the current chunk (when not empty) to `ready`. */
  private seal(): void {
    if (this.off === 0) return;
    this.ready.push(this.off === this.buf.length ? this.buf : this.buf.subarray(0, this.off));
    this.readyBytes += this.off;
    this.buf = Buffer.alloc(0);
    this.off = 0;
  }

  /** Makes sure `need` bytes fit in the current chunk. */
  private room(need: number): void {
    if (this.off + need <= this.buf.length) return;
    this.seal();
    if (need <= this.buf.length) return; // the current chunk was empty and is big enough
    releaseChunk(this.buf);
    this.buf = need <= CHUNK_BYTES ? takeChunk() : Buffer.allocUnsafe(need);
  }

  /** Writes a string that may hold any characters; `len` is its length in UTF-16 units. */
  private putString(s: string, len: number): void {
    this.room(len * 3);
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  private header(f: StoredFamily): void {
    const h = this.om ? (f.omHeader ??= omHeader(f)) : (f.textHeader ??= textHeader(f));
    this.putString(h, h.length);
    this.headed = true;
  }

  private pointText(f: StoredFamily, p: StoredPoint): void {
    if (this.selectors !== undefined && !pointMatches(p, this.selectors)) return;
    if (!this.headed) this.header(f);
    const ss = p.samples;
    const timestamps = this.timestamps;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      const prefix = s.prefix;
      this.room((s.ascii ? prefix.length : prefix.length * 3) + TAIL);
      const buf = this.buf;
      let off = this.off;
      off += buf.write(prefix, off, s.ascii ? 'latin1' : 'utf8');
      buf[off++] = 32;
      const v = s.value;
      if (smallInt(v)) off = putInt(buf, off, v);
      else off = putAscii(buf, off, (s.text ??= formatFloat(v)));
      if (timestamps) {
        buf[off++] = 32;
        const ts = s.ts;
        off = Number.isSafeInteger(ts) ? putInt(buf, off, ts) : putAscii(buf, off, String(ts));
      }
      buf[off++] = 10;
      this.off = off;
    }
    this.series += ss.length;
  }

  private pointOM(f: StoredFamily, p: StoredPoint): void {
    if (this.selectors !== undefined && !pointMatches(p, this.selectors)) return;
    const ss = p.samples;
    const skipCount = f.type === 'histogram' && !p.hasSum;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      const kind = s.kind;
      if (skipCount && kind === SeriesKind.COUNT) continue;
      const v = s.value;
      let prefix = s.prefix;
      let ex = '';
      if (kind === SeriesKind.COUNTER) {
        if (!(v >= 0)) continue;
        const name = s.ref.name;
        if (!name.endsWith('_total')) prefix = s.omPrefix ??= name + '_total' + prefix.slice(name.length);
      }
      if (s.exemplar !== undefined && (kind === SeriesKind.COUNTER || kind === SeriesKind.BUCKET)) ex = s.omEx ??= omExemplar(s.exemplar);
      if (!this.headed) this.header(f);
      this.room((s.ascii ? prefix.length : prefix.length * 3) + TAIL + ex.length * 3);
      const buf = this.buf;
      let off = this.off;
      off += buf.write(prefix, off, s.ascii ? 'latin1' : 'utf8');
      buf[off++] = 32;
      if (kind === SeriesKind.BUCKET || kind === SeriesKind.COUNT) {
        if (v >= 0 && Number.isSafeInteger(v)) off = putInt(buf, off, v);
        else off = putAscii(buf, off, (s.om ??= formatCountOM(v)));
      } else if (smallInt(v)) {
        off = putInt(buf, off, v);
        buf[off++] = 46; // formatFloatOM: integral values get `.0`
        buf[off++] = 48;
      } else off = putAscii(buf, off, (s.om ??= formatFloatOM(v)));
      if (this.timestamps) {
        buf[off++] = 32;
        off = putAscii(buf, off, formatMsAsSeconds(s.ts));
      }
      if (ex !== '') off += buf.write(ex, off, 'utf8');
      buf[off++] = 10;
      this.off = off;
      this.series++;
    }
  }
}

/**
 * Renders everything synchronously, calling `sink` with each chunk (valid only during the call: the chunk goes back
 * to the pool afterwards). Returns the bytes rendered.
 */
export function renderTo(store: SeriesStore, opts: RenderOptions, sink: (chunk: Buffer) => void): number {
  const r = new Render(store, opts);
  for (;;) {
    const done = r.step(Infinity, CHUNK_BYTES);
    for (const c of done ? r.finish() : r.take()) {
      sink(c);
      releaseChunk(c);
    }
    if (done) return r.bytes;
  }
}

/** Renders everything synchronously into one string (tests, benchmarks). */
export function renderAll(store: SeriesStore, opts: RenderOptions): string {
  const parts: Buffer[] = [];
  renderTo(store, opts, (c) => parts.push(Buffer.from(c)));
  return Buffer.concat(parts).toString('utf8');
}
