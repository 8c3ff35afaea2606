/**
 * OpenMetrics 1.0 family-level validation, layered on the OpenMetrics tokenizer (omparse.ts) so the scrape hot path
 * stays lean when strictness is not wanted.
 *
 * Contract
 * - Feed it every entry in order: `metadata()` for HELP/TYPE/UNIT, `sample()` for each series, `end()` at `# EOF`.
 *   Each returns `null` when fine or a message naming the broken rule; the parser turns it into a ParseError with
 *   the line. State spans the whole exposition, so it works across streamed chunks. `reset()` before reuse.
 * - Rules (the semantics of the OpenMetrics reference parser that the official test suite was written against):
 *   metadata only before a family's samples and at most once each; a family's samples must use the names its TYPE
 *   allows (counter `_total`/`_created`; summary ``/`_count`/`_sum`/`_created`; histogram `_bucket`/`_count`/`_sum`/
 *   `_created`; gaugehistogram `_bucket`/`_gcount`/`_gsum`; info `_info`; others the bare name), otherwise the sample
 *   starts a new `unknown` family; family names (with their suffixes) may not repeat or clash; UNIT not on info/
 *   stateset; `le` present, a float, infinities spelled `+Inf`/`-Inf`; quantile in [0, 1]; stateset samples carry
 *   the family-named label and are 0/1; info samples are 1; bucket/count values are integers; counter-like values
 *   are not NaN or negative (gsum may be negative); samples of one group (same labels minus le/quantile/state) are
 *   contiguous, timestamps within a group all present or all absent and not decreasing (except info); per histogram
 *   group and timestamp: buckets strictly increasing in `le` with non-decreasing counts, a `+Inf` bucket, `_count`
 *   equal to it, `_sum` with `_count` and vice versa, no `_sum` with negative buckets, negative `_gsum` only with
 *   negative buckets; exemplars only on counter `_total` and (gauge)histogram `_bucket`, their label names and values
 *   at most 128 code points together.
 * - Lines repeating a series at the same timestamp inside its group (same suffix; for buckets the same le value) are
 *   ignored by the histogram checks, as the reference parser drops them.
 * - Cost: no allocation per sample. Group identity is a 53-bit order- and escaping-independent hash of the label set
 *   (parser `labelSetHash`), kept per family in an open-addressing set, so memory is O(groups of the current family);
 *   a hash collision (about G^2 / 2^54 for G groups) could merge two groups.
 */
import { EntryType } from './types.ts';
import type { MetricType } from './types.ts';

/** What the validator reads from the parser (the parser's own accessors). */
export interface SampleView {
  metricName(): string;
  metricNameIs(name: string): boolean;
  metadataName(): string;
  series(): string;
  labelCount(): number;
  labelName(i: number): string;
  labelValue(i: number): string;
  labelIndex(name: string): number;
  labelValueNumber(i: number): number | undefined;
  labelValueIs(i: number, str: string): boolean;
  labelSetHash(skip: string): number;
  value(): number;
  hasTimestamp(): boolean;
  timestampSeconds(): number;
  metricType(): MetricType;
  unit(): string;
  hasExemplar(): boolean;
  exemplarLabelCount(): number;
  exemplarLabelName(i: number): string;
  exemplarLabelValue(i: number): string;
}

const SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  info: ['_info'],
};
const BARE: readonly string[] = [''];
const MAX_EXEMPLAR_RUNES = 128;

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--; // low surrogate: second half of one code point
  }
  return n;
}

/** Set of 53-bit integers (open addressing over a Float64Array): no allocation per insert, cheap clear. */
class NumberSet {
  private t = new Float64Array(64);
  private n = 0;
  private hasZero = false;

  has(k: number): boolean {
    if (k === 0) return this.hasZero;
    const t = this.t;
    const mask = t.length - 1;
    for (let i = (k >>> 0) & mask; ; i = (i + 1) & mask) {
      const x = t[i] as number;
      if (x === k) return true;
      if (x === 0) return false;
    }
  }

