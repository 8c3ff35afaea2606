/**
 * Float parsing and formatting with Go semantics, as Prometheus and client_golang use them.
 *
 * Contract
 * - `parseFloatAt(s, start, end)` accepts exactly what Prometheus's textparse `parseFloat` accepts: Go
 *   `strconv.ParseFloat(s, 64)` minus hex floats and underscores (Prometheus rejects `p`, `P`, `_`; Go itself rejects
 *   hex without a `p` exponent, so no hex form survives). That is: `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`,
 *   `[+-]?(inf|infinity)` and `nan` (case-insensitive; no sign on NaN). Decimal overflow (`1e400`) is an error, as
 *   Go returns ErrRange. Returns `undefined` for anything else. Results are correctly rounded.
 * - `formatFloat(v)` renders like client_golang's text writer: `strconv.FormatFloat(v, 'g', -1, 64)` with the
 *   special cases `+Inf`, `-Inf`, `NaN`, and `0` for both zeros. `formatFloatOM(v)` renders like client_golang's
 *   OpenMetrics writer: the same, but integral values get `.0` (`1.0`, `17.0`, `0.0`).
 * - `formatGoFloat(v)` is the raw Go `'g', -1` form (`-0` stays `-0`, infinities are `+Inf`/`-Inf`).
 */

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

/** Case-insensitive match of s[start, end) against a lowercase ASCII word. */
function wordIs(s: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if ((s.charCodeAt(start + i) | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

export function parseFloatAt(s: string, start: number, end: number): number | undefined {
  let p = start;
  if (p >= end) return undefined;
  let c = s.charCodeAt(p);
  let neg = false;
  let signed = false;
  if (c === 43 /* + */ || c === 45 /* - */) {
    neg = c === 45;
    signed = true;
    if (++p >= end) return undefined;
    c = s.charCodeAt(p);
  }
  if ((c < 48 || c > 57) && c !== 46 /* . */) {
    // Special values: Go accepts [+-]inf, [+-]infinity and unsigned nan, in any case.
    if (wordIs(s, p, end, 'inf') || wordIs(s, p, end, 'infinity')) return neg ? -Infinity : Infinity;
    if (!signed && wordIs(s, p, end, 'nan')) return NaN;
    return undefined;
  }
  // Decimal. Fast path (Clinger): up to 15 significant digits fit exactly in a double, and so does 10^k for k <= 22,
  // so one multiplication or division is correctly rounded. Anything longer goes through Number() after validation.
  let mant = 0;
  let nd = 0;
  let exp10 = 0;
  let digits = 0;
  let slow = false;
  while (p < end && (c = s.charCodeAt(p)) >= 48 && c <= 57) {
    digits++;
    if (nd < 15) {
      mant = mant * 10 + (c - 48);
      if (mant !== 0) nd++;
    } else {
      slow = true;
    }
    p++;
  }
  if (p < end && c === 46) {
    p++;
    while (p < end && (c = s.charCodeAt(p)) >= 48 && c <= 57) {
      digits++;
      if (nd < 15) {
        mant = mant * 10 + (c - 48);
        exp10--;
        if (mant !== 0) nd++;
      } else {
        slow = true;
      }
      p++;
    }
  }
  if (digits === 0) return undefined;
  if (p < end && (c === 101 || c === 69) /* e E */) {
    p++;
    let eneg = false;
    if (p < end) {
      c = s.charCodeAt(p);
      if (c === 43 || c === 45) {
        eneg = c === 45;
        p++;
      }
    }
    let e = 0;
    let edigits = 0;
    while (p < end && (c = s.charCodeAt(p)) >= 48 && c <= 57) {
      if (e < 100000) e = e * 10 + (c - 48);
      edigits++;
      p++;
    }
    if (edigits === 0) return undefined;
    exp10 += eneg ? -e : e;
  }
  if (p !== end) return undefined;
  let v: number;
  if (mant === 0 && !slow) {
    v = 0;
  } else if (!slow && exp10 >= -22 && exp10 <= 22) {
    v = exp10 === 0 ? mant : exp10 > 0 ? mant * (POW10[exp10] as number) : mant / (POW10[-exp10] as number);
  } else {
    v = Number(s.slice(signed ? start + 1 : start, end));
    if (v === Infinity) return undefined; // Go: ErrRange
  }
  return neg ? -v : v;
}

/** strconv.FormatFloat(v, 'g', -1, 64), except infinities are spelled `+Inf` / `-Inf` as Prometheus does. */
export function formatGoFloat(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = v < 0 ? -v : v;
  // Go uses %f when the decimal exponent is in [-4, 6); JS String() uses fixed notation for 1e-7 <= |v| < 1e21 and
  // prints the same shortest round-trip digits, so the two agree on this range.
  if (a >= 1e-4 && a < 1e6) return String(v);
  // Exponent form: JS "1.5e+6" -> Go "1.5e+06" (at least two exponent digits).
  const s = v.toExponential();
  const e = s.indexOf('e');
  const expDigits = s.length - e - 2;
  return expDigits === 1 ? s.slice(0, e + 2) + '0' + s.slice(e + 2) : s;
}

/** client_golang text writer (`writeFloat`): special-cases 0, 1, -1, NaN and infinities; -0 renders as `0`. */
export function formatFloat(v: number): string {
  if (v === 0) return '0';
  if (v === 1) return '1';
  if (v === -1) return '-1';
  return formatGoFloat(v);
}

/** client_golang OpenMetrics writer (`writeOpenMetricsFloat`): integral values get a `.0` suffix. */
export function formatFloatOM(v: number): string {
  if (v === 0) return '0.0';
  if (v === 1) return '1.0';
  if (v === -1) return '-1.0';
  const s = formatGoFloat(v);
  if (v !== v || v === Infinity || v === -Infinity) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 101) return s; // '.' or 'e'
  }
  return s + '.0';
}

/**
 * A millisecond timestamp as OpenMetrics seconds, exactly: 1520879607789 -> "1520879607.789". Parsing the result the
 * way Prometheus does (float seconds * 1000, truncated) gives back the same integer for realistic timestamps.
 */
export function formatMsAsSeconds(ms: number): string {
  if (!Number.isInteger(ms)) return formatGoFloat(ms / 1000);
  const neg = ms < 0;
  const a = neg ? -ms : ms;
  const sec = Math.floor(a / 1000);
  const rem = a - sec * 1000;
  let out = String(sec);
  if (rem !== 0) {
    let frac = rem < 10 ? '00' + rem : rem < 100 ? '0' + rem : String(rem);
    while (frac.charCodeAt(frac.length - 1) === 48) frac = frac.slice(0, -1);
    out += '.' + frac;
  }
  return neg ? '-' + out : out;
}
