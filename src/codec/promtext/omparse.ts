/**
 * Pull parser (tokenizer level) for OpenMetrics 1.0.0 text, modelled on Prometheus's model/textparse/
 * openmetricsparse.go (v2.42): the exact line grammar, no family-level semantics.
 *
 * Contract
 * - Entries: HELP, TYPE, UNIT, Series (with optional exemplar); EOF once `# EOF` has been read and nothing follows.
 *   There are no comments and no blank lines in OpenMetrics: any other `#` line or an empty line is an error.
 * - Grammar: single spaces as separators, no leading/trailing blanks; `name{l="v",...} value[ ts][ # {l="v",...}
 *   value[ ts]]\n`. `{}` is allowed, trailing commas are not. Every line ends in `\n` except `# EOF`, which may end
 *   the input directly; missing `# EOF` or any byte after it is an error.
 * - Metadata: `# HELP name text`, `# TYPE name type` (counter|gauge|histogram|gaugehistogram|summary|info|stateset|
 *   unknown), `# UNIT name unit` where a non-empty unit must be a `_unit` suffix of the name. HELP unescapes `\\`,
 *   `\n`, `\"`.
 * - Timestamps are float seconds (NaN/Inf rejected); `timestamp()` is `trunc(seconds * 1000)` as Prometheus does,
 *   `timestampSeconds()` the value as written.
 * - As Prometheus's tokenizer: exemplars only on names ending in `_total` or `_bucket`; duplicate label names
 *   rejected. Family rules (TYPE/sample agreement, ordering, histogram consistency, exemplar length...) are NOT
 *   checked here: pass an `OpenMetricsValidator` (openmetrics-validate.ts) to get the strict behaviour.
 */
import { BaseParser } from './parser-base.ts';
import { isLabelChar, isLabelStart, isNameChar, isNameStart } from './lex.ts';
import { parseFloatAt } from './float.ts';
import { EntryType, ParseError } from './types.ts';
import type { MetricType } from './types.ts';
import type { OpenMetricsValidator } from './openmetrics-validate.ts';

const OM_TYPES: ReadonlySet<string> = new Set([
  'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown',
]);

export class OpenMetricsParser extends BaseParser {
  private sawEOF = false;
  private readonly validator: OpenMetricsValidator | null;

  constructor(input?: string | Uint8Array, validator: OpenMetricsValidator | null = null) {
    super(input, false);
    this.validator = validator;
  }

  next(): EntryType {
    for (;;) {
      const src = this.src;
      const p = this.pos;
      if (p >= src.length) {
        this.idle = true;
        if (!this.ended) return EntryType.NeedMore;
        if (!this.sawEOF) throw this.atInput('data does not end with # EOF');
        return EntryType.EOF;
      }
      if (this.sawEOF) {
        this.lineNo++;
        throw this.atInput('unexpected data after # EOF');
      }
      let eol = src.indexOf('\n', p);
      const hasNL = eol >= 0;
      if (!hasNL) eol = src.length;
      this.lineNo++;
      this.idle = false;
      this.lineStart = p;
      this.lineEnd = eol;
      this.pos = eol + 1;
      const c = src.charCodeAt(p);
      let t: EntryType;
      if (c === 35 /* # */) {
        if (eol - p === 5 && src.startsWith('# EOF', p)) {
          this.sawEOF = true;
          if (this.validator !== null) {
            const err = this.validator.end();
            if (err !== null) this.fail(err, p);
          }
          continue;
        }
        t = this.parseMeta(p, eol);
      } else {
        this.parseSeries(p, eol);
        t = EntryType.Series;
      }
      if (!hasNL) throw this.atInput('data does not end with # EOF');
      if (this.validator !== null) {
        const err = t === EntryType.Series ? this.validator.sample(this) : this.validator.metadata(t, this);
        if (err !== null) this.fail(err, p);
      }
      return t;
    }
  }

  /** An error about the input as a whole (no column): missing or trailing `# EOF`. */
  private atInput(reason: string): ParseError {
    return new ParseError(reason, this.lineNo > 0 ? this.lineNo : 1, 0);
  }