  add(k: number): void {
    if (k === 0) {
      this.hasZero = true;
      return;
    }
    if (2 * (this.n + 1) > this.t.length) this.grow();
    const t = this.t;
    const mask = t.length - 1;
    let i = (k >>> 0) & mask;
    while (t[i] !== 0) {
      if (t[i] === k) return;
      i = (i + 1) & mask;
    }
    t[i] = k;
    this.n++;
  }

  clear(): void {
    if (this.n > 0) {
      if (this.t.length > 4096) this.t = new Float64Array(64);
      else this.t.fill(0);
    }
    this.n = 0;
    this.hasZero = false;
  }

  private grow(): void {
    const old = this.t;
    this.t = new Float64Array(old.length * 2);
    this.n = 0;
    for (let i = 0; i < old.length; i++) {
      const x = old[i] as number;
      if (x !== 0) this.add(x);
    }
  }
}

export class OpenMetricsValidator {
  private readonly seen = new Set<string>();
  private fam: string | null = null;
  private typ: MetricType | null = null;
  private hasHelp = false;
  private hasUnit = false;
  private unitText = '';
  private nSamples = 0;
  private allowed: string[] = [];
  private suffixes: readonly string[] = BARE;
  private isHist = false;
  // Grouping of consecutive samples.
  private hasGroup = false;
  private group = 0;
  private groupHasTs = false;
  private groupTs = 0;
  private readonly seenGroups = new NumberSet();
  // Histogram consistency, per (group, timestamp).
  private hActive = false;
  private hGroup = 0;
  private hHasTs = false;
  private hTs = 0;
  private hHasBucket = false;
  private hBucket = 0;
  private hValue = 0;
  private hHasCount = false;
  private hCount = 0;
  private hSum = false;
  private hGsum = false;
  private hNeg = false;
  private hNegGsum = false;
  /** le of every bucket of the current (group, timestamp) run, to recognise a repeated line. */
  private readonly hLes: number[] = [];
  reset(): void {
    this.seen.clear();
    this.start('');
    this.fam = null;
    this.allowed = [];
  }

  metadata(kind: EntryType, s: SampleView): string | null {
    const name = s.metadataName();
    if (name === this.fam) {
      if (this.nSamples > 0) return `metadata for '${name}' after its samples`;
    } else {
      const err = this.finish();
      if (err !== null) return err;
      this.start(name);
    }
    if (kind === EntryType.Help) {
      if (this.hasHelp) return `more than one HELP for '${name}'`;
      this.hasHelp = true;
    } else if (kind === EntryType.Unit) {
      if (this.hasUnit) return `more than one UNIT for '${name}'`;
      this.hasUnit = true;
      this.unitText = s.unit();
    } else if (kind === EntryType.Type) {
      if (this.typ !== null) return `more than one TYPE for '${name}'`;
      const t = s.metricType();
      this.typ = t;
      this.isHist = t === 'histogram' || t === 'gaugehistogram';
      this.suffixes = SUFFIXES[t] ?? BARE;
      this.allowed = this.suffixes.map((x) => name + x);
    }
    return null;
  }

