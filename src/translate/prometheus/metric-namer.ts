/**
 * OTLP metric name + unit + type -> Prometheus metric name, and OTLP unit -> Prometheus unit word.
 *
 * Contract: a faithful port of prometheus/otlptranslator `MetricNamer` and `UnitNamer` (metric_namer.go,
 * unit_namer.go, as pinned by test/fixtures/otel/otlptranslator_metric_namer_cases.json):
 * - `utf8Allowed=false`: names are escaped to `[a-zA-Z0-9:_]`. With suffixes, the name is split into tokens on every
 *   invalid char and `_` (so `_` runs collapse), the unit words are appended unless already a token, then `total`
 *   (monotonic counters) / `ratio` (unit "1" gauges); a leading digit gets a `_` prefix. Without suffixes only the
 *   invalid chars other than `_` are replaced. A result that is empty or only `_` is an error.
 * - `utf8Allowed=true`: the name is kept; with suffixes, unit/per-unit/`_total`/`_ratio` are appended unless present.
 * - The namespace is prepended as `<namespace>_`.
 * Pure functions, no I/O. `buildMetricName` never throws: it returns a `NameResult` with `error` set on failure.
 */

/** The otlptranslator MetricType values (what decides the suffixes). */
export type NamerMetricType =
  | 'gauge'
  | 'monotonic_counter'
  | 'non_monotonic_counter'
  | 'histogram'
  | 'exponential_histogram'
  | 'summary'
  | 'unknown';

export interface MetricNamerOptions {
  readonly namespace: string;
  readonly withMetricSuffixes: boolean;
  readonly utf8Allowed: boolean;
}

export interface NameResult {
  /** The Prometheus name; '' when `error` is set. */
  readonly name: string;
  readonly error?: string | undefined;
}

/** UCUM -> Prometheus unit words (the implementation's map: note `TiBy` -> `tibibytes`, `KBy` -> `kilobytes`). */
export const UNIT_MAP: Readonly<Record<string, string>> = Object.freeze({
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
});

/** UCUM "per" units -> singular words (`m/s` -> `meters_per_second`). */
export const PER_UNIT_MAP: Readonly<Record<string, string>> = Object.freeze({
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
});

/** a-z A-Z 0-9 ':' (note: `_` is NOT in this set; callers treat it separately). */
function isCompliantMetricChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58;
}

