/**
 * ProtoWriter: protobuf wire-format writer into one growing buffer.
 *
 * Contract
 * - No I/O, no logging. Writes go to one Uint8Array that doubles when full; `finish()` returns a view of the
 *   written bytes (no copy). That view aliases the writer's buffer: call `reset()` only once the bytes have been
 *   consumed (or copy them), since the next writes reuse the buffer.
 * - Nested messages are written once: `const at = w.fork()` reserves a one-byte length prefix, the caller writes
 *   the body, and `w.ldelim(at)` backpatches the length; if the prefix needs more bytes the body is moved (one
 *   memmove; no second encoding, no size precomputation). `fork(3)` reserves 3 bytes for messages expected to be
 *   large, so their bodies (up to 2 MiB) never move. Varints are always minimal, so output is canonical.
 * - Field helpers (`uint32Field`, `stringField`, ...) write tag + value; they do NOT skip default values: proto3
 *   "omit defaults" is the message encoder's decision.
 * - 64-bit: bigint writers take values modulo 2^64 (as `BigInt.asUintN(64, v)`); number writers for 64-bit fields
 *   (`varint`, `fixed64Number`) take non-negative integers up to 2^53.
 * - Repeated scalars: `packedDoubles`/`packedFixed64Numbers`/`packedVarints` write one packed LEN field (proto3
 *   default), nothing for an empty array.
 */
import { utf8Length } from './utf8.ts';

const encoder = new TextEncoder();
const TWO_32 = 4294967296;
/** See `reset()`. */
export const SHRINK_AFTER = 64;
/** Scratch for 64-bit conversions, shared by every writer (written and read within one synchronous call). */
const SCRATCH = new DataView(new ArrayBuffer(8));