  sample(s: SampleView): string | null {
    const allowed = this.allowed;
    let k = -1;
    for (let i = 0; i < allowed.length; i++) {
      if (s.metricNameIs(allowed[i] as string)) {
        k = i;
        break;
      }
    }
    const name = k < 0 ? s.metricName() : (allowed[k] as string);
    if (k < 0) {
      // A name the current family does not own starts a new family of unknown type.
      const err = this.finish();
      if (err !== null) return err;
      this.start(name);
      this.typ = 'unknown';
      k = 0;
    }
    const fam = this.fam as string;
    const suffix = this.suffixes[k] as string;
    const typ = this.typ ?? 'unknown';
    const v = s.value();
    if (typ === 'stateset' && s.labelIndex(fam) < 0) return `stateset sample without a label named '${fam}'`;
    if (suffix !== '' && suffix !== '_created' && suffix !== '_info') {
      // _total, _sum, _count, _bucket, _gcount, _gsum are counter-like.
      if (v !== v) return `'${name}' cannot be NaN`;
      if (v < 0 && suffix !== '_gsum') return `'${name}' cannot be negative, got ${v}`;
    }
    let le = 0;
    if (suffix === '_bucket') {
      const i = s.labelIndex('le');
      if (i < 0) return `bucket '${name}' without an 'le' label`;
      // Parsed in place: no string for the usual le="0.25".
      const b = s.labelValueNumber(i);
      if (b === undefined || b !== b) return `invalid le '${s.labelValue(i)}'`;
      if ((b === Infinity || b === -Infinity) && !s.labelValueIs(i, '+Inf') && !s.labelValueIs(i, '-Inf')) {
        return `non-canonical le '${s.labelValue(i)}' (infinities are spelled +Inf / -Inf)`;
      }
      le = b;
      if (!Number.isInteger(v)) return `bucket value must be an integer, got ${v}`;
    } else if (suffix === '_count' || suffix === '_gcount') {
      if (!Number.isInteger(v)) return `'${name}' must be an integer, got ${v}`;
    } else if (typ === 'summary' && suffix === '') {
      const i = s.labelIndex('quantile');
      if (i < 0) return `summary quantile sample without a 'quantile' label`;
      const q = s.labelValueNumber(i);
      if (q === undefined || !(q >= 0 && q <= 1)) return `invalid quantile '${s.labelValue(i)}' (must be in [0, 1])`;
    }

    // Group identity: a 53-bit order- and escaping-independent hash of the labels minus le/quantile/state (info:
    // one group). A collision (about G^2 / 2^54 for G groups of a family) could merge two groups; accepted.
    const g = typ === 'info' ? 0 : s.labelSetHash(this.groupSkip(typ, suffix, fam));
    const hasTs = s.hasTimestamp();
    const ts = hasTs ? s.timestampSeconds() : 0;
    if (this.hasGroup && g === this.group) {
      if (hasTs !== this.groupHasTs) return `mix of samples with and without timestamp in one group of '${fam}'`;
      if (hasTs && this.groupTs > ts && typ !== 'info') return `timestamps went backwards in a group of '${fam}'`;
    } else {
      if (this.seenGroups.has(g)) {
        return `samples of one group of '${fam}' are not contiguous (interleaved with another group)`;
      }
      this.seenGroups.add(g);
    }
    this.hasGroup = true;
    this.group = g;
    this.groupHasTs = hasTs;
    this.groupTs = ts;
    if (this.isHist) {
      const err = this.histSample(suffix, g, hasTs, ts, v, le);
      if (err !== null) return err;
    }

    if (typ === 'stateset' && v !== 0 && v !== 1) return `stateset value must be 0 or 1, got ${v}`;
    if (typ === 'info' && v !== 1) return `info value must be 1, got ${v}`;
    if (typ === 'summary' && suffix === '' && v < 0) return `quantile value cannot be negative, got ${v}`;
    if (s.hasExemplar()) {
      const ok =
        ((typ === 'histogram' || typ === 'gaugehistogram') && suffix === '_bucket') ||
        (typ === 'counter' && suffix === '_total');
      if (!ok) return `exemplars are only allowed on counter _total and histogram _bucket samples, not on '${name}'`;
      let n = 0;
      for (let i = 0, m = s.exemplarLabelCount(); i < m; i++) {
        n += codePoints(s.exemplarLabelName(i)) + codePoints(s.exemplarLabelValue(i));
      }
      if (n > MAX_EXEMPLAR_RUNES) return `exemplar labels are ${n} code points long (max ${MAX_EXEMPLAR_RUNES})`;
    }
    this.nSamples++;
    return null;
  }

  /** Call at `# EOF`: closes the last family. */
  end(): string | null {
    return this.finish();
  }

  private start(name: string): void {
    this.fam = name;
    this.typ = null;
    this.hasHelp = false;
    this.hasUnit = false;
    this.unitText = '';
    this.nSamples = 0;
    this.allowed = [name];
    this.suffixes = BARE;
    this.isHist = false;
    this.hasGroup = false;
    this.group = 0;
    this.groupHasTs = false;
    this.groupTs = 0;
    this.seenGroups.clear();
    this.hActive = false;
  }

