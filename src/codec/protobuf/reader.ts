/**
 * ProtoReader: a bounds-checked protobuf wire-format reader over one Uint8Array.
 *
 * Contract
 * - No I/O, no logging. Never reads outside [0, buf.length), never loops without consuming input, never allocates in
 *   proportion to a length field before checking that the bytes are there. Every problem throws `ProtoDecodeError`
 *   with the absolute offset and the field being read.
 * - Nested messages share the reader: `enter(desc)` reads a length prefix and narrows `limit` to that message;
 *   `leave()` restores the parent (and fails unless the message was consumed exactly); `enterUntil(end, desc)` is
 *   for a caller that read the length itself with `lengthEnd()`. Messages past `maxDepth` (default 100) fail.
 *   Decoders loop `while (r.pos < r.limit) { switch (r.tag()) { case ...; default: r.skipUnknown(); } }`, and use
 *   `r.error(reason)` for their own checks (it names the current message and field).
 * - `tag()` returns the whole tag (`field << 3 | wireType`), so a decoder switches on exact (field, wire type)
 *   pairs; `skipUnknown()` then fails for a field the current `MessageDesc` knows (wrong wire type) and skips
 *   anything else, for every wire type including groups.
 * - `bytes()`/`bytesView()`: `bytesView` returns a subarray of the input (no copy: valid only while the input is);
 *   `bytes` copies. `skipString()` runs the checks of `string()` without building the string.
 * - 64-bit: `fixed64`/`sfixed64`/`uint64`/`int64`/`sint64` return exact bigints; `varint()` and `fixed64Number()`
 *   return numbers, exact up to 2^53 (fast paths for counts and lengths). Scalars follow Go: a varint's 10th byte
 *   must be 0 or 1, `uint32`/`int32` keep the low 32 bits, `bool` is any non-zero varint.
 * - Repeated scalars: see packed.ts (`readPackedDoubles`, ...), which accept packed and unpacked encodings.
 * - A Buffer (or other Uint8Array subclass) input is viewed as a plain Uint8Array.
 */
import { ProtoDecodeError } from './errors.ts';
import { decodeUtf8 } from './utf8.ts';

/** Wire types (protobuf encoding spec). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** Describes a message for error messages and wrong-wire-type detection: field number -> field name. */
export interface MessageDesc {
  readonly name: string;
  readonly fields: Readonly<Record<number, string>>;
}

const TOP: MessageDesc = { name: '', fields: {} };
const TWO_32 = 4294967296;
/** Scratch for 64-bit varints, shared by every reader (written and read within one synchronous call). */
const SCRATCH = new DataView(new ArrayBuffer(8));

export class ProtoReader {
  readonly buf: Uint8Array;
  /** Current read position (absolute). */
  pos: number;
  /** End of the current message (absolute). */
  limit: number;
  /** Field number and wire type of the last tag read. */
  field = 0;
  wireType = 0;
  /** Position of the last tag read (for error offsets). */
  tagPos = 0;
  readonly maxDepth: number;
  /** DataView over `buf` (for fixed-width reads and ByteIntern lookups). */
  readonly view: DataView;
  private desc: MessageDesc;
  private depth = 0;
  /** Parent limits and descs by depth; grown on demand (most messages nest a few levels, not maxDepth). */
  private readonly limits: number[] = [];
  private readonly descs: MessageDesc[] = [];
  /** Two-entry cache for fixed64(): halves and values (-1 never matches a uint32). */
  private lo0 = -1;
  private hi0 = -1;
  private big0 = 0n;
  private lo1 = -1;
  private hi1 = -1;
  private big1 = 0n;

  constructor(buf: Uint8Array, desc: MessageDesc = TOP, maxDepth = 100) {
    // A Buffer (or other subclass) is viewed as a plain Uint8Array, so `bytes()` copies and views are plain too.
    this.buf = buf.constructor === Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.limit = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.desc = desc;
    this.maxDepth = maxDepth;
  }

  /** Builds the error for the current field. */
  error(reason: string, offset: number = this.pos): ProtoDecodeError {
    return new ProtoDecodeError(reason, offset, this.fieldName());
  }

  private fieldName(): string {
    if (this.field === 0) return this.desc.name;
    const name = this.desc.fields[this.field];
    const prefix = this.desc.name === '' ? '' : `${this.desc.name}.`;
    return `${prefix}${name ?? 'unknown field'} (field ${this.field}, wire type ${this.wireType})`;
  }

  // ---- tags and structure ----

