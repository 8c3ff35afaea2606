/**
 * Snappy BLOCK format (what remote write requires; the framed/stream format MUST NOT be used — RW 1.0 spec line 90).
 *
 * Contract: thin synchronous wrappers over the native `snappy` package's one-shot `compressSync`/`uncompressSync`
 * (raw block format: a varint uncompressed length followed by the compressed elements). No I/O, no logging.
 * `uncompressBlock` throws on corrupt input (the native error).
 * FAST PATH: `copyOutputData: true` returns a V8-heap Buffer instead of a native external buffer. Measured on a 3.2 MB
 * RW request: ~1.3 ms per call vs 5-9 ms with external buffers (whose finalisers and external-memory GC pressure
 * dominate at remote-write batch sizes).
 */
import snappy from 'snappy';

const COPY = { copyOutputData: true } as const;
const COPY_DEC = { asBuffer: true, copyOutputData: true } as const;

/** Compress `bytes` (a view is fine; it is read synchronously) into a new Buffer in snappy block format. */
export function compressBlock(bytes: Uint8Array): Buffer {
  return snappy.compressSync(bytes, COPY);
}

/** Decompress a snappy block into a new Buffer. */
export function uncompressBlock(bytes: Uint8Array): Buffer {
  return snappy.uncompressSync(bytes, COPY_DEC) as Buffer;
}
