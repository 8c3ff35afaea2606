/**
 * Pull parser for the Prometheus text exposition format 0.0.4, modelled on Prometheus's model/textparse/promparse.go
 * (v2.42) and as lenient as it is.
 *
 * Contract
 * - Entries: HELP, TYPE (counter|gauge|histogram|summary|untyped), Comment (any other `#` line, text is the whole
 *   line), Series; then EOF at the end of input. Blank lines are skipped. HELP/TYPE are optional and unchecked against
 *   the samples.
 * - Whitespace: blanks/tabs are allowed at line start, around `{`, `=`, `,`, `}` and between name, value and
 *   timestamp. Label sets may have a trailing comma. HELP/TYPE text is the rest of the line minus the one separator
 *   character after the name (as promparse's `buf()[1:]`).
 * - Values: Go ParseFloat without hex/underscores (see float.ts). Timestamps: integer milliseconds, digits only.
 * - HELP unescapes `\\` and `\n` only; label values unescape `\\`, `\"`, `\n`.
 * - Errors (ParseError): invalid names, missing `=`/quotes/value, bad floats, text after the timestamp, duplicate label
 *   names, NUL outside quoted values/HELP/comments, invalid UTF-8 in label values or HELP.
 * - Deviation from promparse: a raw newline inside a quoted label value is an error (the input is handled line by
 *   line); the last line may end without a newline.
 */
import { BaseParser } from './parser-base.ts';
import { isLabelChar, isLabelStart, isNameChar, isNameStart } from './lex.ts';
import { parseFloatAt } from './float.ts';
import { EntryType } from './types.ts';

/** Largest int64, as text: timestamps are compared textually since doubles cannot hold it exactly. */
const MAX_TS = '9223372036854775807';

export class PromTextParser extends BaseParser {
  constructor(input?: string | Uint8Array) {
    super(input, true);
  }

