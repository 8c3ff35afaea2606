/**
 * In-place wire helpers for the remote-write encoders' per-sample fast paths (no method call per field).
 *
 * Contract: callers `ensure()` room first and pass the absolute position; every helper returns the new position.
 * Doubles go through a Float64Array (keeps NaN payloads, so stale markers survive) and are written little-endian
 * (protobuf order; every Node 24 platform is little-endian). `Int64Memo` keeps the varint bytes of the last int64
 * written, since all samples of a batch usually share one timestamp. No I/O, no logging.
 */
import { ProtoWriter, varintSize } from '../protobuf/index.ts';

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** Unsigned 32-bit varint at `p`. */
export function putUint32(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** Little-endian IEEE double at `p` (8 bytes). */
export function putDouble(buf: Uint8Array, p: number, v: number): number {
  F64[0] = v;
  buf[p] = F64_BYTES[0]!;
  buf[p + 1] = F64_BYTES[1]!;
  buf[p + 2] = F64_BYTES[2]!;
  buf[p + 3] = F64_BYTES[3]!;
  buf[p + 4] = F64_BYTES[4]!;
  buf[p + 5] = F64_BYTES[5]!;
  buf[p + 6] = F64_BYTES[6]!;
  buf[p + 7] = F64_BYTES[7]!;
  return p + 8;
}

/** Varint size of an int64 given as an integer number (negatives take 10 bytes). */
export function int64Size(v: number): number {
  if (v < 0) return 10;
  if (v < 0x10000000) return varintSize(v);
  let n = 4; // the low 28 bits take 4 bytes
  for (let x = Math.floor(v / 0x10000000); x > 0; x = Math.floor(x / 128)) n++;
  return n;
}

/** Writes an int64 varint from an integer number (negatives sign-extended to 10 bytes). */
export function writeInt64(w: ProtoWriter, v: number): void {
  if (v >= 0) w.varint(v);
  else w.int64(BigInt(v));
}

/** +0 is the only double proto3 omits (-0 and NaN have non-zero bits). */
export function isPositiveZero(v: number): boolean {
  return v === 0 && 1 / v > 0;
}

/** Memo of the varint bytes of the last int64 written. */
export class Int64Memo {
  private readonly w = new ProtoWriter(16);
  private readonly bytes = new Uint8Array(10);
  private len = 0;
  private last = NaN;

  /** Writes the varint of `v` at `p`; returns the new position. */
  put(buf: Uint8Array, p: number, v: number): number {
    if (v !== this.last) {
      const w = this.w;
      w.reset();
      writeInt64(w, v);
      this.bytes.set(w.finish());
      this.len = w.pos;
      this.last = v;
    }
    const b = this.bytes;
    for (let i = 0; i < this.len; i++) buf[p++] = b[i]!;
    return p;
  }
}

/** Byte size of a prompb `Sample` body (value omitted when +0, the proto3 default; timestamp omitted when 0). */
export function sampleSize(value: number, timestampMs: number): number {
  return (isPositiveZero(value) ? 0 : 9) + (timestampMs !== 0 ? 1 + int64Size(timestampMs) : 0);
}

/**
 * Writes a `samples` entry (field 2, LEN) of `sampleLen` bytes (from `sampleSize`, <= 20: one length byte) at `p`:
 * the value as I64 unless +0, the timestamp as a varint (via `ts`, which memoises the last one) unless 0. RW 1.0's
 * TimeSeries and RW 2.0's TimeSeries both number their samples field 2 and their Sample fields alike.
 */
export function putSample(buf: Uint8Array, p: number, sampleLen: number, value: number, timestampMs: number, ts: Int64Memo): number {
  buf[p++] = 0x12; // TimeSeries.samples (2, LEN)
  buf[p++] = sampleLen;
  if (!isPositiveZero(value)) {
    buf[p++] = 0x09; // Sample.value (1, I64)
    p = putDouble(buf, p, value);
  }
  if (timestampMs !== 0) {
    buf[p++] = 0x10; // Sample.timestamp (2, VARINT)
    p = ts.put(buf, p, timestampMs);
  }
  return p;
}