function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Go strings.FieldsFunc over code points: split where `sep(cp)` is true, drop empty fields. */
function fields(s: string, sep: (cp: number) => boolean): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (sep(ch.codePointAt(0)!)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

const notCompliant = (cp: number): boolean => !isCompliantMetricChar(cp);
const notCompliantNorUnderscore = (cp: number): boolean => !isCompliantMetricChar(cp) && cp !== 95;

/** Replace every char outside [a-zA-Z0-9:] (including `_`) by `_`, collapse `_` runs, trim one leading `_`. */
function cleanUpUnit(unit: string): string {
  let out = '';
  let prevUnderscore = false;
  for (const ch of unit) {
    const cp = ch.codePointAt(0)!;
    if (isCompliantMetricChar(cp)) {
      out += ch;
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return out.startsWith('_') ? out.slice(1) : out;
}

/** Main and per unit words, not yet cleaned (`per_` prefix on the per unit). */
export function buildUnitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf('/');
  const mainTok = slash < 0 ? unit : unit.slice(0, slash);
  let main = '';
  let per = '';
  const mainOTel = mainTok.trim();
  if (mainOTel !== '' && !/[{}]/.test(mainOTel)) main = UNIT_MAP[mainOTel] ?? mainOTel;
  if (slash >= 0) {
    const perTok = unit.slice(slash + 1);
    if (perTok !== '') {
      const perOTel = perTok.trim();
      if (perOTel !== '' && !/[{}]/.test(perOTel)) per = PER_UNIT_MAP[perOTel] ?? perOTel;
      if (per !== '') per = 'per_' + per;
    }
  }
  return [main, per];
}

/** otlptranslator UnitNamer.Build: the unit word used for `# UNIT` / metadata and as a name suffix. */
export function buildUnitName(unit: string, utf8Allowed: boolean): string {
  let [main, per] = buildUnitSuffixes(unit);
  if (!utf8Allowed) {
    main = cleanUpUnit(main);
    per = cleanUpUnit(per);
  }
  let u = main !== '' && per !== '' ? main + '_' + per : main !== '' ? main : per;
  if (u.startsWith('_')) u = u.slice(1);
  if (u.endsWith('_')) u = u.slice(0, -1);
  return u;
}

function removeItem(tokens: string[], value: string): string[] {
  return tokens.filter((t) => t !== value);
}

function addUnitTokens(tokens: string[], mainSuffix: string, perSuffix: string): string[] {
  if (tokens.includes(mainSuffix)) mainSuffix = '';
  if (perSuffix === 'per_') {
    perSuffix = '';
  } else {
    if (perSuffix.endsWith('_')) perSuffix = perSuffix.slice(0, -1);
    if (tokens.includes(perSuffix)) perSuffix = '';
  }
  if (perSuffix !== '' && mainSuffix.endsWith('_')) mainSuffix = mainSuffix.slice(0, -1);
  if (mainSuffix !== '') tokens.push(mainSuffix);
  if (perSuffix !== '') tokens.push(perSuffix);
  return tokens;
}

/** Full normalisation with suffixes (normalizeName in metric_namer.go). */
function normalizeName(name: string, unit: string, type: NamerMetricType, namespace: string): string {
  let tokens = fields(name, notCompliant);
  const [main, per] = buildUnitSuffixes(unit);
  tokens = addUnitTokens(tokens, cleanUpUnit(main), cleanUpUnit(per));
  if (type === 'monotonic_counter') {
    tokens = removeItem(tokens, 'total');
    tokens.push('total');
  }
  if (unit === '1' && type === 'gauge') {
    tokens = removeItem(tokens, 'ratio');
    tokens.push('ratio');
  }
  if (namespace !== '') tokens.unshift(namespace);
  let out = tokens.join('_');
  if (out !== '' && isAsciiDigit(out.charCodeAt(0))) out = '_' + out;
  return out;
}

function buildCompliantName(name: string, unit: string, type: NamerMetricType, o: MetricNamerOptions): NameResult {
  let normalized: string;
  if (o.withMetricSuffixes) {
    normalized = normalizeName(name, unit, type, o.namespace);
  } else {
    const metricName = fields(name, notCompliantNorUnderscore).join('_');
    if (o.namespace !== '') {
      normalized = fields(o.namespace, notCompliantNorUnderscore).join('_') + '_' + metricName;
    } else {
      normalized = metricName !== '' && isAsciiDigit(metricName.charCodeAt(0)) ? '_' + metricName : metricName;
    }
  }
  if (normalized.length === 0) {
    return { name: '', error: `normalization for metric ${JSON.stringify(name)} resulted in empty name` };
  }
  if (normalized !== name && /^_+$/.test(normalized)) {
    return {
      name: '',
      error: `normalization for metric ${JSON.stringify(name)} resulted in invalid name ${JSON.stringify(normalized)}`,
    };
  }
  return { name: normalized };
}

/** Trim `suffix` plus the one delimiter char before it (trimSuffixAndDelimiter). */
function trimSuffixAndDelimiter(name: string, suffix: string): string {
  if (name.endsWith(suffix) && name.length > suffix.length + 1) return name.slice(0, name.length - suffix.length - 1);
  return name;
}

function buildUtf8Name(inputName: string, unit: string, type: NamerMetricType, o: MetricNamerOptions): NameResult {
  let name = o.namespace !== '' ? o.namespace + '_' + inputName : inputName;
  if (!o.withMetricSuffixes) return { name };
  // Go appends these in deferred order: per unit, then _total, then _ratio.
  const ratio = unit === '1' && type === 'gauge';
  if (ratio) name = trimSuffixAndDelimiter(name, 'ratio');
  const total = type === 'monotonic_counter';
  if (total) name = trimSuffixAndDelimiter(name, 'total');
  const [main, per] = buildUnitSuffixes(unit);
  if (per !== '') name = trimSuffixAndDelimiter(name, per);
  if (main !== '' && !name.endsWith(main)) name = name + '_' + main;
  if (per !== '') name = name + '_' + per;
  if (total) name += '_total';
  if (ratio) name += '_ratio';
  return { name };
}

/** True when `name` matches the classic metric-name syntax `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isClassicMetricName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isCompliantMetricChar(c) || c === 95) || (i === 0 && isAsciiDigit(c))) return false;
  }
  return true;
}

/** MetricNamer.Build. */
export function buildMetricName(name: string, unit: string, type: NamerMetricType, o: MetricNamerOptions): NameResult {
  return o.utf8Allowed ? buildUtf8Name(name, unit, type, o) : buildCompliantName(name, unit, type, o);
}