  /** Reads a tag; returns `field << 3 | wireType` (validated: field in 1..2^29-1, wire type 0..5). */
  tag(): number {
    const at = this.pos;
    this.tagPos = at;
    let t: number;
    const b = at < this.limit ? this.buf[at]! : 0x100;
    if (b < 0x80) {
      this.pos = at + 1;
      t = b;
    } else {
      this.field = 0;
      const v = this.varint();
      if (v > 0xffffffff) throw new ProtoDecodeError('tag does not fit in 32 bits', at, this.desc.name);
      t = v;
    }
    const field = t >>> 3;
    const wt = t & 7;
    this.field = field;
    this.wireType = wt;
    if (field === 0) throw new ProtoDecodeError('invalid field number 0', at, this.desc.name);
    if (wt > 5) throw new ProtoDecodeError(`invalid wire type ${wt}`, at, this.desc.name);
    return t;
  }

  /** Reads a length prefix for the current field and returns the absolute end, checked against `limit`. */
  lengthEnd(): number {
    const at = this.pos;
    const len = this.varint();
    if (len > this.limit - this.pos) {
      throw this.error(`length ${len} exceeds the ${this.limit - this.pos} bytes remaining`, at);
    }
    return this.pos + len;
  }

  /** Enters a length-delimited sub-message described by `desc`. Pair with `leave()`. */
  enter(desc: MessageDesc): void {
    this.enterUntil(this.lengthEnd(), desc);
  }

  /** Enters a sub-message whose length prefix was already read with `lengthEnd()`: it ends at `end`. */
  enterUntil(end: number, desc: MessageDesc): void {
    const d = this.depth;
    if (d >= this.maxDepth) throw this.error(`message nesting deeper than ${this.maxDepth}`);
    this.limits[d] = this.limit;
    this.descs[d] = this.desc;
    this.depth = d + 1;
    this.limit = end;
    this.desc = desc;
    this.field = 0;
  }

  /** Leaves the current sub-message (its bytes must be fully consumed). */
  leave(): void {
    if (this.pos !== this.limit) throw this.error('sub-message not fully consumed');
    const d = --this.depth;
    this.limit = this.limits[d]!;
    this.desc = this.descs[d]!;
    this.field = 0;
  }

  /** Nesting depth of the current message (0 = top level). */
  get nesting(): number {
    return this.depth;
  }

  /** Throws unless the last tag had wire type `wt`. */
  expect(wt: number): void {
    if (this.wireType !== wt) throw this.error(`wrong wire type ${this.wireType} (expected ${wt})`, this.tagPos);
  }

  /**
   * Skips the field of the last tag. Fails if the current message declares that field (so its wire type was
   * wrong: decoders handle every valid wire type of their known fields explicitly).
   */
  skipUnknown(): void {
    if (this.desc.fields[this.field] !== undefined) {
      throw this.error(`wrong wire type ${this.wireType} for a known field`, this.tagPos);
    }
    this.skip(this.wireType);
  }

  /** Skips one value of wire type `wt` (groups are skipped recursively, checking the matching end-group). */
  skip(wt: number): void {
    switch (wt) {
      case 0:
        this.skipVarint();
        return;
      case 1:
        this.take(8);
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        this.take(4);
        return;
      case 3:
        this.skipGroup(this.field);
        return;
      default:
        throw this.error('unexpected end-group', this.tagPos);
    }
  }

  private skipGroup(field: number): void {
    if (this.depth >= this.maxDepth) throw this.error(`group nesting deeper than ${this.maxDepth}`);
    this.depth++;
    for (;;) {
      if (this.pos >= this.limit) throw this.error('truncated group');
      const t = this.tag();
      if ((t & 7) === 4) {
        if (t >>> 3 !== field) throw this.error(`end-group for field ${t >>> 3} closes group ${field}`, this.tagPos);
        break;
      }
      this.skip(t & 7);
    }
    this.depth--;
  }