  private parseMeta(p: number, eol: number): EntryType {
    const src = this.src;
    let kind: EntryType;
    let what: string;
    if (src.startsWith('# HELP ', p)) {
      kind = EntryType.Help;
      what = 'HELP';
    } else if (src.startsWith('# TYPE ', p)) {
      kind = EntryType.Type;
      what = 'TYPE';
    } else if (src.startsWith('# UNIT ', p)) {
      kind = EntryType.Unit;
      what = 'UNIT';
    } else {
      this.fail(`expected '# HELP ', '# TYPE ', '# UNIT ' or '# EOF' (OpenMetrics has no comments), got ${this.got(p)}`, p);
    }
    let r = p + 7;
    let c = src.charCodeAt(r);
    if (r >= eol || !isNameStart(c)) {
      this.fail(`expected metric name after ${what}, got ${this.got(r)}`, r);
    }
    this.nameStart = r;
    r++;
    while (r < eol && isNameChar((c = src.charCodeAt(r)))) r++;
    this.nameEnd = r;
    if (r >= eol || src.charCodeAt(r) !== 32) {
      this.fail(`expected ' ' and text in ${what} after ${this.quoteRange(this.nameStart, r)}, got ${this.got(r)}`, r);
    }
    this.textStart = r + 1;
    this.textEnd = eol;
    if (kind === EntryType.Type) {
      const t = src.slice(r + 1, eol);
      if (!OM_TYPES.has(t)) this.fail(`invalid metric type ${this.quoteRange(r + 1, eol)}`, r + 1);
      this.mtype = t as MetricType;
    } else if (kind === EntryType.Unit) {
      const u = eol - r - 1;
      const n = r - this.nameStart;
      // A non-empty unit must be a suffix of the name, preceded by '_'.
      if (u > 0 && (n < u + 1 || src.charCodeAt(r - u - 1) !== 95 || !src.startsWith(src.slice(r + 1, eol), r - u))) {
        this.fail(`unit ${this.quoteRange(r + 1, eol)} is not a suffix of metric ${this.quoteRange(this.nameStart, r)}`, r + 1);
      }
    } else {
      this.checkTextUtf8(r + 1, eol);
    }
    return kind;
  }

  private parseSeries(p: number, eol: number): void {
    const src = this.src;
    let c = src.charCodeAt(p);
    if (p >= eol || !isNameStart(c)) {
      this.fail(`expected metric name at start of line, got ${this.got(p)}`, p);
    }
    this.nameStart = p;
    this.nLabels = 0;
    // Guesses only without the validator (it reads every line's labels); OpenMetrics has no blank before '{'.
    const guessed = this.validator === null ? this.deferByGuess(p, eol) : -1;
    if (guessed >= 0) p = guessed;
    else {
      p++;
      while (p < eol && isNameChar((c = src.charCodeAt(p)))) p++;
      this.nameEnd = p;
      this.labelsPending = false;
      if (p < eol && src.charCodeAt(p) === 123 /* { */) {
        // Lazy labels only without the validator (it reads every line's labels).
        const deferred = this.validator === null ? this.deferLabels(p + 1, eol) : -1;
        if (deferred >= 0) p = deferred;
        else {
          p = this.parseLabels(p + 1, eol, false);
          if (this.nLabels > 1 || this.badUtf8) this.checkLabels(this.lab, this.nLabels, 'series');
        }
      }
      this.seriesEnd = p;
    }
    // Value: exactly one space, then a non-empty token.
    p = this.token(p, eol, 'value after metric');
    const v = parseFloatAt(src, this.tokStart, p);
    if (v === undefined) this.fail(`invalid value ${this.quoteRange(this.tokStart, p)}`, this.tokStart);
    this.val = v;
    this.hasTs = false;
    this.hasEx = false;
    if (p >= eol) return;
    if (!this.isExemplarStart(p, eol)) {
      p = this.token(p, eol, 'timestamp or exemplar after value');
      const ts = parseFloatAt(src, this.tokStart, p);
      if (ts === undefined || ts !== ts || ts === Infinity || ts === -Infinity) {
        this.fail(`invalid timestamp ${this.quoteRange(this.tokStart, p)}`, this.tokStart);
      }
      this.hasTs = true;
      this.tsSec = ts;
      this.tsMs = Math.trunc(ts * 1000);
      if (p >= eol) return;
      if (!this.isExemplarStart(p, eol)) this.fail(`expected end of line or ' # {' after timestamp, got ${this.got(p)}`, p);
    }
    this.parseExemplar(p + 4, eol);
  }

