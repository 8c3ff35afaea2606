/**
 * Fully anchored Go-RE2 regex with fast paths, and Go `regexp.Expand` templates. Shared by relabeling and selectors.
 *
 * Contract
 * - `compileAnchored(pattern, dotAll)` matches like Go `regexp.MustCompile("^(?:" + p + ")$")` (dotAll=false,
 *   Prometheus <= 2.x) or `"^(?s:" + p + ")$"` (dotAll=true, Prometheus 3.x). Throws `Re2SyntaxError` on patterns Go
 *   rejects or JS cannot express.
 * - `test(s)` = full match. `exec(s)` = capture groups in Go numbering ([0] whole match, undefined when a group did
 *   not take part) or null. The array returned by a fast path is a per-regex scratch buffer: read it before the next
 *   call on the same regex, never keep it.
 * - `compileTemplate(tpl, groupNames)` pre-parses a Go template (`$1`, `${1}`, `$name`, `${name}`, `$$`; in `$1x` the
 *   name is `1x`; unknown or non-participating groups expand to ""; a malformed `$` stays literal).
 * Everything here is built once per configured pattern; `test`/`exec`/`expand` are the per-sample calls.
 */
import { translateRe2 } from './re2.ts';

export type Groups = readonly (string | undefined)[];

// Fast-path kinds. Each serves one very common relabel/selector input.
const K_REGEXP = 0; // anything else: a real RegExp
const K_ANY = 1; // `.*` and `(.*)` (the default relabel regex)
const K_NONEMPTY = 2; // `.+` and `(.+)`
const K_LITERAL = 3; // `foo_bar` (no metacharacters): string equality
const K_SET = 4; // `a|b|c` of literals: Set lookup
const K_PREFIX = 5; // `foo_.*`: startsWith
const K_SUFFIX = 6; // `.*_total`: endsWith
const K_REGEXP_AFFIX = 7; // `__meta_pod_label_(.+)`, `(.*)_bucket`: startsWith/endsWith reject before the RegExp

const META = /[\\.+*?()|[\]{}^$]/;

export class AnchoredRegex {
  readonly pattern: string;
  readonly dotAll: boolean;
  /** Go numbering: [0] = '' (whole match), [i] = name of group i or ''. */
  readonly groupNames: readonly string[];
  private readonly kind: number;
  private readonly lit: string;
  private readonly set: ReadonlySet<string> | null;
  private readonly re: RegExp | null;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly scratch: (string | undefined)[];

  constructor(pattern: string, dotAll: boolean) {
    this.pattern = pattern;
    this.dotAll = dotAll;
    // Always run the translator: it validates the pattern the way Go would, even for fast-path shapes.
    const tr = translateRe2(pattern, { dotAll });
    this.groupNames = tr.groupNames;
    let kind = K_REGEXP;
    let lit = '';
    let set: Set<string> | null = null;
    if (pattern === '.*' || pattern === '(.*)') kind = K_ANY;
    else if (pattern === '.+' || pattern === '(.+)') kind = K_NONEMPTY;
    else if (!META.test(pattern)) {
      kind = K_LITERAL;
      lit = pattern;
    } else if (pattern.includes('|') && pattern.split('|').every((p) => !META.test(p))) {
      kind = K_SET;
      set = new Set(pattern.split('|'));
    } else if (pattern.endsWith('.*') && !META.test(pattern.slice(0, -2))) {
      kind = K_PREFIX;
      lit = pattern.slice(0, -2);
    } else if (pattern.startsWith('.*') && !META.test(pattern.slice(2))) {
      kind = K_SUFFIX;
      lit = pattern.slice(2);
    }
    this.prefix = tr.prefix;
    this.suffix = tr.suffix;
    if (kind === K_REGEXP && (tr.prefix !== '' || tr.suffix !== '')) kind = K_REGEXP_AFFIX;
    this.kind = kind;
    this.lit = lit;
    this.set = set;
    this.scratch = new Array<string | undefined>(this.groupNames.length).fill(undefined);
    if (kind === K_REGEXP || kind === K_REGEXP_AFFIX) {
      try {
        this.re = new RegExp(`^(?:${tr.source})$`, 'u');
      } catch (err) {
        throw new Error(`regex ${JSON.stringify(pattern)} cannot be translated to a JavaScript RegExp: ${String(err)}`);
      }
    } else {
      this.re = null;
    }
  }

  /** Whether `s` contains no '\n' from index `from` (what `.` needs without the s flag). */
  private noNewline(s: string, from: number, to: number): boolean {
    if (this.dotAll) return true;
    const nl = s.indexOf('\n', from);
    return nl === -1 || nl >= to;
  }

