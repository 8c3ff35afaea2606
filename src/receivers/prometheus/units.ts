/**
 * Prometheus config scalars with Prometheus's own syntax (not the Collector's Go durations):
 * - `parsePromDuration`: prometheus/common `model.ParseDuration` — units y w d h m s ms in that order, integers only,
 *   "0" allowed; returns milliseconds or an error message worded as Prometheus's.
 * - `formatPromDuration`: `model.Duration.String()` (y and w only when exact), as seen in `__scrape_interval__`.
 * - `parseBase2Bytes`: alecthomas/units `ParseBase2Bytes` used by `body_size_limit` ("10MB" = 10 MiB, "1KiB", "0").
 * Pure functions, no I/O.
 */

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_MULT = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Milliseconds, or a string with the error. */
export function parsePromDuration(text: string): number | string {
  if (text === '') return 'empty duration string';
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (m === null) return `not a valid duration string: ${JSON.stringify(text)}`;
  let ms = 0;
  for (let i = 0; i < DURATION_MULT.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) ms += Number(g) * DURATION_MULT[i]!;
  }
  if (!Number.isSafeInteger(ms)) return `duration out of range: ${JSON.stringify(text)}`;
  return ms;
}

export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.trunc(ms);
  let out = '';
  const unit = (u: string, mult: number, exact: boolean) => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${u}`;
      rest -= v * mult;
    }
  };
  unit('y', DURATION_MULT[0]!, true);
  unit('w', DURATION_MULT[1]!, true);
  unit('d', DURATION_MULT[2]!, false);
  unit('h', DURATION_MULT[3]!, false);
  unit('m', DURATION_MULT[4]!, false);
  unit('s', DURATION_MULT[5]!, false);
  unit('ms', 1, false);
  return out;
}

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1024 ** 4,
  TiB: 1024 ** 4,
  PB: 1024 ** 5,
  PiB: 1024 ** 5,
  EB: 1024 ** 6,
  EiB: 1024 ** 6,
};
const BYTES_PART = /(\d+(?:\.\d+)?)([A-Za-z]+)/y;

/** Bytes, or a string with the error ("0" is 0 = no limit). */
export function parseBase2Bytes(text: string): number | string {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return 'empty byte size';
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    BYTES_PART.lastIndex = pos;
    const m = BYTES_PART.exec(s);
    if (m === null) {
      return /^\d+(?:\.\d+)?$/.test(s.slice(pos)) ? `missing unit in ${JSON.stringify(text)} (e.g. "10MB")` : `invalid byte size ${JSON.stringify(text)}`;
    }
    const mult = BYTE_UNITS[m[2]!];
    if (mult === undefined) return `unknown unit ${JSON.stringify(m[2])} in ${JSON.stringify(text)} (B, KB, MB, GB, TB, PB, EB or KiB, MiB, ...)`;
    total += Number(m[1]) * mult;
    pos = BYTES_PART.lastIndex;
  }
  return Math.floor(total);
}