  private finish(): string | null {
    const fam = this.fam;
    if (fam === null) return null;
    this.fam = null;
    const typ = this.typ ?? 'unknown';
    // The family owns its bare name and every suffixed name of its type; none may have been owned before.
    if (this.seen.has(fam)) return `metric family name '${fam}' clashes with an earlier family`;
    this.seen.add(fam);
    for (const x of SUFFIXES[typ] ?? BARE) {
      if (x === '') continue;
      if (this.seen.has(fam + x)) return `metric family name '${fam + x}' clashes with an earlier family`;
      this.seen.add(fam + x);
    }
    if (this.hasUnit && this.unitText !== '' && (typ === 'info' || typ === 'stateset')) {
      return `UNIT is not allowed on ${typ} '${fam}'`;
    }
    if (this.isHist && this.hActive) return this.histChecks(fam);
    return null;
  }

  /** The label left out of a sample's group identity: le of buckets, quantile of quantiles, a stateset's state. */
  private groupSkip(typ: MetricType, suffix: string, fam: string): string {
    if (typ === 'summary' && suffix === '') return 'quantile';
    if (typ === 'stateset') return fam;
    if (this.isHist && suffix === '_bucket') return 'le';
    return '';
  }

  private histSample(suffix: string, g: number, hasTs: boolean, ts: number, v: number, le: number): string | null {
    if (!this.hActive || g !== this.hGroup || hasTs !== this.hHasTs || (hasTs && ts !== this.hTs)) {
      if (this.hActive) {
        const err = this.histChecks(this.fam as string);
        if (err !== null) return err;
      }
      this.hActive = true;
      this.hHasBucket = false;
      this.hBucket = 0;
      this.hValue = 0;
      this.hHasCount = false;
      this.hCount = 0;
      this.hSum = false;
      this.hGsum = false;
      this.hNeg = false;
      this.hNegGsum = false;
      this.hLes.length = 0;
    }
    this.hGroup = g;
    this.hHasTs = hasTs;
    this.hTs = ts;
    // A line repeating a series of this run (same group, same timestamp) is ignored, as the reference parser
    // drops it; only a bucket whose le does not increase can be such a repeat.
    if (suffix === '_bucket') {
      if (this.hHasBucket && le <= this.hBucket) {
        if (this.hLes.indexOf(le) >= 0) return null;
        return `buckets of '${this.fam}' out of order (le must increase)`;
      }
      if (le < 0) this.hNeg = true;
      if (v < this.hValue) return `bucket counts of '${this.fam}' decrease`;
      this.hHasBucket = true;
      this.hBucket = le;
      this.hValue = v;
      this.hLes.push(le);
    } else if (suffix === '_count' || suffix === '_gcount') {
      if (this.hHasCount) return null;
      this.hHasCount = true;
      this.hCount = v;
    } else if (suffix === '_sum') {
      this.hSum = true;
    } else if (suffix === '_gsum') {
      if (this.hGsum) return null;
      this.hGsum = true;
      if (v < 0) this.hNegGsum = true;
    }
    return null;
  }

  private histChecks(fam: string): string | null {
    if (!this.hHasBucket || this.hBucket !== Infinity) return `histogram '${fam}' lacks the le="+Inf" bucket`;
    if (this.hHasCount && this.hValue !== this.hCount) return `count of '${fam}' does not match its +Inf bucket`;
    if (this.hSum && !this.hHasCount) return `'${fam}_sum' without '${fam}_count'`;
    if (this.hGsum && !this.hHasCount) return `'${fam}_gsum' without '${fam}_gcount'`;
    if (!(this.hSum || this.hGsum) && this.hHasCount) return `count of '${fam}' without a sum`;
    if (this.hNeg && this.hSum) return `histogram '${fam}' has negative buckets and a _sum`;
    if (!this.hNeg && this.hNegGsum) return `negative _gsum of '${fam}' without negative buckets`;
    return null;
  }
}