  /** Necessary condition for a match of a K_REGEXP_AFFIX pattern. */
  private affixOk(s: string): boolean {
    return (
      s.length >= this.prefix.length + this.suffix.length && s.startsWith(this.prefix) && s.endsWith(this.suffix)
    );
  }

  test(s: string): boolean {
    switch (this.kind) {
      case K_REGEXP_AFFIX:
        return this.affixOk(s) && this.re!.test(s);
      case K_ANY:
        return this.noNewline(s, 0, s.length);
      case K_NONEMPTY:
        return s.length > 0 && this.noNewline(s, 0, s.length);
      case K_LITERAL:
        return s === this.lit;
      case K_SET:
        return this.set!.has(s);
      case K_PREFIX:
        return s.startsWith(this.lit) && this.noNewline(s, this.lit.length, s.length);
      case K_SUFFIX:
        return s.endsWith(this.lit) && this.noNewline(s, 0, s.length - this.lit.length);
      default:
        return this.re!.test(s);
    }
  }

  exec(s: string): Groups | null {
    if (this.kind === K_REGEXP) return this.re!.exec(s);
    if (this.kind === K_REGEXP_AFFIX) return this.affixOk(s) ? this.re!.exec(s) : null;
    if (!this.test(s)) return null;
    // Fast paths: the whole match is `s`, and the only possible group ((.*) / (.+)) is `s` too.
    const g = this.scratch;
    for (let k = 0; k < g.length; k++) g[k] = s;
    return g;
  }
}

/** Regex cache key -> compiled; one compile per distinct (pattern, dotAll) per process. */
const cache = new Map<string, AnchoredRegex>();

export function compileAnchored(pattern: string, dotAll: boolean): AnchoredRegex {
  const key = (dotAll ? 's:' : 'n:') + pattern;
  let re = cache.get(key);
  if (re === undefined) {
    re = new AnchoredRegex(pattern, dotAll);
    if (cache.size > 10000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/**
 * A pre-parsed Go template. `parts` alternates literal strings and group references; a reference is the list of
 * group indices that could supply it (Go uses the first participating group with that name or number).
 */
export class Template {
  readonly text: string;
  /** Non-null when the template has no `$` at all: the expansion is this constant. */
  readonly constant: string | null;
  private readonly parts: (string | readonly number[])[];

  constructor(text: string, groupNames: readonly string[]) {
    this.text = text;
    this.parts = [];
    if (!text.includes('$')) {
      this.constant = text;
      return;
    }
    this.constant = null;
    let lit = '';
    let rest = text;
    for (;;) {
      const d = rest.indexOf('$');
      if (d < 0) break;
      lit += rest.slice(0, d);
      rest = rest.slice(d + 1);
      if (rest.startsWith('$')) {
        lit += '$';
        rest = rest.slice(1);
        continue;
      }
      const ref = extractRef(rest);
      if (ref === null) {
        lit += '$'; // malformed: `$` stays literal
        continue;
      }
      rest = rest.slice(ref.len);
      if (lit !== '') this.parts.push(lit);
      lit = '';
      const idx: number[] = [];
      if (ref.num >= 0) {
        if (ref.num < groupNames.length) idx.push(ref.num);
      } else {
        for (let i = 1; i < groupNames.length; i++) if (groupNames[i] === ref.name) idx.push(i);
      }
      this.parts.push(idx);
    }
    lit += rest;
    if (lit !== '') this.parts.push(lit);
  }

  expand(g: Groups): string {
    if (this.constant !== null) return this.constant;
    const parts = this.parts;
    // Fast path: the template is a single reference such as `$1` or `${1}`.
    if (parts.length === 1) {
      const p = parts[0]!;
      if (typeof p !== 'string') return pick(p, g);
    }
    let out = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      out += typeof p === 'string' ? p : pick(p, g);
    }
    return out;
  }
}

function pick(idx: readonly number[], g: Groups): string {
  for (let k = 0; k < idx.length; k++) {
    const v = g[idx[k]!];
    if (v !== undefined) return v;
  }
  return '';
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go regexp `extract`: the name after `$` (`name` or `{name}`); num >= 0 when it is a number without leading 0. */
function extractRef(s: string): { name: string; num: number; len: number } | null {
  let i = 0;
  const brace = s.startsWith('{');
  if (brace) i = 1;
  const start = i;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === start) return null;
  const name = s.slice(start, i);
  if (brace) {
    if (s[i] !== '}') return null;
    i++;
  }
  let num = -1;
  if (/^[0-9]+$/.test(name) && !(name.length > 1 && name.startsWith('0'))) {
    // Go gives up past 9 digits and treats the text as a name (which never exists): "" either way.
    num = name.length <= 9 ? Number(name) : -1;
  }
  return { name, num, len: i };
}

export function compileTemplate(text: string, groupNames: readonly string[]): Template {
  return new Template(text, groupNames);
}
