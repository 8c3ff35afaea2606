/**
 * Shared machinery of the text 0.0.4 and OpenMetrics pull parsers: input handling (whole string, whole buffer, or
 * streamed byte chunks), the state of the current entry, and its accessors.
 *
 * Contract
 * - A parser owns one input. `next()` (in the subclasses) advances one entry and returns its `EntryType`; the
 *   accessors below describe that entry until the next call. Accessors that do not apply to the current entry type
 *   return stale values; do not rely on them.
 * - Strings returned by accessors are slices of the decoded input and may keep the whole decoded chunk alive in V8
 *   (sliced strings). A cache that keeps them beyond the scrape should detach them (e.g. `(' ' + s).slice(1)`, which
 *   flattens into a fresh string) or accept that retention.
 * - Label values are unescaped lazily, only when `labelValue(i)` is called and only if the value had a backslash.
 *   `series()` is the raw line prefix (name plus label block) and costs no unescaping: use it as a cache key.
 * - Streaming: a parser created without input accepts `write(chunk)` and `end()`; `next()` returns `NeedMore` when
 *   the complete lines written so far are consumed. Memory is one chunk plus one partial line, never the whole body.
 * - Lazy labels (`lazyLabels`, off by default; the scrape loop turns it on): a series line's label block is only
 *   skipped (to find where the series text ends) and parsed on the first label accessor call. `next()` then does not
 *   report label errors itself; the first label accessor does (same message and position), and so does any other
 *   error on that line (a bad value, say), which parses the labels first so that their errors keep precedence. For
 *   callers that read the labels only of series they have not seen before (a cache keyed by `series()`: identical
 *   text was parsed and validated when first seen).
 * - Invalid UTF-8 in byte input is detected per block (node:buffer isUtf8); in such a block a label value or HELP text
 *   containing U+FFFD is rejected as invalid UTF-8 (a genuine U+FFFD next to invalid bytes elsewhere in the same
 *   block is rejected too; that is the documented imprecision of this cheap check).
 */
import { isUtf8 } from 'node:buffer';
import { LineChunker } from './chunker.ts';
import { parseFloatAt } from './float.ts';
import { isNameChar, labelSetHash, quote, unescape } from './lex.ts';
import { EntryType, ParseError } from './types.ts';
import type { MetricType } from './types.ts';

export abstract class BaseParser {
  protected src = '';
  protected pos = 0;
  protected lineNo = 0;
  /** No more input will arrive (always true for whole-input parsers). */
  protected ended = true;
  /** The current block had invalid UTF-8 (decoded with U+FFFD replacements). */
  protected badUtf8 = false;
  /** No entry is current (nothing returned yet, or the last next() returned NeedMore / EOF). */
  protected idle = true;
  /** See the contract: label blocks are parsed on first use. */
  lazyLabels = false;
  /** The current series' label block (from `labelsFrom`, just after '{') is not parsed yet. */
  protected labelsPending = false;
  /**
   * With `lazyLabels`: the series text expected on the next series line ('' for none; the scrape cache's from the
   * last scrape). FAST PATH: a line starting with it and a blank skips the label-block scan (identical text was
   * validated when first seen) and `seriesIs(guess)` needs no compare. Other lines parse as usual.
   */
  guess = '';
  /** The current series line matched `guess`. */
  protected guessHit = false;
  private labelsFrom = 0;
  private readonly chunker: LineChunker | null;
  /**
   * Text format 0.0.4 (else OpenMetrics). Where they differ here: text HELP keeps `\"` as written (promparse's
   * helpReplacer), OpenMetrics unescapes it; text checks a series' label names for duplicates after its value,
   * OpenMetrics right after the label block.
   */
  private readonly text: boolean;
  /** Index of the next backslash at or after the last query point, or src.length when there is none. */
  private bsPos = -1;
  /** The query point bsPos was computed for (valid for queries at or after it). */
  private bsFrom = 0;