  next(): EntryType {
    for (;;) {
      const src = this.src;
      let p = this.pos;
      if (p >= src.length) {
        this.idle = true;
        if (!this.ended) return EntryType.NeedMore;
        return EntryType.EOF;
      }
      let eol = src.indexOf('\n', p);
      if (eol < 0) eol = src.length;
      this.lineNo++;
      this.idle = false;
      this.lineStart = p;
      this.lineEnd = eol;
      this.pos = eol + 1;
      let c = src.charCodeAt(p);
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p >= eol) continue; // blank line
      if (c === 35 /* # */) return this.parseHash(p, eol);
      this.parseSeries(p, eol);
      return EntryType.Series;
    }
  }

  private parseHash(p: number, eol: number): EntryType {
    const src = this.src;
    let q = p + 1;
    let c = src.charCodeAt(q);
    if (q < eol && (c === 32 || c === 9)) {
      while (c === 32 || c === 9) c = src.charCodeAt(++q);
      const isHelp = src.startsWith('HELP', q);
      if ((isHelp || src.startsWith('TYPE', q)) && q + 4 < eol) {
        let r = q + 4;
        c = src.charCodeAt(r);
        if (c === 32 || c === 9) {
          while (c === 32 || c === 9) c = src.charCodeAt(++r);
          const what = isHelp ? 'HELP' : 'TYPE';
          if (r >= eol || !isNameStart(c)) {
            this.fail(`expected metric name after ${what}, got ${this.got(r)}`, r);
          }
          this.nameStart = r;
          r++;
          while (r < eol && isNameChar((c = src.charCodeAt(r)))) r++;
          this.nameEnd = r;
          // promparse keeps the rest of the line minus its first character (the separator).
          this.textStart = eol - r > 1 ? r + 1 : eol;
          this.textEnd = eol;
          if (isHelp) {
            this.checkTextUtf8(this.textStart, eol);
            return EntryType.Help;
          }
          const t = src.slice(this.textStart, eol);
          if (t === 'counter' || t === 'gauge' || t === 'histogram' || t === 'summary' || t === 'untyped') {
            this.mtype = t;
          } else {
            this.fail(`invalid metric type ${this.quoteRange(this.textStart, eol)}`, this.textStart);
          }
          return EntryType.Type;
        }
      }
    }
    // Any other line starting with '#' is a comment; its text is the whole line.
    this.textStart = p;
    this.textEnd = eol;
    return EntryType.Comment;
  }

  private parseSeries(p: number, eol: number): void {
    const src = this.src;
    let c = src.charCodeAt(p);
    if (!isNameStart(c)) {
      this.fail(`expected metric name at start of line, got ${this.got(p)}`, p);
    }
    this.nameStart = p;
    this.nLabels = 0;
    this.hasEx = false;
    const guessed = this.deferByGuess(p, eol);
    if (guessed >= 0) {
      p = guessed;
      c = src.charCodeAt(p);
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
    } else {
      p++;
      while (p < eol && isNameChar((c = src.charCodeAt(p)))) p++;
      this.nameEnd = p;
      this.seriesEnd = p;
      this.labelsPending = false;
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p < eol && c === 123 /* { */) {
        const deferred = this.deferLabels(p + 1, eol);
        p = deferred >= 0 ? deferred : this.parseLabels(p + 1, eol);
        this.seriesEnd = p;
        c = src.charCodeAt(p);
        while (c === 32 || c === 9) c = src.charCodeAt(++p);
      }
    }
    // Value: everything up to a blank, '{' or end of line.
    const vs = p;
    while (p < eol && (c = src.charCodeAt(p)) !== 32 && c !== 9 && c !== 123) p++;
    if (p === vs) this.fail(`expected value after metric, got ${this.got(p)}`, p);
    const v = parseFloatAt(src, vs, p);
    if (v === undefined) this.fail(`invalid value ${this.quoteRange(vs, p)}`, vs);
    this.val = v;
    c = src.charCodeAt(p);
    while (c === 32 || c === 9) c = src.charCodeAt(++p);
    this.hasTs = false;
    if (p < eol) {
      const ts = p;
      let n = 0;
      while (p < eol && (c = src.charCodeAt(p)) >= 48 && c <= 57) {
        n = n * 10 + (c - 48);
        p++;
      }
      if (p === ts) this.fail(`expected timestamp or end of line after value, got ${this.got(p)}`, p);
      // Fast path: up to 15 digits accumulate exactly; longer ones are re-read and range-checked like ParseInt.
      if (p - ts > 15) {
        let z = ts;
        while (z < p - 1 && src.charCodeAt(z) === 48) z++;
        const digits = src.slice(z, p);
        if (digits.length > 19 || (digits.length === 19 && digits > MAX_TS)) {
          this.fail(`timestamp ${this.quoteRange(ts, p)} out of int64 range`, ts);
        }
        n = Number(digits);
      }
      c = src.charCodeAt(p);
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p < eol) this.fail(`expected end of line after timestamp, got ${this.got(p)}`, p);
      this.hasTs = true;
      this.tsMs = n;
      this.tsSec = n / 1000;
    }
    if (!this.labelsPending && (this.nLabels > 1 || this.badUtf8)) this.checkLabels(this.lab, this.nLabels, 'series');
  }

  protected parseLabelBlock(p: number, eol: number): number {
    return this.parseLabels(p, eol);
  }

  /** Parses labels after '{' (lenient: blanks anywhere, optional commas, trailing comma); returns index after '}'. */
  private parseLabels(p: number, eol: number): number {
    const src = this.src;
    let c = src.charCodeAt(p);
    for (;;) {
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p >= eol) this.fail(`expected label name or '}', got ${this.got(p)}`, p);
      if (c === 125 /* } */) return p + 1;
      if (!isLabelStart(c)) {
        this.fail(`expected label name, got ${this.got(p)}`, p);
      }
      const ns = p;
      p++;
      while (p < eol && isLabelChar((c = src.charCodeAt(p)))) p++;
      const ne = p;
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p >= eol || c !== 61 /* = */) {
        this.fail(`expected '=' after label name ${this.quoteRange(ns, ne)}, got ${this.got(p)}`, p);
      }
      c = src.charCodeAt(++p);
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      if (p >= eol || c !== 34 /* " */) {
        this.fail(`expected label value after ${this.quoteRange(ns, p)}, got ${this.got(p)}`, p);
      }
      const close = this.scanQuoted(p + 1, eol);
      if (close < 0) this.fail(`unterminated label value for ${this.quoteRange(ns, ne)}`, p);
      this.pushLabel(ns, ne, p + 1, close, this.lastEsc);
      p = close + 1;
      c = src.charCodeAt(p);
      while (c === 32 || c === 9) c = src.charCodeAt(++p);
      // Free trailing commas are allowed; a missing comma between pairs is tolerated as by promparse.
      if (c === 44 /* , */) c = src.charCodeAt(++p);
    }
  }
}
