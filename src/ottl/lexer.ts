/**
 * OTTL tokenizer (the subset used by filter conditions).
 *
 * Contract
 * - Tokens: identifiers (`[A-Za-z_][A-Za-z0-9_]*`, which covers keywords and enum names), double-quoted strings
 *   with Go escapes (\" \\ \n \t \r), integers and floats (optional leading `-`, exponent), bytes literals are
 *   NOT supported, punctuation `( ) [ ] , .`, comparison operators `== != < <= > >=`.
 * - Every token carries its 0-based start offset; `OttlError` reports 1-based characters.
 * - Anything else is an OttlError naming the character and its position.
 */

export class OttlError extends Error {
  /** 0-based offset into the condition text. */
  readonly pos: number;
  readonly reason: string;
  constructor(text: string, pos: number, reason: string) {
    super(`${reason} at char ${pos + 1} of ${JSON.stringify(text)}`);
    this.name = 'OttlError';
    this.pos = pos;
    this.reason = reason;
  }
}

export type TokenKind = 'ident' | 'string' | 'int' | 'float' | 'punct' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier name, decoded string, number text, punctuation or operator. */
  readonly text: string;
  readonly pos: number;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\r\n]*/y;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  const sticky = (re: RegExp): string | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) return null;
    pos = re.lastIndex;
    return m[0];
  };
  for (;;) {
    sticky(WS);
    if (pos >= text.length) break;
    const start = pos;
    const c = text[pos]!;
    if (c === '"') {
      out.push({ kind: 'string', text: readString(text, pos, (end) => (pos = end)), pos: start });
      continue;
    }
    const two = text.slice(pos, pos + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      pos += 2;
      out.push({ kind: 'op', text: two, pos: start });
      continue;
    }
    if (c === '<' || c === '>') {
      pos++;
      out.push({ kind: 'op', text: c, pos: start });
      continue;
    }
    if ('()[],'.includes(c)) {
      pos++;
      out.push({ kind: 'punct', text: c, pos: start });
      continue;
    }
    if (c === '.' && !/\d/.test(text[pos + 1] ?? '')) {
      pos++;
      out.push({ kind: 'punct', text: c, pos: start });
      continue;
    }
    const num = sticky(NUMBER);
    if (num !== null) {
      if (IDENT.test(text[pos] ?? '')) throw new OttlError(text, pos, `unexpected character ${JSON.stringify(text[pos])} after number ${num}`);
      out.push({ kind: /[.eE]/.test(num) ? 'float' : 'int', text: num, pos: start });
      continue;
    }
    const id = sticky(IDENT);
    if (id !== null) {
      out.push({ kind: 'ident', text: id, pos: start });
      continue;
    }
    if (c === '=') throw new OttlError(text, pos, 'unexpected "=" (use "==" to compare)');
    throw new OttlError(text, pos, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', pos: text.length });
  return out;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

function readString(text: string, start: number, setEnd: (end: number) => void): string {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      setEnd(i + 1);
      return out;
    }
    if (c === '\\') {
      const e = ESCAPES[text[i + 1] ?? ''];
      if (e === undefined) throw new OttlError(text, i, `unsupported escape ${JSON.stringify(text.slice(i, i + 2))} in string`);
      out += e;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  throw new OttlError(text, start, 'unterminated string');
}