  protected lineStart = 0;
  protected lineEnd = 0;
  protected nameStart = 0;
  protected nameEnd = 0;
  protected seriesEnd = 0;
  protected nLabels = 0;
  /** Four offsets per label: name start, name end, value start, value end (value without quotes). */
  protected lab = new Int32Array(64);
  protected labEsc = new Uint8Array(16);
  protected val = 0;
  protected hasTs = false;
  protected tsMs = 0;
  protected tsSec = 0;
  protected textStart = 0;
  protected textEnd = 0;
  protected mtype: MetricType = 'unknown';
  protected hasEx = false;
  protected nExLabels = 0;
  protected exLab = new Int32Array(16);
  protected exLabEsc = new Uint8Array(4);
  protected exVal = 0;
  protected exHasTs = false;
  protected exTsMs = 0;
  protected exTsSec = 0;

  constructor(input: string | Uint8Array | undefined, text: boolean) {
    this.text = text;
    if (input === undefined) {
      this.ended = false;
      this.chunker = new LineChunker();
    } else {
      this.chunker = null;
      if (typeof input === 'string') this.src = input;
      else this.appendBytes(input);
    }
  }

  /** Streaming only: add the next chunk of the body. */
  write(chunk: Uint8Array): void {
    if (this.chunker === null || this.ended) throw new Error('promtext: write() on a parser that is not streaming');
    const block = this.chunker.push(chunk);
    if (block !== null) this.appendBytes(block);
  }

  /** Streaming only: no more chunks; the carried partial last line becomes the final line. */
  end(): void {
    if (this.chunker === null || this.ended) return;
    this.ended = true;
    const rest = this.chunker.flush();
    if (rest !== null) this.appendBytes(rest);
  }

  private appendBytes(b: Uint8Array): void {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    const bad = !isUtf8(buf);
    const text = buf.toString('utf8');
    if (this.idle && this.pos >= this.src.length) {
      // Usual case: the previous block is fully consumed and no entry refers to it any more.
      this.src = text;
      this.pos = 0;
      this.badUtf8 = bad;
    } else {
      // Written before draining (or while an entry is current): append so offsets stay valid.
      this.src += text;
      this.badUtf8 = this.badUtf8 || bad;
    }
    this.bsPos = -1;
    this.bsFrom = 0;
  }

  abstract next(): EntryType;

  // ---- accessors -------------------------------------------------------------------------------------------------

  /** 1-based number of the line the current entry came from. */
  line(): number {
    return this.lineNo;
  }
  /** Metric name of a Series entry, or the name a HELP / TYPE / UNIT line is about. */
  metricName(): string {
    return this.src.slice(this.nameStart, this.nameEnd);
  }
  /** True if the current metric name is `name` (compared in place, no allocation). */
  metricNameIs(name: string): boolean {
    return this.nameEnd - this.nameStart === name.length && this.textAt(this.nameStart, name);
  }
  metadataName(): string {
    return this.src.slice(this.nameStart, this.nameEnd);
  }
  /** Raw series text (name and label block as written, escapes intact): a cheap scrape-cache key. */
  series(): string {
    return this.src.slice(this.nameStart, this.seriesEnd);
  }
  /** `series() === s`, compared in place: no substring is made (FAST PATH of a cache that guesses the entry). */
  seriesIs(s: string): boolean {
    if (this.guessHit && s === this.guess) return true;
    return this.seriesEnd - this.nameStart === s.length && this.src.slice(this.nameStart, this.seriesEnd) === s;
  }
  labelCount(): number {
    if (this.labelsPending) this.parsePendingLabels();
    return this.nLabels;
  }
  labelName(i: number): string {
    if (this.labelsPending) this.parsePendingLabels();
    return this.src.slice(this.lab[4 * i] as number, this.lab[4 * i + 1] as number);
  }
  labelValue(i: number): string {
    if (this.labelsPending) this.parsePendingLabels();
    const s = this.lab[4 * i + 2] as number;
    const e = this.lab[4 * i + 3] as number;
    // Fast path: the scanner saw no backslash in this value, so it is the raw slice.
    return this.labEsc[i] === 0 ? this.src.slice(s, e) : unescape(this.src, s, e, false);
  }
  /** Index of the label called `name`, or -1. Compares in place, no allocation. */
  labelIndex(name: string): number {
    if (this.labelsPending) this.parsePendingLabels();
    const lab = this.lab;
    for (let i = 0; i < this.nLabels; i++) {
      const ns = lab[4 * i] as number;
      if ((lab[4 * i + 1] as number) - ns === name.length && this.textAt(ns, name)) return i;
    }
    return -1;
  }

