/**
 * PromQL string literals (Prometheus `util/strutil.Unquote` rules).
 *
 * Contract
 * - `readQuoted(text, pos)` reads the literal starting at `text[pos]` (one of `"`, `'`, `` ` ``) and returns its value
 *   and the index just past the closing quote; throws `QuoteError` (with the offending index) otherwise.
 * - Double and single quotes: Go escapes `\a \b \f \n \r \t \v \\`, `\xHH`, `\ooo` (octal, <= 255), `\uHHHH`,
 *   `\UHHHHHHHH` (no surrogates, <= U+10FFFF); `\"` only inside "..." and `\'` only inside '...'. No raw newlines.
 * - Backquotes: raw, no escapes, may span lines.
 * Compile-time only (selectors are parsed once).
 */

export class QuoteError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'QuoteError';
    this.pos = pos;
  }
}

const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

export function readQuoted(text: string, pos: number): { value: string; end: number } {
  const q = text[pos];
  if (q !== '"' && q !== "'" && q !== '`') throw new QuoteError('expected a quoted string', pos);
  if (q === '`') {
    const end = text.indexOf('`', pos + 1);
    if (end < 0) throw new QuoteError('unterminated raw string', pos);
    return { value: text.slice(pos + 1, end), end: end + 1 };
  }
  let out = '';
  let i = pos + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined || c === '\n') throw new QuoteError('unterminated quoted string', pos);
    if (c === q) return { value: out, end: i + 1 };
    if (c !== '\\') {
      // Copy a run of plain characters at once.
      let j = i + 1;
      while (j < text.length && text[j] !== q && text[j] !== '\\' && text[j] !== '\n') j++;
      out += text.slice(i, j);
      i = j;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) throw new QuoteError('unterminated quoted string', pos);
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (e === q) {
      out += q;
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) {
        throw new QuoteError(`invalid escape sequence \\${e}${hex} in quoted string`, i);
      }
      const v = parseInt(hex, 16);
      if (e === 'x') {
        // Go: \xHH is a byte; in a UTF-8 string only 0x00-0x7F stand for themselves.
        if (v > 0x7f) throw new QuoteError(`invalid UTF-8 byte escape \\x${hex} in quoted string`, i);
        out += String.fromCharCode(v);
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
          throw new QuoteError(`invalid Unicode escape \\${e}${hex} in quoted string`, i);
        }
        out += String.fromCodePoint(v);
      }
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const oct = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 0x7f) {
        throw new QuoteError(`invalid octal escape \\${oct} in quoted string`, i);
      }
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else {
      throw new QuoteError(`unknown escape sequence \\${e} in quoted string`, i);
    }
  }
}
