/**
 * Prometheus value helpers shared by the translator and the encoders.
 *
 * Contract
 * - `STALE_NAN` is the Prometheus staleness marker, a NaN with the exact bits 0x7ff0000000000002. `isStaleNaN` tests
 *   the bits, so an ordinary NaN (0x7ff8000000000001 in Prometheus, 0x7ff8000000000000 in JS) is not stale.
 *   V8 keeps NaN payloads in locals, object fields, Maps, Float64Array and DataView, but QUIETS them (sets bit 51) when a
 *   NaN is stored in a plain JS number array (packed-double backing store): never keep stale markers in `number[]`.
 * - `formatLabelFloat` is Go `strconv.FormatFloat(v, 'f', -1, 64)` (shortest round-trip digits, never an exponent),
 *   with `+Inf`/`-Inf`/`NaN`: what Prometheus' OTLP translator uses for `le` and `quantile` label values.
 * - `nsToMs` converts a bigint ns timestamp to integer ms (truncating division, exact; Go int64(ts)/1e6), memoising the last input because
 *   every point of one scrape/batch usually shares its timestamp.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian hosts only (every platform Node 24 ships for); checked once.
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LE ? 1 : 0;
const LO = LE ? 0 : 1;

u32[HI] = 0x7ff00000;
u32[LO] = 0x00000002;
/** The staleness marker NaN (bits 0x7ff0000000000002). */
export const STALE_NAN: number = f64[0]!;

/** True iff `v` has exactly the staleness-marker bits. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false; // fast path: not NaN at all
  f64[0] = v;
  return u32[HI] === 0x7ff00000 && u32[LO] === 0x00000002;
}

/** Bits of a double as a 16-digit hex string (diagnostics and tests). */
export function float64Bits(v: number): string {
  f64[0] = v;
  return u32[HI]!.toString(16).padStart(8, '0') + u32[LO]!.toString(16).padStart(8, '0');
}

/** Go strconv.FormatFloat(v, 'f', -1, 64). */
export function formatLabelFloat(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s; // JS already prints plain digits for 1e-7 < |v| < 1e21
  // Expand the exponent form: JS gives the shortest round-trip digits, exactly like Go's -1 precision.
  const neg = s.charCodeAt(0) === 45;
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp; // position of the decimal point within `digits`
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}

let lastNs = -1n;
let lastMs = 0;

/** Integer milliseconds from bigint nanoseconds (truncating), memoised on the last input. */
export function nsToMs(ns: bigint): number {
  if (ns === lastNs) return lastMs;
  const ms = Number(ns / 1_000_000n);
  lastNs = ns;
  lastMs = ms;
  return ms;
}
