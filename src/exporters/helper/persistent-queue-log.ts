/**
 * The on-disk log behind the persistent sending queue: append-only segment files plus a cursor.
 *
 * Layout of a queue directory
 *   seg-<12 digits>.log   records: [u32 LE body length][u32 LE crc32(body)][body]; body = [u32 LE points][payload]
 *                         (payload = an OTLP ExportMetricsServiceRequest in protobuf, encoded by the exporter)
 *   cursor                36 bytes: ack position (u64 segment, u64 offset), dispatch mark (u64 segment, u64 offset),
 *                         u32 LE crc32 of the first 32 bytes; rewritten in place with one pwrite
 *
 * Contract
 * - `append(records)` writes a group of records with one writev and (when `fsync`) one fdatasync, then returns
 *   their positions: when it resolves the records are durable. A failed write truncates the segment back, so a
 *   half-written group never stays in the middle of the log.
 * - `open()` replays: every complete record after the ack position, in order. A torn or corrupt tail of the last
 *   segment (process killed mid-write) is cut off and reported; a corrupt record elsewhere ends that segment's scan
 *   (reported as lost bytes) and the scan goes on with the next segment.
 * - `commit(pos)` records that everything before `pos` is acknowledged and deletes segments entirely before it.
 *   `markDispatched(pos)` records how far records were handed to senders: on the next open, records before that mark
 *   may already have been delivered (the at-least-once duplicate window) and are reported as `maybeDelivered`.
 *   Neither is fsynced: losing them only widens the duplicate window, never loses data.
 * - Rotation: a new segment starts once the current one passes `segmentBytes` (default SEGMENT_BYTES, 8 MiB).
 */
import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const SEGMENT_BYTES = 8 << 20;
const HEADER = 8;

export interface Position {
  seg: number;
  off: number;
}

export interface LogRecord {
  pos: Position;
  /** Byte offset just after the record in its segment. */
  end: number;
  points: number;
  payloadLength: number;
}

export interface ReplayReport {
  records: LogRecord[];
  maybeDelivered: number;
  tornBytes: number;
  lostBytes: number;
}

export const before = (a: Position, b: Position): boolean => a.seg < b.seg || (a.seg === b.seg && a.off < b.off);

