/**
 * OTTL condition parser (the subset used by filter conditions) producing a small AST with source positions.
 *
 * Grammar (precedence low to high):
 *   condition  := or EOF
 *   or         := and ("or" and)*
 *   and        := not ("and" not)*
 *   not        := "not" not | "(" or ")" | comparison
 *   comparison := value (("==" | "!=" | "<" | "<=" | ">" | ">=") value)?
 *   value      := string | int | float | "true" | "false" | "nil" | ENUM | path | Converter "(" value, ... ")"
 *   path       := ident ("." ident)* ("[" string "]")?
 * A comparison without an operator must be boolean-valued (true/false or a converter); whether a path, enum or
 * function exists is decided by the compiler (compile.ts), which knows the context.
 * Everything outside this grammar (arithmetic, maps, lists, editors, nested indexes...) is an OttlError naming the
 * unsupported part and its position.
 */
import { OttlError, tokenize, type Token } from './lexer.ts';

export type Literal = string | number | bigint | boolean | null;

export type Node =
  | { readonly kind: 'lit'; readonly value: Literal; readonly pos: number }
  | { readonly kind: 'enum'; readonly name: string; readonly pos: number }
  | { readonly kind: 'path'; readonly parts: readonly string[]; readonly key: string | undefined; readonly pos: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[]; readonly pos: number }
  | { readonly kind: 'cmp'; readonly op: string; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'and' | 'or'; readonly terms: readonly Node[]; readonly pos: number }
  | { readonly kind: 'not'; readonly term: Node; readonly pos: number };

const KEYWORDS = new Set(['and', 'or', 'not']);

export function parseCondition(text: string): Node {
  const toks = tokenize(text);
  let i = 0;
  const peek = (): Token => toks[i]!;
  const next = (): Token => toks[i++]!;
  const fail = (t: Token, reason: string): never => {
    throw new OttlError(text, t.pos, reason);
  };
  const describe = (t: Token): string => (t.kind === 'eof' ? 'end of condition' : `${JSON.stringify(t.text)}`);
  const isWord = (t: Token, w: string) => t.kind === 'ident' && t.text === w;
  const expect = (kind: Token['kind'], txt: string, what: string): Token => {
    const t = next();
    if (t.kind !== kind || t.text !== txt) fail(t, `expected ${what}, got ${describe(t)}`);
    return t;
  };

  function or(): Node {
    const start = peek().pos;
    const terms = [and()];
    while (isWord(peek(), 'or')) {
      next();
      terms.push(and());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms, pos: start };
  }
  function and(): Node {
    const start = peek().pos;
    const terms = [not()];
    while (isWord(peek(), 'and')) {
      next();
      terms.push(not());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms, pos: start };
  }
  function not(): Node {
    const t = peek();
    if (isWord(t, 'not')) {
      next();
      return { kind: 'not', term: not(), pos: t.pos };
    }
    if (t.kind === 'punct' && t.text === '(') {
      next();
      const inner = or();
      expect('punct', ')', '")"');
      return inner;
    }
    return comparison();
  }
  function comparison(): Node {
    const left = value();
    const t = peek();
    if (t.kind === 'op') {
      next();
      const right = value();
      return { kind: 'cmp', op: t.text, left, right, pos: t.pos };
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) fail(t, `unexpected ${describe(t)}, expected an operator, "and", "or" or the end`);
    if (t.kind === 'punct' && (t.text === '[' || t.text === '.')) fail(t, `unsupported ${describe(t)} here (only one ["key"] index on attributes is supported)`);
    return left;
  }
  function value(): Node {
    const t = next();
    switch (t.kind) {
      case 'string':
        return { kind: 'lit', value: t.text, pos: t.pos };
      case 'int': {
        let v: bigint;
        try {
          v = BigInt(t.text);
        } catch {
          return fail(t, `invalid integer ${t.text}`);
        }
        if (v > 9223372036854775807n || v < -9223372036854775808n) fail(t, `integer ${t.text} does not fit in int64`);
        return { kind: 'lit', value: v, pos: t.pos };
      }
      case 'float':
        return { kind: 'lit', value: Number(t.text), pos: t.pos };
      case 'ident':
        return identValue(t);
      case 'punct':
        if (t.text === '(') fail(t, 'unsupported "(" around a value (parentheses group conditions only)');
        if (t.text === '[') fail(t, 'unsupported list literal');
        return fail(t, `unexpected ${describe(t)}, expected a value`);
      case 'op':
        return fail(t, `unexpected operator ${describe(t)}, expected a value`);
      default:
        if (text.slice(t.pos).trim() === '' && t.pos === 0) return fail(t, 'empty condition');
        return fail(t, `unexpected ${describe(t)}, expected a value`);
    }
  }
  function identValue(t: Token): Node {
    if (t.text === 'true' || t.text === 'false') return { kind: 'lit', value: t.text === 'true', pos: t.pos };
    if (t.text === 'nil') return { kind: 'lit', value: null, pos: t.pos };
    if (KEYWORDS.has(t.text)) fail(t, `unexpected keyword ${describe(t)}, expected a value`);
    const p = peek();
    if (p.kind === 'punct' && p.text === '(') {
      next();
      const args: Node[] = [];
      if (!(peek().kind === 'punct' && peek().text === ')')) {
        for (;;) {
          args.push(value());
          const sep = next();
          if (sep.kind === 'punct' && sep.text === ')') break;
          if (!(sep.kind === 'punct' && sep.text === ',')) fail(sep, `expected "," or ")" in the arguments of ${t.text}, got ${describe(sep)}`);
        }
      } else next();
      return { kind: 'call', name: t.text, args, pos: t.pos };
    }
    if (/^[A-Z][A-Z0-9_]*$/.test(t.text) && t.text.includes('_')) return { kind: 'enum', name: t.text, pos: t.pos };
    const parts = [t.text];
    while (peek().kind === 'punct' && peek().text === '.') {
      next();
      const n = next();
      if (n.kind !== 'ident') fail(n, `expected a path segment after ".", got ${describe(n)}`);
      parts.push(n.text);
    }
    let key: string | undefined;
    if (peek().kind === 'punct' && peek().text === '[') {
      next();
      const k = next();
      if (k.kind !== 'string') fail(k, `unsupported index ${describe(k)} (only a string key such as ["http.method"])`);
      key = k.text;
      expect('punct', ']', '"]"');
      if (peek().kind === 'punct' && peek().text === '[') fail(peek(), 'nested indexes are not supported');
    }
    return { kind: 'path', parts, key, pos: t.pos };
  }

  const root = or();
  const end = peek();
  if (end.kind !== 'eof') fail(end, `unexpected ${describe(end)} after the condition`);
  return root;
}
