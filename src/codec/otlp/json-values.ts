/**
 * OTLP/JSON scalar conversions (proto3 JSON mapping with the OTLP deviations), both directions.
 *
 * Contract
 * - Readers take a parsed JSON value and the field's lowerCamelCase name; `null`/`undefined` mean "absent" and give
 *   the proto3 default; a value of the wrong JSON type or out of range throws `OtlpJsonError(key, reason)` (the
 *   caller prepends the outer path).
 * - 64-bit integers accept a JSON number (integral) or a decimal string; 32-bit integers too. Doubles accept a
 *   number, a numeric string, or "NaN" / "Infinity" / "-Infinity". Enums accept the number or the value name.
 * - trace/span ids are hex (case-insensitive) of exactly 16/8 bytes, or empty; bytes values are base64 (standard or
 *   URL-safe alphabet, padding optional).
 * - Writers produce canonical OTLP/JSON text fragments: 64-bit integers as quoted decimals, doubles as numbers except
 *   NaN/±Infinity as strings (and -0 as `-0`), bytes as base64 with padding, ids as lowercase hex.
 */
import { OtlpJsonError } from './errors.ts';

const INT_RE = /^-?\d+$/;
const NUM_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;
const MAX_U64 = 2n ** 64n - 1n;

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Short JSON rendering of a bad value for error messages. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : show(v);
}

export function fail(key: string, expected: string, got: unknown): never {
  throw new OtlpJsonError(key, `expected ${expected}, got ${kind(got)}`);
}

export function readString(v: unknown, key: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return fail(key, 'string', v);
}

export function readBool(v: unknown, key: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return false;
  return fail(key, 'boolean', v);
}

/**
 * Thrown (one shared instance) when a 64-bit integer field holds a bare JSON number beyond 2^53, which JSON.parse
 * may have rounded: the decoder then parses the text again keeping such literals exact. Never escapes a decoder.
 */
export const NEED_EXACT_INTS = new Error('64-bit integer literal beyond 2^53: reparse exactly');

/** True while decoding a document parsed exactly (then a remaining unsafe number, e.g. `1e20`, is taken as is). */
let exactPass = false;

export function setExactPass(on: boolean): void {
  exactPass = on;
}

function readBigInt(v: unknown, key: string, min: bigint, max: bigint, what: string): bigint {
  let b: bigint;
  if (typeof v === 'string' && INT_RE.test(v)) b = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) {
    if (!exactPass && !Number.isSafeInteger(v) && v >= -(2 ** 64) && v <= 2 ** 64) throw NEED_EXACT_INTS;
    b = BigInt(v);
  }
  else if (v === undefined || v === null) return 0n;
  else return fail(key, what, v);
  if (b < min || b > max) throw new OtlpJsonError(key, `${what} out of range: ${show(v)}`);
  return b;
}

/** int64 / sfixed64 -> bigint. */
export function readInt64(v: unknown, key: string): bigint {
  return readBigInt(v, key, MIN_I64, MAX_I64, 'integer');
}

/** Last two timestamp strings and their values: points of a batch mostly share start and end times. */
let tsStr0 = '';
let tsVal0 = 0n;
let tsStr1 = '';
let tsVal1 = 0n;

/** fixed64 / uint64 -> bigint (timestamps). */
export function readUint64(v: unknown, key: string): bigint {
  if (typeof v === 'string' && v !== '') {
    if (v === tsStr0) return tsVal0;
    if (v === tsStr1) return tsVal1;
    const b = readBigInt(v, key, 0n, MAX_U64, 'unsigned integer');
    tsStr1 = tsStr0;
    tsVal1 = tsVal0;
    tsStr0 = v;
    tsVal0 = b;
    return b;
  }
  return readBigInt(v, key, 0n, MAX_U64, 'unsigned integer');
}

/** fixed64 / uint64 -> number (counts; exact up to 2^53). */
export function readUint64Number(v: unknown, key: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) return v;
  if (typeof v === 'string' && v.length < 16 && /^\d+$/.test(v)) return Number(v);
  return Number(readUint64(v, key));
}

/** uint32 / int32 / sint32 -> number. */
export function readInt32(v: unknown, key: string, unsigned: boolean): number {
  let n: number;
  if (typeof v === 'number' && Number.isInteger(v)) n = v;
  else if (typeof v === 'string' && INT_RE.test(v)) n = Number(v);
  else if (v === undefined || v === null) return 0;
  else return fail(key, unsigned ? 'unsigned 32-bit integer' : '32-bit integer', v);
  if (unsigned ? n < 0 || n > 0xffffffff : n < -0x80000000 || n > 0x7fffffff) {
    throw new OtlpJsonError(key, `${unsigned ? 'unsigned ' : ''}32-bit integer out of range: ${show(v)}`);
  }
  return n;
}

/** double: number, numeric string, "NaN", "Infinity", "-Infinity". */
export function readDouble(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = NUM_RE.test(v) ? Number(v) : NaN;
    if (Number.isFinite(n)) return n;
    return fail(key, 'number', v);
  }
  if (v === undefined || v === null) return 0;
  return fail(key, 'number', v);
}

/** Optional double: undefined when absent. */
export function readOptionalDouble(v: unknown, key: string): number | undefined {
  return v === undefined || v === null ? undefined : readDouble(v, key);
}

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** AggregationTemporality: integer, or its enum value name. */
export function readTemporality(v: unknown, key: string): number {
  if (typeof v === 'string') {
    const n = TEMPORALITY_NAMES[v];
    if (n !== undefined) return n;
    if (!INT_RE.test(v)) throw new OtlpJsonError(key, `unknown AggregationTemporality ${show(v)}`);
  }
  return readInt32(v, key, false);
}

const HEX_RE = /^[0-9a-fA-F]*$/;

/** trace_id (16 bytes) / span_id (8 bytes) from hex; '' or absent -> empty. */
export function readHexId(v: unknown, key: string, bytes: number): Uint8Array {
  const s = readString(v, key);
  if (s === '') return new Uint8Array(0);
  if (s.length !== bytes * 2 || !HEX_RE.test(s)) {
    throw new OtlpJsonError(key, `expected ${bytes * 2} hex digits (${bytes} bytes) or "", got ${show(v)}`);
  }
  return new Uint8Array(Buffer.from(s, 'hex'));
}

const B64_RE = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** bytes from base64 (standard or URL-safe, padding optional). */
export function readBase64(v: unknown, key: string): Uint8Array {
  const s = readString(v, key);
  if (!B64_RE.test(s) || s.replace(/=+$/, '').length % 4 === 1 || (s.includes('=') && s.length % 4 !== 0)) {
    throw new OtlpJsonError(key, `expected base64, got ${show(v)}`);
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Reads `camel`, falling back to the proto field name `snake` (as protojson accepts both). */
export function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : o[snake];
}

/** Array field: absent/null -> empty; anything else but an array is an error. */
export function readArray(v: unknown, key: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return [];
  return fail(key, 'array', v);
}

// ---- writers ----

export function jsonDouble(v: number): string {
  if (v === 0) return 1 / v < 0 ? '-0' : '0';
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

export function jsonString(s: string): string {
  return JSON.stringify(s);
}

export function jsonBase64(b: Uint8Array): string {
  return `"${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')}"`;
}

export function jsonHex(b: Uint8Array): string {
  return `"${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}"`;
}
