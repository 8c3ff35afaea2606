/**
 * FNV-1a (32-bit) over UTF-16 code units: the one string hash of the in-memory series tables (relabel outcome cache,
 * aggregate raw aliases, remote-write shard choice, OTLP content cache, scrape point groups). Not cryptographic, not stable across
 * versions: only for hash tables that verify a hit by comparing the key.
 *
 * Contract: `fnvString(h, s, len)` continues hash `h` over the first `len` code units of `s` (all by default);
 * `fnvMix(h, x)` folds one 32-bit integer in. Start from `FNV_OFFSET`. Results are int32 (possibly negative).
 * Small enough for V8 to inline at every call site (hot paths call these per label).
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

export function fnvString(h: number, s: string, len: number = s.length): number {
  for (let i = 0; i < len; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function fnvMix(h: number, x: number): number {
  return Math.imul(h ^ x, FNV_PRIME);
}