  /**
   * 53-bit hash of the label set without the label called `skip` ('' = none): name and unescaped value per label,
   * combined order-independently, so the same set hashes the same whatever its order or escaping. No allocation.
   */
  labelSetHash(skip: string): number {
    if (this.labelsPending) this.parsePendingLabels();
    return labelSetHash(this.src, this.lab, this.nLabels, skip);
  }

  /** True if `str` occurs in the input at `pos` (a char loop: faster than startsWith for short names). */
  private textAt(pos: number, str: string): boolean {
    const src = this.src;
    for (let i = 0; i < str.length; i++) if (src.charCodeAt(pos + i) !== str.charCodeAt(i)) return false;
    return true;
  }

  /** Value of label i parsed as a float (Go syntax), or undefined; in place unless the value had escapes. */
  labelValueNumber(i: number): number | undefined {
    if (this.labelsPending) this.parsePendingLabels();
    if (this.labEsc[i] !== 0) {
      const v = this.labelValue(i);
      return parseFloatAt(v, 0, v.length);
    }
    return parseFloatAt(this.src, this.lab[4 * i + 2] as number, this.lab[4 * i + 3] as number);
  }

  /** True if label i's raw value text is exactly `str`. */
  labelValueIs(i: number, str: string): boolean {
    if (this.labelsPending) this.parsePendingLabels();
    const s = this.lab[4 * i + 2] as number;
    return (this.lab[4 * i + 3] as number) - s === str.length && this.textAt(s, str);
  }

  /** Appends the labels as flat [name0, value0, name1, value1, ...] to `out` (in line order) and returns it. */
  labels(out: string[] = []): string[] {
    if (this.labelsPending) this.parsePendingLabels();
    for (let i = 0; i < this.nLabels; i++) out.push(this.labelName(i), this.labelValue(i));
    return out;
  }
  value(): number {
    return this.val;
  }
  hasTimestamp(): boolean {
    return this.hasTs;
  }
  /** Milliseconds (text: as written; OpenMetrics: seconds * 1000 truncated, as Prometheus). */
  timestamp(): number {
    return this.tsMs;
  }
  /** Seconds as written (OpenMetrics) or ms / 1000 (text); used by validation to compare exactly. */
  timestampSeconds(): number {
    return this.tsSec;
  }
  /** HELP text, unescaped per format (see `text`). */
  help(): string {
    // Fast path: HELP without a backslash needs no unescaping.
    const s = this.textStart;
    const e = this.textEnd;
    return this.hasBackslash(s, e) ? unescape(this.src, s, e, this.text) : this.src.slice(s, e);
  }
  unit(): string {
    return this.src.slice(this.textStart, this.textEnd);
  }
  metricType(): MetricType {
    return this.mtype;
  }
  comment(): string {
    return this.src.slice(this.textStart, this.textEnd);
  }
  hasExemplar(): boolean {
    return this.hasEx;
  }
  exemplarLabelCount(): number {
    return this.nExLabels;
  }
  exemplarLabelName(i: number): string {
    return this.src.slice(this.exLab[4 * i] as number, this.exLab[4 * i + 1] as number);
  }
  exemplarLabelValue(i: number): string {
    const s = this.exLab[4 * i + 2] as number;
    const e = this.exLab[4 * i + 3] as number;
    return this.exLabEsc[i] === 0 ? this.src.slice(s, e) : unescape(this.src, s, e, false);
  }
  exemplarValue(): number {
    return this.exVal;
  }
  exemplarHasTimestamp(): boolean {
    return this.exHasTs;
  }
  exemplarTimestamp(): number {
    return this.exTsMs;
  }
  exemplarTimestampSeconds(): number {
    return this.exTsSec;
  }

  // ---- scanning helpers for subclasses ---------------------------------------------------------------------------

  protected fail(reason: string, at: number): never {
    // A lazily skipped label block is parsed first: its syntax errors come before any later error on the line (and
    // so do duplicate names in OpenMetrics, which checks them before the value; text 0.0.4 checks them last).
    if (this.labelsPending) this.parsePendingLabels(!this.text);
    throw new ParseError(reason, this.lineNo, at - this.lineStart + 1);
  }

