/**
 * Readers for repeated scalar fields, packed or not.
 *
 * Contract: call right after `r.tag()` returned the field. Proto3 writes repeated scalars packed (one LEN field), but
 * a parser must also accept the unpacked form (one element per tag), and both may be mixed: each call appends the
 * element(s) of one field occurrence to `out`. The wrong wire type, or a packed length that is not a whole number of
 * elements, throws ProtoDecodeError. Values beyond 2^53 are rounded (counts).
 */
import type { ProtoReader } from './reader.ts';

const TWO_32 = 4294967296;

/** repeated double: packed LEN, or one I64 value. */
export function readPackedDoubles(r: ProtoReader, out: number[]): void {
  if (r.wireType === 1) {
    out.push(r.double());
    return;
  }
  r.expect(2);
  const end = r.lengthEnd();
  if ((end - r.pos) % 8 !== 0) throw r.error('packed doubles length is not a multiple of 8');
  const view = r.view;
  for (let p = r.pos; p < end; p += 8) out.push(view.getFloat64(p, true));
  r.pos = end;
}

/** repeated fixed64 as numbers: packed LEN, or one I64 value. */
export function readPackedFixed64Numbers(r: ProtoReader, out: number[]): void {
  if (r.wireType === 1) {
    out.push(r.fixed64Number());
    return;
  }
  r.expect(2);
  const end = r.lengthEnd();
  if ((end - r.pos) % 8 !== 0) throw r.error('packed fixed64 length is not a multiple of 8');
  const view = r.view;
  for (let p = r.pos; p < end; p += 8) out.push(view.getUint32(p, true) + view.getUint32(p + 4, true) * TWO_32);
  r.pos = end;
}

/** repeated uint64 (varint) as numbers: packed LEN, or one VARINT value. */
export function readPackedVarintNumbers(r: ProtoReader, out: number[]): void {
  if (r.wireType === 0) {
    out.push(r.varint());
    return;
  }
  r.expect(2);
  const end = r.lengthEnd();
  const outer = r.limit;
  r.limit = end; // varints must not run past the packed field
  while (r.pos < end) out.push(r.varint());
  r.limit = outer;
}
