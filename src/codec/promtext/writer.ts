/**
 * Exposition writer: renders metric families as Prometheus text 0.0.4 or OpenMetrics 1.0.0, as client_golang's
 * expfmt does.
 *
 * Contract
 * - Input: `WriteFamily { name, type, help?, unit?, samples }`; each sample has an optional `suffix` (`_total`,
 *   `_created`, `_bucket`, `_count`, `_sum`, `_gcount`, `_gsum`, `_info`; default '' = the family's main sample),
 *   flat label pairs `[k0, v0, k1, v1, ...]`, optional numeric `le` / `quantile` (appended last and formatted per
 *   format: `1` in text, `1.0` in OpenMetrics), value, optional `timestampMs` and (OpenMetrics only) `exemplar`.
 *   The writer does not reorder, dedupe or validate samples: give it families in a valid order.
 * - Names: counters may be named with or without `_total`. Text keeps the given name for HELP/TYPE and the value
 *   sample (adding `_total` only when suffix `_total` is asked for explicitly); OpenMetrics strips `_total` from the
 *   family name and always writes `<base>_total` / `<base>_created`. Info families likewise use `<base>_info`.
 * - Types: text knows counter/gauge/histogram/summary/untyped, so unknown -> untyped, info and stateset -> gauge,
 *   gaugehistogram -> untyped. OpenMetrics writes `unknown` for untyped.
 * - UNIT (OpenMetrics only) is written only when non-empty, a `_unit` suffix of the family name and the type allows
 *   it; otherwise it is dropped so the output stays valid. Exemplars are written only on counter `_total` and
 *   histogram `_bucket` samples and only when their labels total at most 128 code points; others are dropped.
 * - Floats: text uses `formatFloat` (client_golang writeFloat), OpenMetrics `formatFloatOM` (writeOpenMetricsFloat)
 *   except integral `_bucket`/`_count`/`_gcount` values, written as plain integers as client_golang does;
 *   text timestamps are integer ms, OpenMetrics timestamps exact decimal seconds. OpenMetrics output ends in `# EOF\n`.
 * - Escaping: label values `\` `"` newline; HELP `\` newline (text) and also `"` (OpenMetrics).
 * - Shared with the /metrics exporter's byte-level render (src/exporters/prometheus/render.ts), so both write the same
 *   text: `escapeHelp`, `textTypeName`, `formatCountOM`, and the byte writers `putInt` (decimal digits of a safe
 *   integer, as `String(v)`) and `putAscii` (a string known to be ASCII, byte per char) into a Uint8Array.
 */
import { formatFloat, formatFloatOM, formatMsAsSeconds } from './float.ts';
import type { Format, MetricType } from './types.ts';

export interface WriteExemplar {
  labels: readonly string[];
  value: number;
  timestampMs?: number;
}

export interface WriteSample {
  suffix?: string;
  labels?: readonly string[];
  le?: number;
  quantile?: number;
  value: number;
  timestampMs?: number;
  exemplar?: WriteExemplar;
}

export interface WriteFamily {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  samples: readonly WriteSample[];
}

function needsEscape(s: string, quotes: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 10 || (quotes && c === 34)) return true;
  }
  return false;
}

