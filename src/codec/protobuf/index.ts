/**
 * Generic protobuf wire-format primitives shared by every binary codec (OTLP, remote write).
 *
 * Contract: no I/O, no logging, no knowledge of any schema. `ProtoReader` decodes with strict bounds checks and
 * throws `ProtoDecodeError` (offset + field) on any malformed input; `ProtoWriter` encodes into one growing buffer
 * with single-pass nested messages. See each file's header for details.
 */
export { ProtoDecodeError } from './errors.ts';
export { ProtoReader, WireType } from './reader.ts';
export type { MessageDesc } from './reader.ts';
export { readPackedDoubles, readPackedFixed64Numbers, readPackedVarintNumbers } from './packed.ts';
export { ProtoWriter, varintSize } from './writer.ts';
export { decodeUtf8, utf8Length } from './utf8.ts';
export { ByteIntern } from './intern.ts';
