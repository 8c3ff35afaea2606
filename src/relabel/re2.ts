/**
 * Go RE2 (`regexp/syntax`, Perl flags) -> JavaScript RegExp source translator.
 *
 * Contract
 * - `translateRe2(pattern, { dotAll })` parses `pattern` with Go's syntax rules and returns a JS source (for the `u`
 *   flag, no other flags) that matches exactly what Go matches, plus the capture-group names in Go numbering
 *   (index 0 = whole match, '' = unnamed). The caller anchors it (`^(?:src)$`).
 * - `dotAll` is the initial `s` flag: false = `^(?:re)$` (Prometheus <= 2.x), true = `^(?s:re)$` (Prometheus 3.x).
 * - Handled explicitly because JS differs: `.` (JS excludes \r, \u2028 too), `\s` (Go is ASCII), `\z`, `\A`,
 *   `(?m)` anchors, `(?i)`/`(?U)`/`(?s)` scoped flags (`(?i)` -> JS modifier groups `(?i:..)`), `(?P<n>..)` and
 *   `(?<n>..)` (emitted unnamed; names returned separately), `\Q..\E`, `[[:alpha:]]` and `[[:^alpha:]]`, `\pL`,
 *   `\p{Greek}` (-> `\p{Script=Greek}`), octal and `\x{..}` escapes, literal `{`/`]` that Go accepts.
 * - Rejected with `Re2SyntaxError` (Go-style messages "error parsing regexp: <code>: `<expr>`"): everything Go
 *   rejects (lookaround, backreferences, `\C`, `\Z`, nested repetition, repeat count > 1000, bad classes...).
 * Runs once per configured regex (compile time), never per sample.
 */

import {
  combineCi,
  complement,
  esc,
  GENERAL_CATEGORY,
  hasCase,
  merge,
  parseEscapeChar,
  PERL,
  POSIX,
  rangesSrc,
  Re2SyntaxError,
  scriptExists,
  type Item,
  type Part,
} from './re2-support.ts';

export { Re2SyntaxError };

export interface Re2Translation {
  /** JS RegExp source for the `u` flag, not anchored. */
  readonly source: string;
  /** Every match starts with `prefix` and ends with `suffix` (non-overlapping parts of the pattern; '' = none). */
  readonly prefix: string;
  readonly suffix: string;
  /** Go numbering: [0] is the whole match (''), [i] the name of group i or '' when unnamed. */
  readonly groupNames: readonly string[];
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

class Translator {
  private readonly cps: string[];
  private readonly whole: string;
  private pos = 0;
  private flags: Flags;
  readonly names: string[] = [''];

  constructor(pattern: string, dotAll: boolean) {
    this.whole = pattern;
    this.cps = Array.from(pattern);
    this.flags = { i: false, m: false, s: dotAll, U: false };
  }

  private rest(from: number, to = this.cps.length): string {
    return this.cps.slice(from, to).join('');
  }

  prefix = '';
  suffix = '';

  run(): string {
    const top = this.alternation();
    if (this.pos < this.cps.length) throw new Re2SyntaxError('unexpected )', this.whole);
    if (top.branches === 1 && top.items !== undefined) {
      const items = top.items;
      let k = 0;
      while (k < items.length && items[k]!.lit !== undefined) this.prefix += items[k++]!.lit;
      let e = items.length;
      while (e > k && items[e - 1]!.lit !== undefined) e--;
      for (let j = e; j < items.length; j++) this.suffix += items[j]!.lit;
    }
    return top.src;
  }

  /** alternation := concat ('|' concat)*, stops before ')' or at the end. */
  private alternation(): Part {
    const first = this.concat();
    let src = first.src;
    let ci = first.ci;
    let branches = 1;
    while (this.cps[this.pos] === '|') {
      this.pos++;
      const next = this.concat();
      src += '|' + next.src;
      ci = combineCi(ci, next.ci);
      branches++;
    }
    return branches === 1 ? { src, ci, branches, items: first.items! } : { src, ci, branches };
  }

