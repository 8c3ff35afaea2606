/**
 * Request body decompression for OTLP/HTTP (Content-Encoding gzip, x-gzip, deflate, zstd; identity/empty = none).
 *
 * Contract
 * - `decompress(encoding, body, limit)` resolves with the decompressed bytes, or rejects with `TooLargeError` as
 *   soon as the output passes `limit` bytes: zlib's `maxOutputLength` makes the streaming inflater stop at the limit,
 *   so a compression bomb costs at most `limit` bytes of memory and the CPU to produce them (never the full size).
 * - Malformed compressed data rejects with `BadEncodingError` (-> 400), an unsupported encoding with
 *   `UnsupportedEncodingError` (-> 400 naming the supported ones).
 * - `deflate` accepts both zlib-wrapped (RFC 1950, what the name means) and raw (RFC 1951) streams, as browsers and
 *   some SDKs send either.
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';

export class TooLargeError extends Error {}
export class BadEncodingError extends Error {}
export class UnsupportedEncodingError extends Error {}

type Inflate = (buf: Uint8Array, opts: zlib.ZlibOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Inflate;
const inflate = promisify(zlib.inflate) as Inflate;
const inflateRaw = promisify(zlib.inflateRaw) as Inflate;
const zstd = typeof zlib.zstdDecompress === 'function' ? (promisify(zlib.zstdDecompress) as unknown as Inflate) : undefined;

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', ...(zstd ? ['zstd'] : [])];

/** Normalised encoding name ('' for none), or undefined when not supported. */
export function normaliseEncoding(header: string | undefined): string | undefined {
  const e = (header ?? '').trim().toLowerCase();
  if (e === '' || e === 'identity') return '';
  if (e === 'gzip' || e === 'x-gzip') return 'gzip';
  if (e === 'deflate') return 'deflate';
  if (e === 'zstd' && zstd) return 'zstd';
  return undefined;
}

export async function decompress(encoding: string, body: Uint8Array, limit: number): Promise<Uint8Array> {
  const opts = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case '':
        return body;
      case 'gzip':
        return await gunzip(body, opts);
      case 'deflate':
        // zlib header: CMF low nibble 8 (deflate) and (CMF*256 + FLG) % 31 === 0.
        if (body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0) return await inflate(body, opts);
        return await inflateRaw(body, opts);
      case 'zstd':
        return await zstd!(body, opts);
      default:
        throw new UnsupportedEncodingError(`unsupported Content-Encoding "${encoding}"; supported: ${SUPPORTED_ENCODINGS.join(', ')}`);
    }
  } catch (err) {
    if (err instanceof UnsupportedEncodingError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new TooLargeError(`decompressed request body exceeds max_request_body_size (${limit} bytes)`);
    }
    throw new BadEncodingError(`cannot decompress ${encoding} request body: ${e.message}`);
  }
}