  private skipVarint(): void {
    const at = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) throw this.error('truncated varint', at);
      if (this.buf[this.pos++]! < 0x80) return;
    }
    throw this.error('varint longer than 10 bytes', at);
  }

  /** Checks that `n` bytes remain, advances past them and returns where they start. */
  private take(n: number): number {
    const p = this.pos;
    if (this.limit - p < n) throw this.error(`truncated: need ${n} bytes, ${this.limit - p} left`);
    this.pos = p + n;
    return p;
  }

  // ---- varints ----

  /** Unsigned varint as a number: exact up to 2^53, rounded above (up to 2^64). */
  varint(): number {
    const pos = this.pos;
    if (pos + 1 < this.limit) {
      // One or two bytes: tags, small counts, and the lengths of most sub-messages (data points are 128..16383 bytes).
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
      const c = this.buf[pos + 1]!;
      if (c < 0x80) {
        this.pos = pos + 2;
        return (b & 0x7f) | (c << 7);
      }
    } else if (pos < this.limit) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.varintSlow();
  }

  private varintSlow(): number {
    const at = this.pos;
    const buf = this.buf;
    let pos = at;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.limit) throw this.error('truncated varint', at);
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (i === 9 && b > 1) throw this.error('varint overflows 64 bits', at);
        this.pos = pos;
        return result;
      }
      mul *= 128;
    }
    throw this.error('varint longer than 10 bytes', at);
  }

  /** Reads a varint into scratch (little-endian 64-bit two's complement). */
  private varint64(): void {
    const at = this.pos;
    const buf = this.buf;
    let pos = at;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (;;) {
      if (pos >= this.limit) throw this.error('truncated varint', at);
      const b = buf[pos++]!;
      const v = b & 0x7f;
      if (i < 4) lo |= v << (7 * i);
      else if (i === 4) {
        lo |= v << 28;
        hi = v >>> 4;
      } else {
        if (i === 9 && b > 1) throw this.error('varint overflows 64 bits', at);
        hi |= v << (7 * i - 32);
      }
      if (b < 0x80) break;
      if (++i === 10) throw this.error('varint longer than 10 bytes', at);
    }
    this.pos = pos;
    SCRATCH.setUint32(0, lo, true);
    SCRATCH.setUint32(4, hi, true);
  }

  /** uint32 (Go semantics: the varint truncated to its low 32 bits). */
  uint32(): number {
    const pos = this.pos;
    if (pos < this.limit) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    this.varint64();
    return SCRATCH.getUint32(0, true);
  }

  /** int32 / enum (low 32 bits of the varint, signed). */
  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  bool(): boolean {
    const pos = this.pos;
    if (pos < this.limit) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    this.varint64();
    return SCRATCH.getUint32(0, true) !== 0 || SCRATCH.getUint32(4, true) !== 0;
  }

  uint64(): bigint {
    this.varint64();
    return SCRATCH.getBigUint64(0, true);
  }

  int64(): bigint {
    const pos = this.pos;
    if (pos < this.limit) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return BigInt(b);
      }
    }
    this.varint64();
    return SCRATCH.getBigInt64(0, true);
  }

  sint64(): bigint {
    const u = this.uint64();
    return (u >> 1n) ^ -(u & 1n);
  }

  // ---- fixed width ----

  fixed32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  sfixed32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  float(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  /** fixed64 as bigint. The last two distinct values are reused (timestamps repeat across points). */
  fixed64(): bigint {
    const p = this.take(8);
    const view = this.view;
    const lo = view.getUint32(p, true);
    const hi = view.getUint32(p + 4, true);
    if (lo === this.lo0 && hi === this.hi0) return this.big0;
    if (lo === this.lo1 && hi === this.hi1) return this.big1;
    const v = view.getBigUint64(p, true);
    this.lo1 = this.lo0;
    this.hi1 = this.hi0;
    this.big1 = this.big0;
    this.lo0 = lo;
    this.hi0 = hi;
    this.big0 = v;
    return v;
  }

  sfixed64(): bigint {
    return this.view.getBigInt64(this.take(8), true);
  }

  /** fixed64 as a number: exact up to 2^53 (counts), rounded above. */
  fixed64Number(): number {
    const p = this.take(8);
    return this.view.getUint32(p, true) + this.view.getUint32(p + 4, true) * TWO_32;
  }

  double(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  // ---- length-delimited ----

  /** Bytes of a LEN field as a view into the input (no copy). */
  bytesView(): Uint8Array {
    const end = this.lengthEnd();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  /** Bytes of a LEN field, copied (safe to keep after the input is reused). */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const v = this.buf.slice(this.pos, end);
    this.pos = end;
    return v;
  }

  /** Checks a string field exactly as `string()` does (invalid UTF-8 fails the same way) without building it. */
  skipString(): void {
    const end = this.lengthEnd();
    const buf = this.buf;
    const view = this.view;
    let high = 0;
    let p = this.pos;
    for (; p + 4 <= end; p += 4) high |= view.getUint32(p, true);
    for (; p < end; p++) high |= buf[p]!;
    if ((high & 0x80808080) !== 0 && decodeUtf8(buf, this.pos, end, view) === undefined) throw this.error('invalid UTF-8 in string field');
    this.pos = end;
  }

  /** A string field; invalid UTF-8 fails, as in Go. */
  string(): string {
    const end = this.lengthEnd();
    const s = decodeUtf8(this.buf, this.pos, end, this.view);
    if (s === undefined) throw this.error('invalid UTF-8 in string field');
    this.pos = end;
    return s;
  }
}
