/**
 * UTF-8 <-> string for protobuf string fields.
 *
 * Contract
 * - `decodeUtf8(buf, start, end, view?)` returns the string for bytes [start, end), or `undefined` when the bytes are not
 *   valid UTF-8 (overlong forms, surrogates, truncated sequences), as Go's proto decoder rejects them. A leading BOM
 *   is kept (U+FEFF), never stripped.
 * - Short strings (the common case: attribute keys, metric names, label values) go through a fixed-size intern
 *   table (ByteIntern): the same bytes give the same string instance without allocating. The table is module state
 *   but only a cache: results never depend on it.
 * - `utf8Length(s)` is the exact encoded length of `s`; lone surrogates count as U+FFFD (3 bytes), matching
 *   `TextEncoder`, which `ProtoWriter` uses for non-ASCII text.
 */

import { ByteIntern } from './intern.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Node's native latin1 slice; for bytes already checked to be ASCII it is the ASCII string. Works on Uint8Array. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** Interned short ASCII strings (attribute keys and values repeat across points). */
const interned = new ByteIntern<string>(4096, 64);

/** Strings up to this length are built char by char (flat, no native call); longer ones use latin1Slice. */
const SHORT_CONCAT = 12;

/**
 * UTF-8 bytes [start, end) of `buf` as a string, or undefined if invalid. `view` (a DataView over the same bytes as
 * `buf`, e.g. the reader's) enables the intern table; without it short strings are decoded directly.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number, view?: DataView): string | undefined {
  const n = end - start;
  if (n === 0) return '';
  if (view === undefined || n > interned.maxLen) return decodeLong(buf, start, end);
  const hit = interned.get(buf, view, start, end);
  if (hit !== undefined) return hit;
  let high = 0;
  for (let i = start; i < end; i++) high |= buf[i]!;
  let s: string | undefined;
  if (high >= 0x80) {
    s = decodeNonAscii(buf, start, end);
    if (s === undefined) return undefined;
  } else if (n <= SHORT_CONCAT) {
    s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  } else {
    s = latin1Slice.call(buf, start, end);
  }
  interned.put(buf, view, start, end, s);
  return s;
}

function decodeLong(buf: Uint8Array, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return decodeNonAscii(buf, start, end);
  }
  return latin1Slice.call(buf, start, end);
}

function decodeNonAscii(buf: Uint8Array, start: number, end: number): string | undefined {
  try {
    return decoder.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Exact UTF-8 byte length of `s` (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}