  private concat(): Part {
    const items: Item[] = [];
    let lastRepeatStart = -1;
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.repeatAt(this.pos) !== null)) {
        const start = this.pos;
        this.quantifier(items, lastRepeatStart);
        lastRepeatStart = start;
        continue;
      }
      lastRepeatStart = -1;
      if (c === '(') this.group(items);
      else if (c === '[') items.push({ src: this.charClass(), ci: this.flags.i ? 1 : 0, assert: false });
      else if (c === '.') {
        this.pos++;
        items.push({ src: this.flags.s ? '[\\s\\S]' : '[^\\n]', ci: -1, assert: false });
      } else if (c === '^') {
        this.pos++;
        items.push({ src: this.flags.m ? '(?:^|(?<=\\n))' : '^', ci: -1, assert: true });
      } else if (c === '$') {
        this.pos++;
        items.push({ src: this.flags.m ? '(?:$|(?=\\n))' : '$', ci: -1, assert: true });
      } else if (c === '\\') this.escapeAtom(items);
      else {
        this.pos++;
        this.literal(items, c.codePointAt(0)!);
      }
    }
    return { ...merge(items), items };
  }

  private literal(items: Item[], cp: number): void {
    const ci = hasCase(cp) ? (this.flags.i ? 1 : 0) : -1;
    items.push({ src: esc(cp), ci, assert: false, lit: ci === 1 ? undefined : String.fromCodePoint(cp) });
  }

  /** Parses `{n}`, `{n,}`, `{n,m}` at `at`; null when it is not a repeat (Go then treats `{` as a literal). */
  private repeatAt(at: number): { min: number; max: number; end: number } | null {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.rest(at, Math.min(this.cps.length, at + 32)));
    if (m === null) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    return { min, max, end: at + m[0].length };
  }

  private quantifier(items: Item[], lastRepeatStart: number): void {
    const start = this.pos;
    const c = this.cps[this.pos]!;
    let op: string;
    if (c === '{') {
      const r = this.repeatAt(this.pos)!;
      this.pos = r.end;
      if (r.min > 1000 || r.max > 1000 || (r.max >= 0 && r.max < r.min)) {
        throw new Re2SyntaxError('invalid repeat count', this.rest(start, this.pos));
      }
      op = r.max === r.min ? `{${r.min}}` : r.max < 0 ? `{${r.min},}` : `{${r.min},${r.max}}`;
    } else {
      this.pos++;
      op = c;
    }
    let lazy = false;
    if (this.cps[this.pos] === '?') {
      this.pos++;
      lazy = true;
    }
    if (lastRepeatStart >= 0) {
      throw new Re2SyntaxError('invalid nested repetition operator', this.rest(lastRepeatStart, this.pos));
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Re2SyntaxError('missing argument to repetition operator', this.rest(start, this.pos));
    if (this.flags.U) lazy = !lazy;
    // Wrap anything that is not a single atom: assertions (JS `u` mode cannot quantify them) and earlier repeats.
    const atom = last.assert || last.quantified === true ? `(?:${last.src})` : last.src;
    last.src = atom + op + (lazy ? '?' : '');
    last.assert = false;
    last.quantified = true;
    last.lit = undefined;
  }

  private group(items: Item[]): void {
    const start = this.pos;
    this.pos++; // (
    let capture = false;
    let name = '';
    if (this.cps[this.pos] === '?') {
      const after = this.rest(this.pos + 1, Math.min(this.cps.length, this.pos + 3));
      if (after.startsWith('P<') || (after.startsWith('<') && after[1] !== '=' && after[1] !== '!')) {
        this.pos += after.startsWith('P') ? 3 : 2;
        const end = this.cps.indexOf('>', this.pos);
        if (end < 0) throw new Re2SyntaxError('invalid named capture', this.rest(start));
        name = this.rest(this.pos, end);
        if (name === '' || !/^[\p{L}\p{Nd}_]+$/u.test(name)) {
          throw new Re2SyntaxError('invalid named capture', this.rest(start, end + 1));
        }
        this.pos = end + 1;
        capture = true;
      } else {
        // Flags: (?flags) or (?flags:re)
        this.pos++;
        const flags = { ...this.flags };
        let neg = false;
        let sawFlag = false;
        for (;;) {
          const f = this.cps[this.pos];
          if (f === 'i' || f === 'm' || f === 's' || f === 'U') {
            flags[f] = !neg;
            sawFlag = true;
            this.pos++;
          } else if (f === '-' && !neg) {
            neg = true;
            sawFlag = false;
            this.pos++;
          } else if ((f === ':' || f === ')') && !(neg && !sawFlag)) {
            this.pos++;
            if (f === ')') {
              this.flags = flags; // rest of the current group
              return;
            }
            const saved = this.flags;
            this.flags = flags;
            const inner = this.alternation();
            this.closeParen();
            this.flags = saved;
            items.push({ src: `(?:${inner.src})`, ci: inner.ci, assert: false });
            return;
          } else {
            const end = f === undefined ? this.cps.length : this.pos + 1;
            throw new Re2SyntaxError('invalid or unsupported Perl syntax', this.rest(start, end));
          }
        }
      }
    } else {
      capture = true;
    }
    if (capture) this.names.push(name);
    const saved = this.flags;
    const inner = this.alternation();
    this.closeParen();
    this.flags = saved;
    items.push({ src: `(${inner.src})`, ci: inner.ci, assert: false });
  }

  private closeParen(): void {
    if (this.cps[this.pos] !== ')') throw new Re2SyntaxError('missing closing )', this.whole);
    this.pos++;
  }

  private escapeAtom(items: Item[]): void {
    const c = this.cps[this.pos + 1];
    switch (c) {
      case undefined:
        throw new Re2SyntaxError('trailing backslash at end of expression', '');
      case 'A':
        this.pos += 2;
        items.push({ src: '^', ci: -1, assert: true });
        return;
      case 'z':
        this.pos += 2;
        items.push({ src: '$', ci: -1, assert: true });
        return;
      case 'b':
      case 'B':
        this.pos += 2;
        // ci 0: never inside an `(?i:` run, where JS would widen \b's word set with U+017F and U+212A (Go: ASCII).
        items.push({ src: '\\' + c, ci: 0, assert: true });
        return;
      case 'Q': {
        this.pos += 2;
        let end = this.pos;
        while (end < this.cps.length && !(this.cps[end] === '\\' && this.cps[end + 1] === 'E')) end++;
        for (let k = this.pos; k < end; k++) this.literal(items, this.cps[k]!.codePointAt(0)!);
        this.pos = end < this.cps.length ? end + 2 : end;
        return;
      }
      case 'C':
        throw new Re2SyntaxError('invalid escape sequence', '\\C');
    }
    const cls = this.classEscape();
    if (cls !== null) {
      items.push({ src: cls.standalone, ci: this.flags.i ? 1 : 0, assert: false });
      return;
    }
    this.literal(items, this.escChar());
  }

  /** `\d \s \w \D \S \W \pL \p{Name} \PL \p{^Name}` at pos: source inside a class and as a stand-alone atom. */
  private classEscape(): { inClass: string; standalone: string } | null {
    const c = this.cps[this.pos + 1];
    if (c !== undefined && 'dswDSW'.includes(c)) {
      this.pos += 2;
      const r = PERL[c.toLowerCase()]!;
      const body = rangesSrc(c === c.toUpperCase() ? complement(r) : r);
      return { inClass: body, standalone: `[${body}]` };
    }
    if (c === 'p' || c === 'P') {
      const start = this.pos;
      let neg = c === 'P';
      let name: string;
      const n = this.cps[this.pos + 2];
      if (n === undefined) throw new Re2SyntaxError('invalid character class range', this.rest(start));
      if (n === '{') {
        const end = this.cps.indexOf('}', this.pos + 3);
        if (end < 0) throw new Re2SyntaxError('invalid character class range', this.rest(start));
        name = this.rest(this.pos + 3, end);
        this.pos = end + 1;
      } else {
        name = n;
        this.pos += 3;
      }
      if (name.startsWith('^')) {
        neg = !neg;
        name = name.slice(1);
      }
      const expr = this.rest(start, this.pos);
      let prop: string;
      if (name === 'Any') prop = 'Any';
      else if (GENERAL_CATEGORY.has(name)) prop = name;
      else if (/^[A-Za-z_]+$/.test(name) && scriptExists(name)) prop = 'Script=' + name;
      else throw new Re2SyntaxError('invalid character class range', expr);
      const src = `\\${neg ? 'P' : 'p'}{${prop}}`;
      return { inClass: src, standalone: src };
    }
    return null;
  }

  /** Single-character escape at pos (the backslash), Go parseEscape rules. */
  private escChar(): number {
    const r = parseEscapeChar(this.cps, this.pos);
    this.pos = r.end;
    return r.cp;
  }

  /** `[...]` at pos. Returns the JS class source. */
  private charClass(): string {
    const start = this.pos;
    this.pos++;
    let neg = false;
    if (this.cps[this.pos] === '^') {
      neg = true;
      this.pos++;
    }
    let body = '';
    let first = true;
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined) throw new Re2SyntaxError('missing closing ]', this.rest(start));
      if (c === ']' && !first) break;
      first = false;
      if (c === '[' && this.cps[this.pos + 1] === ':') {
        const end = this.rest(this.pos + 2).indexOf(':]');
        if (end >= 0) {
          const closeAt = this.pos + 2 + Array.from(this.rest(this.pos + 2).slice(0, end)).length;
          let name = this.rest(this.pos + 2, closeAt);
          const expr = this.rest(this.pos, closeAt + 2);
          const cneg = name.startsWith('^');
          if (cneg) name = name.slice(1);
          const r = POSIX[name];
          if (r === undefined) throw new Re2SyntaxError('invalid character class range', expr);
          body += rangesSrc(cneg ? complement(r) : r);
          this.pos = closeAt + 2;
          continue;
        }
      }
      if (c === '\\') {
        const cls = this.classEscape();
        if (cls !== null) {
          body += cls.inClass;
          continue;
        }
      }
      const rangeStart = this.pos;
      const lo = this.classChar(start);
      let hi = lo;
      if (this.cps[this.pos] === '-' && this.cps[this.pos + 1] !== ']' && this.cps[this.pos + 1] !== undefined) {
        this.pos++;
        hi = this.classChar(start);
        if (hi < lo) throw new Re2SyntaxError('invalid character class range', this.rest(rangeStart, this.pos));
      }
      body += lo === hi ? esc(lo) : esc(lo) + '-' + esc(hi);
    }
    this.pos++; // ]
    return `[${neg ? '^' : ''}${body}]`;
  }

  private classChar(classStart: number): number {
    const c = this.cps[this.pos];
    if (c === undefined) throw new Re2SyntaxError('missing closing ]', this.rest(classStart));
    if (c === '\\') return this.escChar();
    this.pos++;
    return c.codePointAt(0)!;
  }
}

export function translateRe2(pattern: string, opts: { readonly dotAll: boolean }): Re2Translation {
  const t = new Translator(pattern, opts.dotAll);
  const source = t.run();
  return { source, groupNames: t.names, prefix: t.prefix, suffix: t.suffix };
}