function escape(s: string, quotes: boolean): string {
  // Fast path: most values have nothing to escape.
  if (!needsEscape(s, quotes)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const rep = c === 92 ? '\\\\' : c === 10 ? '\\n' : quotes && c === 34 ? '\\"' : null;
    if (rep !== null) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

/** Escapes a label value for either format: backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  return escape(v, true);
}

/** Escapes HELP text: backslash and newline; OpenMetrics also double quote. */
export function escapeHelp(help: string, openMetrics: boolean): string {
  return escape(help, openMetrics);
}

/**
 * OpenMetrics value of a `_bucket` / `_count` / `_gcount` sample: integral values as plain integers (client_golang
 * writes them as unsigned integers), anything else as an OpenMetrics float.
 */
export function formatCountOM(v: number): string {
  return Number.isInteger(v) && v >= 0 && v < 1e21 ? String(v) : formatFloatOM(v);
}

/**
 * Writes the decimal digits of `v` (a safe integer: `Number.isSafeInteger(v)`; -0 writes `0`) at `off`, exactly as
 * `String(v)`; returns the offset after them. The caller guarantees 17 bytes of room.
 */
export function putInt(buf: Uint8Array, off: number, v: number): number {
  if (v < 0) {
    buf[off++] = 45; // '-'
    v = -v;
  }
  if (v < 10) {
    buf[off] = 48 + v;
    return off + 1;
  }
  let digits = 2;
  for (let p = 100; p <= v && digits < 16; p *= 10) digits++;
  let n = v;
  for (let i = off + digits - 1; i >= off; i--) {
    const q = Math.floor(n / 10);
    buf[i] = 48 + (n - q * 10);
    n = q;
  }
  return off + digits;
}

/** Writes an ASCII string byte per char at `off` (short strings: formatted numbers); returns the offset after it. */
export function putAscii(buf: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[off++] = s.charCodeAt(i);
  return off;
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

function labelBlock(labels: readonly string[] | undefined, extraName: string, extraValue: string | null): string {
  const n = labels === undefined ? 0 : labels.length;
  if (n < 2 && extraValue === null) return '';
  let out = '{';
  for (let i = 0; i + 1 < n; i += 2) {
    if (i > 0) out += ',';
    out += (labels as readonly string[])[i] + '="' + escape((labels as readonly string[])[i + 1] as string, true) + '"';
  }
  if (extraValue !== null) out += (n >= 2 ? ',' : '') + extraName + '="' + extraValue + '"';
  return out + '}';
}

/** The text 0.0.4 TYPE of a family type: unknown -> untyped, info and stateset -> gauge, gaugehistogram -> untyped. */
export function textTypeName(t: string): string {
  switch (t) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return t;
    case 'info':
    case 'stateset':
      return 'gauge';
    default:
      return 'untyped';
  }
}

function stripSuffix(name: string, suffix: string): string {
  return name.endsWith(suffix) ? name.slice(0, name.length - suffix.length) : name;
}

export function writeText(families: Iterable<WriteFamily>): string {
  let out = '';
  for (const f of families) {
    const isCounter = f.type === 'counter';
    const meta = f.type === 'info' && !f.name.endsWith('_info') ? f.name + '_info' : f.name;
    if (f.help !== undefined) out += '# HELP ' + meta + ' ' + escape(f.help, false) + '\n';
    out += '# TYPE ' + meta + ' ' + textTypeName(f.type) + '\n';
    for (const s of f.samples) {
      const sfx = s.suffix ?? '';
      let name: string;
      if (sfx === '' || (sfx === '_info' && f.type === 'info')) name = meta;
      else if (isCounter && sfx === '_total') name = f.name.endsWith('_total') ? f.name : f.name + '_total';
      else if (isCounter && sfx === '_created') name = stripSuffix(f.name, '_total') + '_created';
      else name = f.name + sfx;
      const extra =
        s.le !== undefined ? formatFloat(s.le) : s.quantile !== undefined ? formatFloat(s.quantile) : null;
      out += name + labelBlock(s.labels, s.le !== undefined ? 'le' : 'quantile', extra) + ' ' + formatFloat(s.value);
      if (s.timestampMs !== undefined) out += ' ' + String(Math.trunc(s.timestampMs));
      out += '\n';
    }
  }
  return out;
}

export function writeOpenMetrics(families: Iterable<WriteFamily>): string {
  let out = '';
  for (const f of families) {
    const t = f.type;
    const base = t === 'counter' ? stripSuffix(f.name, '_total') : t === 'info' ? stripSuffix(f.name, '_info') : f.name;
    if (f.help !== undefined) out += '# HELP ' + base + ' ' + escape(f.help, true) + '\n';
    out += '# TYPE ' + base + ' ' + (t === 'untyped' ? 'unknown' : t) + '\n';
    const u = f.unit;
    if (u !== undefined && u !== '' && t !== 'info' && t !== 'stateset' && base.endsWith('_' + u)) {
      out += '# UNIT ' + base + ' ' + u + '\n';
    }
    for (const s of f.samples) {
      const sfx = s.suffix ?? '';
      const name =
        t === 'counter' ? base + (sfx === '' ? '_total' : sfx)
        : t === 'info' ? base + '_info'
        : base + sfx;
      const extra =
        s.le !== undefined ? formatFloatOM(s.le) : s.quantile !== undefined ? formatFloatOM(s.quantile) : null;
      // client_golang writes bucket and count values as unsigned integers, everything else as OpenMetrics floats.
      const v = s.value;
      const isCount = sfx === '_bucket' || sfx === '_count' || sfx === '_gcount';
      const vs = isCount ? formatCountOM(v) : formatFloatOM(v);
      out += name + labelBlock(s.labels, s.le !== undefined ? 'le' : 'quantile', extra) + ' ' + vs;
      if (s.timestampMs !== undefined) out += ' ' + formatMsAsSeconds(s.timestampMs);
      const ex = s.exemplar;
      if (ex !== undefined) {
        const allowed =
          (t === 'counter' && (sfx === '' || sfx === '_total')) ||
          ((t === 'histogram' || t === 'gaugehistogram') && sfx === '_bucket');
        let len = 0;
        for (let i = 0; i < ex.labels.length; i++) len += codePoints(ex.labels[i] as string);
        if (allowed && len <= 128) {
          out += ' # ' + (ex.labels.length < 2 ? '{}' : labelBlock(ex.labels, '', null)) + ' ' + formatFloatOM(ex.value);
          if (ex.timestampMs !== undefined) out += ' ' + formatMsAsSeconds(ex.timestampMs);
        }
      }
      out += '\n';
    }
  }
  return out + '# EOF\n';
}

export function writeExposition(format: Format, families: Iterable<WriteFamily>): string {
  return format === 'openmetrics' ? writeOpenMetrics(families) : writeText(families);
}
