/**
 * PromQL series selectors as used by `match[]`, relabel `if:` and aggregation rules.
 *
 * Contract
 * - Grammar: `name`, `name{m, ...}`, `{m, ...}` with matchers `label op "value"`, op one of `= != =~ !~`, values in
 *   double, single or back quotes (PromQL escapes), optional trailing comma, free whitespace. Prometheus 3.x quoted
 *   names are accepted too: `{"metric.name", "label.x"="v"}`. No `or`, ranges, offsets or functions.
 * - Like PromQL: the metric name may be given once (`foo{__name__="bar"}` fails); at least one matcher must not match
 *   the empty string (`{}` and `{a=""}` fail) unless `allowEmptyMatchers`.
 * - Regex matchers are fully anchored Go RE2 (`^(?:re)$`; semantics 'head' = `^(?s:re)$`) with fast paths.
 * - Errors are `SelectorSyntaxError` quoting the text and the 1-based character position.
 * - `selectorMatches(sel, labels)`: labels sorted by name, `__name__` among them; a missing label has value "".
 *   `selectorMatchesNamed(sel, name, labels)`: the metric name is passed separately (labels hold no `__name__`).
 *   Both allocate nothing.
 */
import type { Label } from '../model/types.ts';
import { compileAnchored, type AnchoredRegex } from '../relabel/regex.ts';
import { readQuoted, QuoteError } from './unquote.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Compiled for `=~` / `!~`, null otherwise. */
  readonly re: AnchoredRegex | null;
}

export interface Selector {
  /** The text as parsed. */
  readonly text: string;
  /** The metric name when it is fixed by `name{...}`, `{"name"}` or `{__name__="name"}`; null otherwise. */
  readonly metricName: string | null;
  /** In evaluation order: the metric-name equality first, then the rest in source order. */
  readonly matchers: readonly LabelMatcher[];
}

export interface SelectorOptions {
  /** 'v2.42' (default): regex dot excludes '\n'. 'head': dot matches everything (Prometheus 3.x). */
  semantics?: 'v2.42' | 'head';
  /** Accept selectors whose matchers all match "" (PromQL rejects them). Default false. */
  allowEmptyMatchers?: boolean;
}

export class SelectorSyntaxError extends Error {
  readonly text: string;
  /** 0-based index into text. */
  readonly pos: number;
  constructor(text: string, pos: number, reason: string) {
    super(`invalid series selector ${JSON.stringify(text)} at char ${pos + 1}: ${reason}`);
    this.name = 'SelectorSyntaxError';
    this.text = text;
    this.pos = pos;
  }
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const WS = /[ \t\r\n]*/y;

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return m.re!.test('');
    default:
      return !m.re!.test('');
  }
}