  /** Parses (and checks) the current series' label block that `lazyLabels` skipped; throws ParseError on errors. */
  private parsePendingLabels(check = true): void {
    this.labelsPending = false;
    this.nLabels = 0;
    this.parseLabelBlock(this.labelsFrom, this.lineEnd);
    if (check && (this.nLabels > 1 || this.badUtf8)) this.checkLabels(this.lab, this.nLabels, 'series');
  }

  /** The format's label-block parser (after '{'); returns the index after '}'. */
  protected abstract parseLabelBlock(p: number, eol: number): number;

  /**
   * With `lazyLabels`, defers the label block that starts at p (after '{'): returns the index after its '}' and
   * leaves the block pending; -1 when labels are parsed now (lazy off, or no closing '}' found: the caller's eager
   * parse then reports the error).
   */
  /**
   * FAST PATH of `guess`: when the series line whose name starts at p begins with the guessed series text followed by
   * a blank (and, for a guess without labels, no label block after the blanks), sets the name, the pending label
   * block and `seriesEnd`, and returns `seriesEnd`; otherwise -1 and nothing is set.
   */
  protected deferByGuess(p: number, eol: number): number {
    const g = this.guess;
    const n = g.length;
    this.guessHit = false;
    if (n === 0 || !this.lazyLabels || p + n >= eol) return -1;
    const src = this.src;
    // A slice (no copy) and `===` (a memcmp) costs ~1/3 of startsWith's per-character loop (measured, V8 13).
    if (src.slice(p, p + n) !== g) return -1;
    const end = p + n;
    let c = src.charCodeAt(end);
    if (c !== 32 && c !== 9) return -1;
    const labels = g.charCodeAt(n - 1) === 125; /* } : names cannot contain it */
    if (!labels) {
      let r = end;
      while (c === 32 || c === 9) c = src.charCodeAt(++r);
      if (c === 123 /* { */) return -1;
    }
    let q = p + 1;
    while (q < end && isNameChar(src.charCodeAt(q))) q++;
    this.nameEnd = q;
    if (labels) {
      while ((c = src.charCodeAt(q)) === 32 || c === 9) q++;
      this.labelsFrom = q + 1;
    }
    this.labelsPending = labels;
    this.seriesEnd = end;
    this.guessHit = true;
    return end;
  }

  protected deferLabels(p: number, eol: number): number {
    if (!this.lazyLabels) return -1;
    const end = this.skipLabelBlock(p, eol);
    if (end >= 0) {
      this.labelsFrom = p;
      this.labelsPending = true;
    }
    return end;
  }

  /**
   * FAST PATH of `lazyLabels`: the index just after the '}' closing the label block that starts at p (after '{'),
   * skipping quoted values (escapes honoured) without looking at names; -1 when the line ends first.
   */
  private skipLabelBlock(p: number, eol: number): number {
    const src = this.src;
    let close = src.indexOf('}', p);
    for (;;) {
      if (close < 0 || close >= eol) return -1;
      const q = src.indexOf('"', p);
      if (q < 0 || q > close) return close + 1;
      const end = this.scanQuoted(q + 1, eol);
      if (end < 0) return -1;
      p = end + 1;
      if (p > close) close = src.indexOf('}', p); // that '}' was inside the quoted value
    }
  }

  /** Describes the text at p for an error message: a short quoted token, or end of line / input. */
  protected got(p: number): string {
    if (p >= this.lineEnd) return this.lineEnd >= this.src.length && this.ended ? 'end of input' : 'end of line';
    let e = p + 1;
    while (e < this.lineEnd && e - p < 24) {
      const c = this.src.charCodeAt(e);
      if (c === 32 || c === 9) break;
      e++;
    }
    return quote(this.src.slice(p, e));
  }

  protected quoteRange(s: number, e: number): string {
    return quote(this.src.slice(s, e));
  }