  private isExemplarStart(p: number, eol: number): boolean {
    return p + 4 <= eol && this.src.startsWith(' # {', p);
  }

  /** Start of the last token read by `token()`. */
  private tokStart = 0;

  /** Expects ' ' then a non-empty run of non-space characters; returns its end. */
  private token(p: number, eol: number, what: string): number {
    const src = this.src;
    if (p >= eol || src.charCodeAt(p) !== 32) this.fail(`expected ' ' and ${what}, got ${this.got(p)}`, p);
    p++;
    this.tokStart = p;
    while (p < eol && src.charCodeAt(p) !== 32) p++;
    if (p === this.tokStart) this.fail(`expected ${what}, got ${this.got(p)}`, p);
    return p;
  }

  private parseExemplar(p: number, eol: number): void {
    const src = this.src;
    // Prometheus: only counters' _total and histogram buckets may carry exemplars.
    const ne = this.nameEnd;
    if (!(src.startsWith('_total', ne - 6) && ne - 6 >= this.nameStart) &&
        !(src.startsWith('_bucket', ne - 7) && ne - 7 >= this.nameStart)) {
      this.fail(`metric name ${this.quoteRange(this.nameStart, ne)} does not support exemplars`, p - 4);
    }
    this.nExLabels = 0;
    p = this.parseLabels(p, eol, true);
    if (this.nExLabels > 1 || this.badUtf8) this.checkLabels(this.exLab, this.nExLabels, 'exemplar');
    p = this.token(p, eol, 'exemplar value after exemplar labels');
    const v = parseFloatAt(src, this.tokStart, p);
    if (v === undefined) this.fail(`invalid exemplar value ${this.quoteRange(this.tokStart, p)}`, this.tokStart);
    this.exVal = v;
    this.exHasTs = false;
    if (p < eol) {
      p = this.token(p, eol, 'exemplar timestamp');
      const ts = parseFloatAt(src, this.tokStart, p);
      if (ts === undefined || ts !== ts || ts === Infinity || ts === -Infinity) {
        this.fail(`invalid exemplar timestamp ${this.quoteRange(this.tokStart, p)}`, this.tokStart);
      }
      if (p < eol) this.fail(`expected end of line after exemplar timestamp, got ${this.got(p)}`, p);
      this.exHasTs = true;
      this.exTsSec = ts;
      this.exTsMs = Math.trunc(ts * 1000);
    }
    this.hasEx = true;
  }

  protected parseLabelBlock(p: number, eol: number): number {
    return this.parseLabels(p, eol, false);
  }

  /** Strict label block after '{': `}` or `name="value"(,name="value")*}`; returns the index after '}'. */
  private parseLabels(p: number, eol: number, ex: boolean): number {
    const src = this.src;
    if (p < eol && src.charCodeAt(p) === 125 /* } */) return p + 1;
    for (;;) {
      let c = src.charCodeAt(p);
      if (p >= eol || !isLabelStart(c)) {
        this.fail(`expected label name, got ${this.got(p)}`, p);
      }
      const ns = p;
      p++;
      while (p < eol && isLabelChar((c = src.charCodeAt(p)))) p++;
      const ne = p;
      if (p >= eol || src.charCodeAt(p) !== 61 /* = */) {
        this.fail(`expected '=' after label name ${this.quoteRange(ns, ne)}, got ${this.got(p)}`, p);
      }
      p++;
      if (p >= eol || src.charCodeAt(p) !== 34 /* " */) {
        this.fail(`expected label value after ${this.quoteRange(ns, p)}, got ${this.got(p)}`, p);
      }
      const close = this.scanQuoted(p + 1, eol);
      if (close < 0) this.fail(`unterminated label value for ${this.quoteRange(ns, ne)}`, p);
      if (ex) this.pushExLabel(ns, ne, p + 1, close, this.lastEsc);
      else this.pushLabel(ns, ne, p + 1, close, this.lastEsc);
      p = close + 1;
      c = src.charCodeAt(p);
      if (p < eol && c === 125) return p + 1;
      if (p >= eol || c !== 44 /* , */) this.fail(`expected ',' or '}' after label value, got ${this.got(p)}`, p);
      p++;
    }
  }
}
