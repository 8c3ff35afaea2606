/** Go-style durations ("1m30s", "500ms", "2h") as used in Collector and Prometheus configs, in milliseconds. */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/y;

/** Parses a duration string; returns undefined when it is not one. A bare "0" is zero. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return total;
}

/** Formats milliseconds as a Go-like duration ("1m30s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let out = '';
  const h = Math.floor(rest / 3_600_000);
  if (h) (out += `${h}h`), (rest -= h * 3_600_000);
  const m = Math.floor(rest / 60_000);
  if (m) (out += `${m}m`), (rest -= m * 60_000);
  if (rest) out += `${rest / 1000}s`;
  return out;
}

/** zod schema accepting "10s" style strings (or a number of seconds, as YAML may give) and yielding milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${v}" (expected e.g. "500ms", "10s", "1m30s")` });
    return z.NEVER;
  }
  return ms;
});

export function duration(defaultValue: string) {
  return durationMs.default(parseDuration(defaultValue)!  as never);
}
