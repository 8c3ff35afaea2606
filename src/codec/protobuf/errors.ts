/**
 * Errors raised by the protobuf primitives.
 *
 * Contract
 * - Every malformed input seen by `ProtoReader` (truncation, bad varint, length past the end, wrong wire type for a
 *   known field, invalid UTF-8 in a string field, nesting too deep) throws a `ProtoDecodeError`; nothing else escapes
 *   a decoder built on the reader for bad bytes.
 * - `offset` is the absolute byte offset in the decoded buffer where the bad item starts; `field` names what was
 *   being read, as `Message.field_name (field N, wire type W)` when known.
 */

export class ProtoDecodeError extends Error {
  /** Absolute byte offset of the bad item in the input. */
  readonly offset: number;
  /** What was being read, e.g. `NumberDataPoint.time_unix_nano (field 3, wire type 1)`; '' at top level. */
  readonly field: string;

  constructor(reason: string, offset: number, field: string) {
    super(`protobuf: ${reason} at offset ${offset}${field === '' ? '' : ` while reading ${field}`}`);
    this.name = 'ProtoDecodeError';
    this.offset = offset;
    this.field = field;
  }
}