  /** True if a backslash occurs in [from, to). Amortised O(1): remembers the next backslash of the block. */
  protected hasBackslash(from: number, to: number): boolean {
    if (this.bsPos < from || from < this.bsFrom) {
      const i = this.src.indexOf('\\', from);
      this.bsPos = i < 0 ? this.src.length : i;
      this.bsFrom = from;
    }
    return this.bsPos < to;
  }

  /**
   * Scans a quoted label value whose opening quote is at q-1. Returns the index of the closing quote, or -1 if the
   * line ends first. Sets `this.lastEsc` when the value holds a backslash.
   */
  protected lastEsc = 0;
  protected scanQuoted(q: number, eol: number): number {
    const src = this.src;
    const close = src.indexOf('"', q);
    if (close < 0 || close >= eol) {
      this.lastEsc = 0;
      return -1;
    }
    // Fast path (the usual value, e.g. `code="200"`): no backslash before the first quote, so it is the close.
    if (!this.hasBackslash(q, close)) {
      this.lastEsc = 0;
      return close;
    }
    this.lastEsc = 1;
    for (let i = q; i < eol; i++) {
      const c = src.charCodeAt(i);
      if (c === 34) return i;
      if (c === 92) i++;
    }
    return -1;
  }

  protected pushLabel(ns: number, ne: number, vs: number, ve: number, esc: number): void {
    const i = this.nLabels++;
    if (4 * i + 4 > this.lab.length) {
      this.lab = doubled(this.lab, new Int32Array(this.lab.length * 2));
      this.labEsc = doubled(this.labEsc, new Uint8Array(this.labEsc.length * 2));
    }
    this.lab[4 * i] = ns;
    this.lab[4 * i + 1] = ne;
    this.lab[4 * i + 2] = vs;
    this.lab[4 * i + 3] = ve;
    this.labEsc[i] = esc;
  }

  protected pushExLabel(ns: number, ne: number, vs: number, ve: number, esc: number): void {
    const i = this.nExLabels++;
    if (4 * i + 4 > this.exLab.length) {
      this.exLab = doubled(this.exLab, new Int32Array(this.exLab.length * 2));
      this.exLabEsc = doubled(this.exLabEsc, new Uint8Array(this.exLabEsc.length * 2));
    }
    this.exLab[4 * i] = ns;
    this.exLab[4 * i + 1] = ne;
    this.exLab[4 * i + 2] = vs;
    this.exLab[4 * i + 3] = ve;
    this.exLabEsc[i] = esc;
  }

  private rangeEq(a: number, ae: number, b: number, be: number): boolean {
    if (ae - a !== be - b) return false;
    const s = this.src;
    for (let i = 0; i < ae - a; i++) if (s.charCodeAt(a + i) !== s.charCodeAt(b + i)) return false;
    return true;
  }

  /** Throws on a repeated label name in the series (or exemplar) label set. */
  protected checkLabels(offs: Int32Array, n: number, what: string): void {
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < i; j++) {
        if (this.rangeEq(offs[4 * i] as number, offs[4 * i + 1] as number, offs[4 * j] as number, offs[4 * j + 1] as number)) {
          this.fail(`duplicate label name ${this.quoteRange(offs[4 * i] as number, offs[4 * i + 1] as number)} in ${what}`, offs[4 * i] as number);
        }
      }
    }
    if (this.badUtf8) {
      for (let i = 0; i < n; i++) {
        const s = offs[4 * i + 2] as number;
        const e = offs[4 * i + 3] as number;
        const k = this.indexIn(0xfffd, s, e);
        if (k >= 0) this.fail(`invalid UTF-8 in label value`, k);
      }
    }
  }

  /** Throws if the current block had invalid UTF-8 and [s, e) holds a replacement character. */
  protected checkTextUtf8(s: number, e: number): void {
    if (!this.badUtf8) return;
    const k = this.indexIn(0xfffd, s, e);
    if (k >= 0) this.fail('invalid UTF-8 in HELP text', k);
  }

  /** Index of char code `c` in [s, e), or -1 (bounded, unlike indexOf). */
  private indexIn(c: number, s: number, e: number): number {
    for (let i = s; i < e; i++) if (this.src.charCodeAt(i) === c) return i;
    return -1;
  }
}

/** `to` (twice as long) holding `from`'s contents: growth of the label offset tables. */
function doubled<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
