/**
 * LineChunker: turns a stream of byte chunks (an HTTP body, possibly gunzipped) into blocks of complete lines.
 *
 * Contract
 * - `push(chunk)` returns the bytes from the carried partial line through the last `\n` of `chunk` (inclusive), or
 *   `null` when `chunk` holds no newline; the bytes after the last newline are carried to the next call.
 * - `flush()` returns the carried partial last line (no trailing newline) or `null` if there is none, and resets.
 * - Splitting on the byte 0x0A never cuts a UTF-8 sequence, so every returned block decodes on its own.
 * - Memory: one chunk plus the partial line. A single line longer than `maxLineBytes` throws a RangeError (a body
 *   without newlines would otherwise be buffered whole).
 * - The returned blocks may alias `chunk`; consume them before pushing the next chunk. The carried bytes are always
 *   a copy, so `chunk` may be overwritten after `push` returns (the lean HTTP client reuses one read buffer).
 */

/** An owned copy (`Buffer#slice` is a view, not a copy). */
function copyOf(b: Uint8Array, from = 0): Uint8Array {
  return Uint8Array.prototype.slice.call(b, from);
}

export class LineChunker {
  private carry: Uint8Array | null = null;
  private readonly maxLineBytes: number;

  constructor(maxLineBytes = 16 * 1024 * 1024) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Bytes currently carried (an incomplete last line). */
  pending(): number {
    return this.carry === null ? 0 : this.carry.length;
  }

  push(chunk: Uint8Array): Uint8Array | null {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.carry = this.carry === null ? copyOf(chunk) : concat(this.carry, chunk, chunk.length);
      if (this.carry.length > this.maxLineBytes) {
        throw new RangeError(`line longer than ${this.maxLineBytes} bytes`);
      }
      return null;
    }
    let out: Uint8Array;
    // Fast path: no carried bytes (the previous chunk ended on a newline): hand out a view, no copy.
    if (this.carry === null) out = chunk.subarray(0, last + 1);
    else out = concat(this.carry, chunk, last + 1);
    this.carry = last + 1 < chunk.length ? copyOf(chunk, last + 1) : null;
    return out;
  }

  flush(): Uint8Array | null {
    const c = this.carry;
    this.carry = null;
    return c;
  }
}

function concat(a: Uint8Array, b: Uint8Array, bLen: number): Uint8Array {
  const out = new Uint8Array(a.length + bLen);
  out.set(a, 0);
  out.set(bLen === b.length ? b : b.subarray(0, bLen), a.length);
  return out;
}
