/**
 * Lexical helpers shared by the text and OpenMetrics parsers: ASCII character classes for metric and label names,
 * label-value / HELP unescaping with Prometheus semantics, and small hashing / quoting helpers.
 *
 * Contract
 * - Metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; label names: `[a-zA-Z_][a-zA-Z0-9_]*` (both formats, as Prometheus
 *   2.42). Non-ASCII code units are never name characters.
 * - `unescape` mirrors Go's strings.Replacer over `\\`, `\n` and (except text-format HELP) `\"`; unknown sequences stay
 *   verbatim. Pure functions, no allocation beyond the result.
 */

/** Character classes (ASCII), one bit each. */
export const C_NAME_START = 1; // [a-zA-Z_:]
export const C_NAME = 2; // [a-zA-Z0-9_:]
export const C_LABEL_START = 4; // [a-zA-Z_]
export const C_LABEL = 8; // [a-zA-Z0-9_]
export const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  let m = 0;
  if (alpha || c === 58) m |= C_NAME_START | C_NAME;
  if (digit) m |= C_NAME | C_LABEL;
  if (alpha) m |= C_LABEL_START | C_LABEL;
  CLASS[c] = m;
}
export function isNameStart(c: number): boolean {
  return c < 128 && ((CLASS[c] as number) & C_NAME_START) !== 0;
}
export function isNameChar(c: number): boolean {
  return c < 128 && ((CLASS[c] as number) & C_NAME) !== 0;
}
export function isLabelStart(c: number): boolean {
  return c < 128 && ((CLASS[c] as number) & C_LABEL_START) !== 0;
}
export function isLabelChar(c: number): boolean {
  return c < 128 && ((CLASS[c] as number) & C_LABEL) !== 0;
}

/**
 * Unescapes s[start, end): `\\` -> `\`, `\n` -> newline and, unless `textHelp`, `\"` -> `"`. Any other backslash
 * sequence is kept verbatim, as Go's strings.Replacer (Prometheus lvalReplacer / helpReplacer) does.
 */
export function unescape(s: string, start: number, end: number, textHelp: boolean): string {
  let out = '';
  let from = start;
  for (let i = start; i < end - 1; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    const n = s.charCodeAt(i + 1);
    const rep = n === 92 ? '\\' : n === 110 ? '\n' : n === 34 && !textHelp ? '"' : null;
    if (rep !== null) {
      out += s.slice(from, i) + rep;
      from = i + 2;
    }
    i++;
  }
  return out + s.slice(from, end);
}

/** murmur3 32-bit finaliser. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function quote(s: string): string {
  return "'" + JSON.stringify(s).slice(1, -1) + "'";
}


/**
 * 53-bit hash of a label set given as offsets into `src` (four per label: name start/end, value start/end), leaving
 * out the label called `skip`. Per label: name, '=', unescaped value through two 32-bit FNV-style lanes; labels
 * combined by addition, so the result does not depend on label order or escaping.
 */
export function labelSetHash(src: string, lab: Int32Array, n: number, skip: string): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const ns = lab[4 * i] as number;
    const ne = lab[4 * i + 1] as number;
    if (ne - ns === skip.length && src.startsWith(skip, ns)) continue;
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x3c6ef372 | 0;
    for (let k = ns; k < ne; k++) {
      const c = src.charCodeAt(k);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 61, 16777619); // '=' cannot occur in a name: separates name from value
    h2 = Math.imul(h2 ^ 61, 0x5bd1e995);
    const ve = lab[4 * i + 3] as number;
    for (let k = lab[4 * i + 2] as number; k < ve; k++) {
      let c = src.charCodeAt(k);
      if (c === 92 && k + 1 < ve) {
        const nx = src.charCodeAt(k + 1);
        if (nx === 92 || nx === 34) k++;
        else if (nx === 110) {
          c = 10;
          k++;
        }
        if (nx === 34) c = 34;
      }
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    s1 = (s1 + fmix(h1)) | 0;
    s2 = (s2 + fmix(h2 ^ 0x9e3779b9)) | 0;
  }
  return (s1 >>> 0) * 2097152 + ((s2 >>> 0) >>> 11);
}
