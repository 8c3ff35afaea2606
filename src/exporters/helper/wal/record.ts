/**
 * WAL record framing.
 *
 *   [u32 LE length][u32 LE crc32][meta: 20 bytes][body]
 *   length = 20 + body length (bytes after the 8-byte header); crc32 (zlib) over meta + body
 *   meta   = u16 lane, u16 laneCount, u8 tag, u8 0, u16 0, u32 points, u32 samples, u32 aux (all LE)
 *
 * Contract
 * - `frame` builds one record in one Buffer. `scanRecords` walks a segment's bytes and returns the complete, intact
 *   records and where the valid prefix ends: a record whose header or body runs past the end (torn write: process
 *   killed mid-append) or whose CRC does not match (garbage after a power loss) ends the scan there.
 * - Positions are numbers `segment * 2^32 + offset` (exact: segments < 2^21, offsets < 2^32), so they compare with <.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
export const META_BYTES = 20;
/** A record larger than this is treated as corruption when read back. */
export const MAX_RECORD_BYTES = 256 << 20;
const SEG_FACTOR = 2 ** 32;

export interface RecordMeta {
  /** Lane (shard) the record belongs to; records of one lane are shipped in log order, one at a time. */
  lane: number;
  /** Number of lanes when the record was written (a change is a barrier: older records ship first). */
  laneCount: number;
  /** Caller's format tag (e.g. remote-write protocol version). */
  tag: number;
  /** Data points, samples and a caller-defined count, for accounting when the record is shipped or dropped. */
  points: number;
  samples: number;
  aux: number;
}

export interface WalRecord extends RecordMeta {
  /** Position of the record's first byte. */
  readonly pos: number;
  /** Position just after the record. */
  readonly end: number;
  readonly body: Buffer;
  /** Set by the WAL when acknowledged. */
  done: boolean;
}

export const position = (seg: number, off: number): number => seg * SEG_FACTOR + off;
export const segmentOf = (pos: number): number => Math.floor(pos / SEG_FACTOR);
export const offsetOf = (pos: number): number => pos % SEG_FACTOR;

export function frame(meta: RecordMeta, body: Uint8Array): Buffer {
  const rec = Buffer.allocUnsafe(HEADER_BYTES + META_BYTES + body.length);
  rec.writeUInt32LE(META_BYTES + body.length, 0);
  rec.writeUInt16LE(meta.lane, 8);
  rec.writeUInt16LE(meta.laneCount, 10);
  rec.writeUInt8(meta.tag, 12);
  rec.writeUInt8(0, 13);
  rec.writeUInt16LE(0, 14);
  rec.writeUInt32LE(meta.points >>> 0, 16);
  rec.writeUInt32LE(meta.samples >>> 0, 20);
  rec.writeUInt32LE(meta.aux >>> 0, 24);
  rec.set(body, HEADER_BYTES + META_BYTES);
  rec.writeUInt32LE(crc32(rec.subarray(HEADER_BYTES)), 4);
  return rec;
}

/** Decodes meta + body from a record's bytes after the header (CRC already checked); `len` = the header's length. */
export function decodeRecord(seg: number, off: number, payload: Buffer, len = payload.length): WalRecord {
  return {
    pos: position(seg, off),
    end: position(seg, off + HEADER_BYTES + len),
    lane: payload.readUInt16LE(0),
    laneCount: payload.readUInt16LE(2),
    tag: payload.readUInt8(4),
    points: payload.readUInt32LE(8),
    samples: payload.readUInt32LE(12),
    aux: payload.readUInt32LE(16),
    body: payload.subarray(META_BYTES),
    done: false,
  };
}

/** True when `payload` (the bytes after a header) matches the header's CRC. */
export function crcOk(crc: number, payload: Uint8Array): boolean {
  return crc32(payload) === crc;
}

export interface ScanResult {
  records: WalRecord[];
  /** Offset just after the last intact record. */
  validEnd: number;
  /** Bytes after `validEnd` (torn or corrupt tail). */
  tailBytes: number;
}

/** Intact records of a whole segment (`buf` = its bytes from offset 0). */
export function scanRecords(seg: number, buf: Buffer, withBodies: boolean): ScanResult {
  const records: WalRecord[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < META_BYTES || len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > buf.length) break;
    const payload = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
    if (!crcOk(buf.readUInt32LE(off + 4), payload)) break;
    const rec = decodeRecord(seg, off, withBodies ? payload : payload.subarray(0, META_BYTES), len);
    records.push(rec);
    off += HEADER_BYTES + len;
  }
  return { records, validEnd: off, tailBytes: buf.length - off };
}