const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.log`;

export function frame(points: number, payload: Uint8Array): Buffer {
  const rec = Buffer.allocUnsafe(HEADER + 4 + payload.length);
  rec.writeUInt32LE(points, HEADER);
  rec.set(payload, HEADER + 4);
  rec.writeUInt32LE(4 + payload.length, 0);
  rec.writeUInt32LE(crc32(rec.subarray(HEADER)), 4);
  return rec;
}

export class SegmentLog {
  readonly dir: string;
  private readonly fsync: boolean;
  private writeSeg = 0;
  private writeSize = 0;
  private writer: FileHandle | undefined;
  private readonly readers = new Map<number, Promise<FileHandle>>();
  private cursorFd: number | undefined;
  private ack: Position = { seg: 0, off: 0 };
  private dispatched: Position = { seg: 0, off: 0 };
  private segments: number[] = [];
  private readonly segmentBytes: number;

  constructor(dir: string, fsync: boolean, segmentBytes = SEGMENT_BYTES) {
    this.dir = dir;
    this.fsync = fsync;
    this.segmentBytes = segmentBytes;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  async open(): Promise<ReplayReport> {
    this.readCursor();
    this.segments = readdirSync(this.dir)
      .map((f) => /^seg-(\d{12})\.log$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const s of this.segments.filter((s) => s < this.ack.seg)) unlinkSync(join(this.dir, segName(s)));
    this.segments = this.segments.filter((s) => s >= this.ack.seg);
    const report: ReplayReport = { records: [], maybeDelivered: 0, tornBytes: 0, lostBytes: 0 };
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const last = i === this.segments.length - 1;
      const buf = readFileSync(join(this.dir, segName(seg)));
      let off = seg === this.ack.seg ? Math.min(this.ack.off, buf.length) : 0;
      while (off < buf.length) {
        const len = off + HEADER <= buf.length ? buf.readUInt32LE(off) : -1;
        const complete = len >= 4 && off + HEADER + len <= buf.length;
        const ok = complete && crc32(buf.subarray(off + HEADER, off + HEADER + len)) === buf.readUInt32LE(off + 4);
        if (!ok) {
          // Incomplete, or a bad checksum on the very last record: a write cut short by a crash.
          if (last && (!complete || off + HEADER + len === buf.length)) report.tornBytes += buf.length - off;
          else report.lostBytes += buf.length - off;
          if (last) await truncateFile(join(this.dir, segName(seg)), off);
          break;
        }
        const pos = { seg, off };
        report.records.push({ pos, end: off + HEADER + len, points: buf.readUInt32LE(off + HEADER), payloadLength: len - 4 });
        if (before(pos, this.dispatched)) report.maybeDelivered++;
        off += HEADER + len;
      }
      if (last) this.writeSize = Math.min(off, buf.length);
    }
    this.writeSeg = this.segments.at(-1) ?? Math.max(1, this.ack.seg);
    if (this.segments.length === 0) {
      this.segments.push(this.writeSeg);
      this.writeSize = 0;
    }
    this.writer = await open(join(this.dir, segName(this.writeSeg)), 'a');
    if (this.fsync) await syncDir(this.dir);
    return report;
  }

  /** Appends records (already framed) durably; returns their records in order. */
  async append(framed: Buffer[], points: number[], payloadLengths: number[]): Promise<LogRecord[]> {
    if (this.writeSize >= this.segmentBytes) await this.rotate();
    const w = this.writer!;
    const start = this.writeSize;
    try {
      const total = framed.reduce((n, b) => n + b.length, 0);
      let written = 0;
      while (written < total) {
        const { bytesWritten } = await w.writev(written === 0 ? framed : sliceFrom(framed, written));
        written += bytesWritten;
      }
      if (this.fsync) await w.datasync();
    } catch (err) {
      await w.truncate(start).catch(() => undefined);
      throw err;
    }
    const out: LogRecord[] = [];
    let off = start;
    for (let i = 0; i < framed.length; i++) {
      out.push({ pos: { seg: this.writeSeg, off }, end: off + framed[i]!.length, points: points[i]!, payloadLength: payloadLengths[i]! });
      off += framed[i]!.length;
    }
    this.writeSize = off;
    return out;
  }

  private async rotate(): Promise<void> {
    await this.writer?.close();
    this.writeSeg++;
    this.writeSize = 0;
    this.segments.push(this.writeSeg);
    this.writer = await open(join(this.dir, segName(this.writeSeg)), 'a');
    if (this.fsync) await syncDir(this.dir);
  }

  /** Reads a record's payload (the protobuf bytes); throws when its checksum no longer matches. */
  async read(r: LogRecord): Promise<Uint8Array> {
    let p = this.readers.get(r.pos.seg);
    if (!p) this.readers.set(r.pos.seg, (p = open(join(this.dir, segName(r.pos.seg)), 'r')));
    const fh = await p;
    const len = r.end - r.pos.off;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, r.pos.off);
    if (bytesRead !== len || crc32(buf.subarray(HEADER)) !== buf.readUInt32LE(4)) throw new Error(`corrupt queue record at ${segName(r.pos.seg)}:${r.pos.off}`);
    return buf.subarray(HEADER + 4);
  }

  commit(pos: Position): void {
    this.ack = pos;
    if (before(this.dispatched, pos)) this.dispatched = pos;
    this.writeCursor();
    while (this.segments.length > 1 && this.segments[0]! < pos.seg) {
      const s = this.segments.shift()!;
      const fh = this.readers.get(s);
      this.readers.delete(s);
      void fh?.then((h) => h.close()).catch(() => undefined);
      try {
        unlinkSync(join(this.dir, segName(s)));
      } catch {
        // already gone
      }
    }
  }

  markDispatched(end: Position): void {
    if (!before(this.dispatched, end)) return;
    this.dispatched = end;
    this.writeCursor();
  }

  private readCursor(): void {
    let b: Buffer;
    try {
      b = readFileSync(join(this.dir, 'cursor'));
    } catch {
      return;
    }
    if (b.length < 36 || crc32(b.subarray(0, 32)) !== b.readUInt32LE(32)) return;
    this.ack = { seg: Number(b.readBigUInt64LE(0)), off: Number(b.readBigUInt64LE(8)) };
    this.dispatched = { seg: Number(b.readBigUInt64LE(16)), off: Number(b.readBigUInt64LE(24)) };
  }

  private writeCursor(): void {
    const b = Buffer.alloc(36);
    b.writeBigUInt64LE(BigInt(this.ack.seg), 0);
    b.writeBigUInt64LE(BigInt(this.ack.off), 8);
    b.writeBigUInt64LE(BigInt(this.dispatched.seg), 16);
    b.writeBigUInt64LE(BigInt(this.dispatched.off), 24);
    b.writeUInt32LE(crc32(b.subarray(0, 32)), 32);
    // 'r+' keeps the old content until the pwrite replaces it (a 'w' open would truncate first).
    if (this.cursorFd === undefined) {
      try {
        this.cursorFd = openSync(join(this.dir, 'cursor'), 'r+');
      } catch {
        this.cursorFd = openSync(join(this.dir, 'cursor'), 'w');
      }
    }
    writeSync(this.cursorFd, b, 0, 36, 0);
  }

  async close(): Promise<void> {
    await this.writer?.close().catch(() => undefined);
    this.writer = undefined;
    for (const fh of this.readers.values()) await fh.then((h) => h.close()).catch(() => undefined);
    this.readers.clear();
    if (this.cursorFd !== undefined) closeSync(this.cursorFd);
    this.cursorFd = undefined;
  }
}

function sliceFrom(bufs: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

async function truncateFile(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

/** Makes a new file's directory entry durable. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // some filesystems refuse fsync on directories
  } finally {
    await d.close();
  }
}
