/**
 * Support for re2.ts: Go's ASCII character sets (Perl `\d \s \w`, POSIX `[:alpha:]`...), code point escaping for
 * the JS `u` flag, Go `parseEscape` for single characters, and the merging of concatenation items into `(?i:...)` runs.
 *
 * Contract: pure functions over code point arrays; all run at regex compile time only.
 */

export class Re2SyntaxError extends Error {
  readonly code: string;
  readonly expr: string;
  constructor(code: string, expr: string) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'Re2SyntaxError';
    this.code = code;
    this.expr = expr;
  }
}

/**
 * One concatenation element. ci: -1 = case does not matter, 0 = case-sensitive, 1 = case-insensitive,
 * 2 = a group mixing both (emitted stand-alone, never inside an `(?i:` wrapper).
 */
export interface Item {
  src: string;
  ci: number;
  /** Zero-width assertion: must be wrapped in (?:) before a quantifier (JS `u` mode rule). */
  assert: boolean;
  /** Already carries a quantifier: wrap in (?:) before quantifying again. */
  quantified?: boolean;
  /** The exact text this item matches when it is a plain case-sensitive literal (for prefix/suffix prefilters). */
  lit?: string | undefined;
}

export interface Part {
  src: string;
  ci: number;
  /** Set by concat(): its items. */
  items?: Item[];
  /** Number of `|` branches (alternation only). */
  branches?: number;
}

export function combineCi(a: number, b: number): number {
  if (a === -1) return b;
  if (b === -1 || a === b) return a;
  return 2;
}

export type Ranges = number[]; // flat [lo, hi, lo, hi, ...], sorted, non-overlapping
export const MAX_RUNE = 0x10ffff;

export const PERL: Record<string, Ranges> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};
export const POSIX: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};
export const GENERAL_CATEGORY = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

export function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let k = 0; k < r.length; k += 2) {
    const lo = r[k]!;
    if (lo > next) out.push(next, lo - 1);
    next = r[k + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/** A code point as a JS `u`-mode escape that is valid both inside and outside a class. */
export function esc(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f) {
    return String.fromCodePoint(cp);
  }
  if (cp < 0x80) return '\\x' + cp.toString(16).padStart(2, '0');
  return '\\u{' + cp.toString(16) + '}';
}

export function rangesSrc(r: Ranges): string {
  let s = '';
  for (let k = 0; k < r.length; k += 2) {
    const lo = r[k]!;
    const hi = r[k + 1]!;
    s += lo === hi ? esc(lo) : esc(lo) + '-' + esc(hi);
  }
  return s;
}

export function hasCase(cp: number): boolean {
  const c = String.fromCodePoint(cp);
  return c.toLowerCase() !== c.toUpperCase() || cp === 0x130 || cp === 0x131;
}

export const isWordCp = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
export const hexVal = (c: string | undefined): number => (c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);

const scriptCache = new Map<string, boolean>();
export function scriptExists(name: string): boolean {
  let ok = scriptCache.get(name);
  if (ok === undefined) {
    try {
      new RegExp(`\\p{Script=${name}}`, 'u');
      ok = true;
    } catch {
      ok = false;
    }
    scriptCache.set(name, ok);
  }
  return ok;
}

/**
 * Joins concatenation items, wrapping maximal runs of case-insensitive items in one `(?i:...)` modifier group.
 * Invariant: case-sensitive items are never emitted inside an `(?i:` wrapper (the JS base flags have no `i`).
 */
export function merge(items: readonly Item[]): Part {
  let out = '';
  let run = '';
  let mode = -1;
  let ci = -1;
  const flush = (): void => {
    out += mode === 1 ? `(?i:${run})` : run;
    run = '';
    mode = -1;
  };
  for (const it of items) {
    ci = combineCi(ci, it.ci);
    if (it.ci === 2) {
      flush();
      out += it.src;
      continue;
    }
    if (it.ci !== -1 && mode !== -1 && it.ci !== mode) flush();
    if (it.ci !== -1) mode = it.ci;
    run += it.src;
  }
  flush();
  return { src: out, ci };
}


/** Go parseEscape: the single character escaped at cps[pos] (a backslash); `end` is the index after it. */
export function parseEscapeChar(cps: readonly string[], pos: number): { cp: number; end: number } {
  const start = pos;
  const c = cps[pos + 1];
  pos += 2;
  const rest = (to: number): string => cps.slice(start, Math.min(to, cps.length)).join('');
  const bad = (): never => {
    throw new Re2SyntaxError('invalid escape sequence', rest(pos));
  };
  if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression', '');
  const cp = c.codePointAt(0)!;
  if (c >= '1' && c <= '7') {
    const d = cps[pos];
    if (d === undefined || d < '0' || d > '7') return bad(); // a backreference
  }
  if (c >= '0' && c <= '7') {
    let r = cp - 0x30;
    for (let k = 1; k < 3; k++) {
      const d = cps[pos];
      if (d === undefined || d < '0' || d > '7') break;
      r = r * 8 + (d.codePointAt(0)! - 0x30);
      pos++;
    }
    return { cp: r, end: pos };
  }
  if (c === 'x') {
    if (cps[pos] === '{') {
      pos++;
      let r = 0;
      let n = 0;
      for (;;) {
        const d = cps[pos];
        if (d === undefined) return bad();
        pos++;
        if (d === '}') break;
        const v = hexVal(d);
        if (v < 0) return bad();
        r = r * 16 + v;
        if (r > MAX_RUNE) return bad();
        n++;
      }
      if (n === 0) return bad();
      return { cp: r, end: pos };
    }
    const x = hexVal(cps[pos]);
    const y = hexVal(cps[pos + 1]);
    pos += 2;
    if (x < 0 || y < 0) return bad();
    return { cp: x * 16 + y, end: pos };
  }
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { cp: simple, end: pos };
  if (cp < 0x80 && !isWordCp(c)) return { cp, end: pos }; // escaped punctuation
  return bad();
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