export function parseSelector(text: string, opts: SelectorOptions = {}): Selector {
  const dotAll = opts.semantics === 'head';
  let pos = 0;
  const fail = (at: number, reason: string): never => {
    throw new SelectorSyntaxError(text, at, reason);
  };
  const skipWs = (): void => {
    WS.lastIndex = pos;
    WS.exec(text);
    pos = WS.lastIndex;
  };
  const sticky = (re: RegExp): string | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) return null;
    pos = re.lastIndex;
    return m[0];
  };
  const quoted = (): string => {
    try {
      const r = readQuoted(text, pos);
      pos = r.end;
      return r.value;
    } catch (err) {
      if (err instanceof QuoteError) return fail(err.pos, err.message);
      throw err;
    }
  };
  const describe = (at: number): string => (at >= text.length ? 'end of input' : `character ${JSON.stringify(text[at])}`);

  let outerName: string | null = null;
  /** Prometheus 3.x `{"name", ...}`. */
  let quotedName: { value: string; at: number } | null = null;
  /** Position of the first `__name__` matcher, for the "set twice" error. */
  let nameMatcherAt = -1;
  const matchers: LabelMatcher[] = [];

  skipWs();
  const nameStart = pos;
  outerName = sticky(METRIC_NAME);
  skipWs();
  if (text[pos] === '{') {
    pos++;
    for (;;) {
      skipWs();
      if (text[pos] === '}') {
        pos++;
        break;
      }
      const at = pos;
      let label: string | null;
      const c = text[pos];
      if (c === '"' || c === "'" || c === '`') label = quoted();
      else label = sticky(LABEL_NAME);
      if (label === null) fail(pos, `unexpected ${describe(pos)} inside braces, expected a label name`);
      skipWs();
      const opAt = pos;
      const op2 = text.slice(pos, pos + 2);
      let op: MatchOp | null = null;
      if (op2 === '=~' || op2 === '!~' || op2 === '!=') op = op2;
      else if (text[pos] === '=') op = '=';
      if (op === null) {
        if ((c === '"' || c === "'" || c === '`') && (text[pos] === ',' || text[pos] === '}')) {
          // Prometheus 3.x quoted metric name: {"metric.name", ...}
          if (quotedName !== null) fail(at, 'metric name must not be set twice');
          quotedName = { value: label!, at };
        } else {
          fail(opAt, `unexpected ${describe(opAt)} after label name ${JSON.stringify(label)}, expected one of "=", "!=", "=~", "!~"`);
        }
      } else {
        pos += op.length;
        skipWs();
        const q = text[pos];
        if (q !== '"' && q !== "'" && q !== '`') fail(pos, `unexpected ${describe(pos)}, expected a quoted label value`);
        const valueAt = pos;
        const value = quoted();
        let re: AnchoredRegex | null = null;
        if (op === '=~' || op === '!~') {
          try {
            re = compileAnchored(value, dotAll);
          } catch (err) {
            fail(valueAt, `invalid regular expression in ${label}${op}${JSON.stringify(value)}: ${(err as Error).message}`);
          }
        }
        if (label === '__name__') {
          const fixed = outerName ?? quotedName?.value;
          if (fixed !== undefined) {
            fail(at, `metric name must not be set twice: ${JSON.stringify(fixed)} or ${JSON.stringify(value)}`);
          }
          if (nameMatcherAt < 0) nameMatcherAt = at;
        }
        matchers.push({ name: label!, op, value, re });
      }
      skipWs();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        break;
      }
      fail(pos, `unexpected ${describe(pos)} inside braces, expected "," or "}"`);
    }
  } else if (outerName === null) {
    fail(nameStart, `unexpected ${describe(nameStart)}, expected a metric name or "{"`);
  }
  skipWs();
  if (pos < text.length) fail(pos, `unexpected ${describe(pos)} after the selector`);
  if (outerName !== null && quotedName !== null) {
    fail(quotedName.at, `metric name must not be set twice: ${JSON.stringify(outerName)} or ${JSON.stringify(quotedName.value)}`);
  }
  if (quotedName !== null && nameMatcherAt >= 0) {
    fail(nameMatcherAt, `metric name must not be set twice: ${JSON.stringify(quotedName.value)}`);
  }
  const fixed = outerName ?? quotedName?.value ?? null;
  if (fixed !== null) matchers.push({ name: '__name__', op: '=', value: fixed, re: null });
  // Evaluation order: metric-name matchers first (most selective and, in selectorMatchesNamed, free).
  const ordered = [...matchers.filter((m) => m.name === '__name__'), ...matchers.filter((m) => m.name !== '__name__')];
  const metricName = ordered.find((m) => m.name === '__name__' && m.op === '=')?.value ?? null;
  if (!opts.allowEmptyMatchers && !ordered.some((m) => !matchesEmpty(m))) {
    fail(0, 'vector selector must contain at least one non-empty matcher');
  }
  return { text, metricName, matchers: ordered };
}

function valueOf(labels: readonly Label[], name: string): string {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l.name === name) return l.value;
  }
  return '';
}

function matchOne(m: LabelMatcher, v: string): boolean {
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    default:
      return !m.re!.test(v);
  }
}

/** Whether the series matches; `labels` sorted by name and including `__name__`. */
export function selectorMatches(sel: Selector, labels: readonly Label[]): boolean {
  const ms = sel.matchers;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    if (!matchOne(m, valueOf(labels, m.name))) return false;
  }
  return true;
}

/** Whether the series matches, the metric name given separately (`labels` hold no `__name__`). */
export function selectorMatchesNamed(sel: Selector, name: string, labels: readonly Label[]): boolean {
  const ms = sel.matchers;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    // Fast path for the metric-name matcher (always first when present): no label scan.
    const v = m.name === '__name__' ? name : valueOf(labels, m.name);
    if (!matchOne(m, v)) return false;
  }
  return true;
}