export class ProtoWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  private readonly initialSize: number;
  /** Consecutive resets that found a grown buffer mostly unused. */
  private idleResets = 0;

  constructor(initialSize = 4096) {
    this.initialSize = Math.max(16, initialSize);
    this.buf = new Uint8Array(this.initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * Forgets written bytes (keeps the buffer). Any view returned by `finish()` is overwritten by later writes.
   * A buffer a burst grew past 4x its initial size goes back to the initial size after SHRINK_AFTER consecutive
   * messages that used less than 1/8 of it (a remote-write queue draining an outage must not keep 4 MiB per shard).
   */
  reset(): void {
    if (this.buf.length > 4 * this.initialSize && this.pos < this.buf.length >>> 3) {
      if (++this.idleResets >= SHRINK_AFTER) {
        this.buf = new Uint8Array(this.initialSize);
        this.view = new DataView(this.buf.buffer);
        this.idleResets = 0;
      }
    } else this.idleResets = 0;
    this.pos = 0;
  }

  /** The written bytes, as a view into the writer's buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Ensures room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  // ---- tags and nesting ----

  tag(field: number, wireType: number): void {
    if (field < 16) {
      this.ensure(1);
      this.buf[this.pos++] = (field << 3) | wireType;
    } else this.uint32(((field << 3) | wireType) >>> 0);
  }

  /**
   * Starts a length-delimited value (after its tag), reserving `reserve` (1..5) bytes for its length prefix: 1 for
   * small messages; 3 for ones expected to reach 16 KiB (the body then never moves). Returns the mark for `ldelim`.
   */
  fork(reserve = 1): number {
    this.ensure(reserve);
    const mark = this.pos * 8 + reserve;
    this.pos += reserve;
    return mark;
  }

  /** Ends the length-delimited value started at `mark`, writing its minimal length prefix. */
  ldelim(mark: number): void {
    const reserve = mark % 8;
    const at = (mark - reserve) / 8;
    const len = this.pos - at - reserve;
    if (reserve === 1 && len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const size = varintSize(len);
    if (size !== reserve) {
      // Move the body so the prefix stays minimal (canonical output).
      if (size > reserve) this.ensure(size - reserve);
      this.buf.copyWithin(at + size, at + reserve, this.pos);
      this.pos += size - reserve;
    }
    const buf = this.buf;
    let p = at;
    let v = len;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
  }

  // ---- varints ----

  /** Unsigned 32-bit varint. */
  uint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    v >>>= 0;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** int32 / enum: negative values take 10 bytes (sign-extended to 64 bits), as the spec requires. */
  int32(v: number): void {
    if (v >= 0) this.uint32(v);
    else this.lohi(v >>> 0, 0xffffffff);
  }

  sint32(v: number): void {
    this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** Unsigned varint from a non-negative integer number (exact up to 2^53). */
  varint(v: number): void {
    if (v < TWO_32) this.uint32(v);
    else this.lohi(v >>> 0, Math.floor(v / TWO_32) >>> 0);
  }

  uint64(v: bigint): void {
    SCRATCH.setBigUint64(0, v, true);
    this.lohi(SCRATCH.getUint32(0, true), SCRATCH.getUint32(4, true));
  }

  int64(v: bigint): void {
    SCRATCH.setBigInt64(0, v, true);
    this.lohi(SCRATCH.getUint32(0, true), SCRATCH.getUint32(4, true));
  }

  sint64(v: bigint): void {
    this.uint64(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
  }

  /** 64-bit varint from its low and high 32-bit halves. */
  private lohi(lo: number, hi: number): void {
    if (hi === 0) {
      this.uint32(lo);
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  // ---- fixed width ----

  fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  sfixed32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  fixed64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  sfixed64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  /** fixed64 from a non-negative integer number (exact up to 2^53). */
  fixed64Number(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / TWO_32) >>> 0, true);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  // ---- length-delimited ----

  /** Length-prefixed bytes (after the tag). */
  bytes(v: Uint8Array): void {
    this.uint32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Length-prefixed UTF-8 string (after the tag). ASCII is copied char by char; other text uses TextEncoder. */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // At most 42 UTF-16 units -> at most 126 bytes: the length prefix is one byte.
      this.ensure(1 + 3 * n);
      const buf = this.buf;
      const start = this.pos + 1;
      let p = start;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = start + encoder.encodeInto(s, buf.subarray(start)).written;
          break;
        }
        buf[p++] = c;
      }
      buf[this.pos] = p - start;
      this.pos = p;
      return;
    }
    const len = utf8Length(s);
    this.uint32(len);
    this.ensure(len);
    if (len === n) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    } else {
      encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + len));
    }
    this.pos += len;
  }

  /** Raw bytes, no prefix. */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  // ---- field helpers (tag + value; defaults are NOT skipped) ----

  uint32Field(field: number, v: number): void {
    this.tag(field, 0);
    this.uint32(v);
  }

  int64Field(field: number, v: bigint): void {
    this.tag(field, 0);
    this.int64(v);
  }

  fixed64Field(field: number, v: bigint): void {
    this.tag(field, 1);
    this.fixed64(v);
  }

  doubleField(field: number, v: number): void {
    this.tag(field, 1);
    this.double(v);
  }

  stringField(field: number, v: string): void {
    this.tag(field, 2);
    this.string(v);
  }

  bytesField(field: number, v: Uint8Array): void {
    this.tag(field, 2);
    this.bytes(v);
  }

  /** Packed repeated double (nothing for an empty array). */
  packedDoubles(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    this.tag(field, 2);
    this.uint32(vs.length * 8);
    this.ensure(vs.length * 8);
    const view = this.view;
    let p = this.pos;
    for (let i = 0; i < vs.length; i++, p += 8) view.setFloat64(p, vs[i]!, true);
    this.pos = p;
  }

  /** Packed repeated fixed64 from numbers (exact up to 2^53). */
  packedFixed64Numbers(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    this.tag(field, 2);
    this.uint32(vs.length * 8);
    this.ensure(vs.length * 8);
    const view = this.view;
    let p = this.pos;
    for (let i = 0; i < vs.length; i++, p += 8) {
      const v = vs[i]!;
      view.setUint32(p, v >>> 0, true);
      view.setUint32(p + 4, Math.floor(v / TWO_32) >>> 0, true);
    }
    this.pos = p;
  }

  /** Packed repeated uint64 varints from numbers (exact up to 2^53). */
  packedVarints(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    this.tag(field, 2);
    const at = this.fork();
    for (let i = 0; i < vs.length; i++) this.varint(vs[i]!);
    this.ldelim(at);
  }
}

/** Bytes taken by an unsigned 32-bit varint. */
export function varintSize(v: number): number {
  v >>>= 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
