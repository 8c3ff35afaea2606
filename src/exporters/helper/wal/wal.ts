/**
 * Durable write-ahead log for exporters: batches are appended to segment files before they count as accepted, and a
 * reader ships them from the last acknowledged position, across restarts and kill -9.
 *
 * Contract
 * - `Wal.open` takes the directory's lock, cuts a torn or corrupt tail off the last segment (a process killed
 *   mid-append; reported in `recovered.tornBytes`), deletes segments wholly acknowledged, starts a fresh active
 *   segment and positions the reader at the cursor (cursor.ts).
 * - `append(records)` resolves once the records are written AND fdatasynced: fsync policy = always before accept,
 *   with group commit (appends arriving while a write+fdatasync is in flight share the next one). A failed write is
 *   truncated back and rejects with a retryable error; nothing half-written stays in the log. Records of one call are
 *   contiguous and in order.
 * - `next()` returns the next durable record in log order (waits for one; undefined after `close`); records that
 *   were acknowledged out of order before a restart (after `low`, but at or before their lane's ack) are skipped.
 *   One caller at a time. Records are read back from disk and CRC-checked; a corrupt record in the middle of the log
 *   (media damage) skips the rest of its segment and is counted in `corruptSegments`.
 * - `ack(record)` marks a record done (lanes ack in order); the cursor is rewritten at once (pwrite, no fsync).
 * - `truncate()` (on a timer: `truncate_frequency`) fsyncs the cursor and deletes segments wholly before the
 *   oldest unacknowledged record. The active segment is never deleted.
 * - Disk limit `maxBytes` (0 = none): policy `block` -> `full()` is true at the limit (after deleting acknowledged
 *   segments) and the caller refuses new data with backpressure; policy `drop_oldest` -> after each append the
 *   oldest segments are deleted until under the limit, and every record in them not yet shipped is reported to
 *   `onDropped` (counted by the caller; never silent).
 */
import { closeSync, openSync, readFileSync, readSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { PipelineError } from '../../../component/errors.ts';
import { CursorFile } from './cursor.ts';
import type { RecordMeta, WalRecord } from './record.ts';
import { crcOk, decodeRecord, frame, HEADER_BYTES, MAX_RECORD_BYTES, META_BYTES, offsetOf, position, scanRecords, segmentOf } from './record.ts';
import { fsyncDir, listSegments, lockDir, segmentPath } from './segments.ts';

export type OverflowPolicy = 'block' | 'drop_oldest';

export interface WalOptions {
  dir: string;
  /** For error messages and logs, e.g. "exporter prometheusremotewrite". */
  who: string;
  logger: Logger;
  /** Disk limit in bytes (segments); 0 = unlimited. */
  maxBytes: number;
  overflow: OverflowPolicy;
  /** Rotation size; default min(16 MiB, maxBytes / 8), at least 4 KiB. */
  segmentBytes?: number;
  /** Records dropped by `drop_oldest` before they were shipped. */
  onDropped?: (records: number, points: number, samples: number) => void;
}

interface Segment {
  index: number;
  /** Durable bytes (fdatasynced). */
  size: number;
}

interface PendingAppend {
  bufs: Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Wal {
  readonly dir: string;
  readonly recovered: { tornBytes: number; segments: number; bytes: number };
  corruptSegments = 0;
  /** Write + fdatasync rounds so far (group commits; fewer than appends under concurrency). */
  commits = 0;
  private readonly o: WalOptions;
  private readonly segBytes: number;
  private readonly segments: Segment[];
  private readonly cursor: CursorFile;
  private readonly release: () => void;
  private readonly laneAcks: number[];
  private active!: FileHandle;
  private totalBytes = 0;
  private readPos: number;
  private readSeg: { index: number; fd: number } | undefined;
  private outstanding: WalRecord[] = [];
  private head = 0;
  private pending: PendingAppend[] = [];
  private writer: Promise<void> | undefined;
  private writing = false;
  private readerWake: (() => void) | undefined;
  private closed = false;

  private constructor(o: WalOptions, release: () => void, cursor: CursorFile, segments: Segment[], readPos: number, laneAcks: number[], torn: number) {
    this.o = o;
    this.dir = o.dir;
    this.release = release;
    this.cursor = cursor;
    this.segments = segments;
    this.readPos = readPos;
    this.laneAcks = laneAcks;
    this.segBytes = o.segmentBytes ?? Math.max(4096, Math.min(16 << 20, o.maxBytes > 0 ? Math.floor(o.maxBytes / 8) : 16 << 20));
    for (const s of segments) this.totalBytes += s.size;
    this.recovered = { tornBytes: torn, segments: segments.length, bytes: this.totalBytes };
  }

  static async open(o: WalOptions): Promise<Wal> {
    const release = lockDir(o.dir, o.who);
    let cursor: CursorFile | undefined;
    try {
      cursor = new CursorFile(o.dir);
      const state = cursor.load();
      const low = state?.low ?? 0;
      const indexes = listSegments(o.dir);
      let torn = 0;
      const last = indexes.at(-1);
      if (last !== undefined) {
        const path = segmentPath(o.dir, last);
        const scan = scanRecords(last, readFileSync(path), false);
        if (scan.tailBytes > 0) {
          truncateSync(path, scan.validEnd);
          torn = scan.tailBytes;
        }
      }
      const segments: Segment[] = [];
      for (const i of indexes) {
        if (i < segmentOf(low)) unlinkSync(segmentPath(o.dir, i));
        else segments.push({ index: i, size: statSync(segmentPath(o.dir, i)).size });
      }
      const first = segments[0];
      const readPos = first === undefined ? 0 : Math.max(low, position(first.index, 0));
      const wal = new Wal(o, release, cursor, segments, readPos, state?.laneAcks ?? [], torn);
      await wal.startSegment((last ?? 0) + 1);
      if (first === undefined) wal.readPos = position(wal.segments[0]!.index, 0);
      return wal;
    } catch (err) {
      cursor?.close();
      release();
      throw err;
    }
  }

  private async startSegment(index: number): Promise<void> {
    const fh = await open(segmentPath(this.dir, index), 'wx');
    fsyncDir(this.dir);
    this.active = fh;
    this.segments.push({ index, size: 0 });
  }

  /** Bytes on disk (all segments). */
  get bytes(): number {
    return this.totalBytes;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Records handed out by `next()` and not yet acknowledged. */
  get inFlight(): number {
    return this.outstanding.length - this.head;
  }

  /** Bytes from the oldest unacknowledged record to the end of the log (approximate backlog). */
  get backlogBytes(): number {
    const low = this.low();
    let n = 0;
    for (const s of this.segments) {
      if (s.index > segmentOf(low)) n += s.size;
      else if (s.index === segmentOf(low)) n += Math.max(0, s.size - offsetOf(low));
    }
    return n;
  }

  private low(): number {
    return this.head < this.outstanding.length ? this.outstanding[this.head]!.pos : this.readPos;
  }

  /** Policy `block`: true when the log is at its disk limit even after deleting acknowledged segments. */
  full(): boolean {
    if (this.o.maxBytes <= 0 || this.o.overflow !== 'block') return false;
    if (this.totalBytes < this.o.maxBytes) return false;
    this.truncate();
    return this.totalBytes >= this.o.maxBytes;
  }

  append(records: ReadonlyArray<{ meta: RecordMeta; body: Uint8Array }>): Promise<void> {
    if (this.closed) return Promise.reject(PipelineError.retryable('OB_WAL_CLOSED', `${this.o.who}: WAL is closed`));
    if (records.length === 0) return Promise.resolve();
    const bufs = records.map((r) => frame(r.meta, r.body));
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ bufs, bytes, resolve, reject });
      if (!this.writing) this.writer = this.writeLoop();
    });
  }

  /** The single writer. `writing` is cleared in the same tick as the last look at `pending`, so an append made
   *  after that (e.g. by a caller resumed by our resolve) always starts a new loop. */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    for (;;) {
      if (this.pending.length === 0) {
        this.writing = false;
        return;
      }
      const group = this.pending;
      this.pending = [];
      const bufs: Buffer[] = [];
      let bytes = 0;
      for (const g of group) (bufs.push(...g.bufs), (bytes += g.bytes));
      try {
        await this.writeGroup(bufs, bytes);
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
      if (this.o.overflow === 'drop_oldest') this.enforceLimit();
      this.readerWake?.();
    }
  }

  private async writeGroup(bufs: Buffer[], bytes: number): Promise<void> {
    let seg = this.segments.at(-1)!;
    if (seg.size > 0 && seg.size + bytes > this.segBytes) {
      await this.active.close();
      await this.startSegment(seg.index + 1);
      seg = this.segments.at(-1)!;
    }
    const start = seg.size;
    try {
      let written = 0;
      while (written < bytes) {
        const r = await this.active.writev(written === 0 ? bufs : [Buffer.concat(bufs).subarray(written)], start + written);
        if (r.bytesWritten <= 0) throw new Error('short write');
        written += r.bytesWritten;
      }
      await this.active.datasync();
    } catch (err) {
      await this.active.truncate(start).catch(() => undefined);
      throw PipelineError.retryable('OB_WAL_WRITE', `${this.o.who}: cannot write the WAL in ${this.dir}: ${(err as Error).message}`, err);
    }
    seg.size += bytes;
    this.totalBytes += bytes;
    this.commits++;
  }

  /** The next record to ship, in log order; waits for one. Undefined once closed. */
  async next(): Promise<WalRecord | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const idx = segmentOf(this.readPos);
      const off = offsetOf(this.readPos);
      const s = this.segments.find((x) => x.index >= idx);
      if (s === undefined) return undefined; // cannot happen: the active segment always exists
      if (s.index !== idx) {
        this.readPos = position(s.index, 0);
        continue;
      }
      if (off >= s.size) {
        if (s === this.segments.at(-1)) {
          await new Promise<void>((r) => (this.readerWake = r));
          this.readerWake = undefined;
          continue;
        }
        this.readPos = position(this.segments[this.segments.indexOf(s) + 1]!.index, 0);
        continue;
      }
      const rec = this.readAt(s, off);
      if (rec === undefined) {
        this.corruptSegments++;
        this.o.logger.error({ segment: s.index, offset: off }, 'corrupt WAL record: the rest of this segment is skipped');
        this.readPos = position(s.index, s.size);
        continue;
      }
      this.readPos = rec.end;
      if (rec.end <= (this.laneAcks[rec.lane] ?? 0)) continue; // acknowledged before the restart
      this.outstanding.push(rec);
      return rec;
    }
  }

  private readAt(s: Segment, off: number): WalRecord | undefined {
    if (this.readSeg?.index !== s.index) {
      if (this.readSeg) closeSync(this.readSeg.fd);
      this.readSeg = { index: s.index, fd: openSync(segmentPath(this.dir, s.index), 'r') };
    }
    const fd = this.readSeg.fd;
    const h = Buffer.allocUnsafe(HEADER_BYTES);
    if (readSync(fd, h, 0, HEADER_BYTES, off) !== HEADER_BYTES) return undefined;
    const len = h.readUInt32LE(0);
    if (len < META_BYTES || len > MAX_RECORD_BYTES || off + HEADER_BYTES + len > s.size) return undefined;
    const payload = Buffer.allocUnsafe(len);
    if (readSync(fd, payload, 0, len, off + HEADER_BYTES) !== len || !crcOk(h.readUInt32LE(4), payload)) return undefined;
    return decodeRecord(s.index, off, payload);
  }

  /** Marks a record shipped (or given up); persists the cursor. */
  ack(rec: WalRecord): void {
    rec.done = true;
    if (rec.end > (this.laneAcks[rec.lane] ?? 0)) this.laneAcks[rec.lane] = rec.end;
    const out = this.outstanding;
    while (this.head < out.length && out[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > out.length) {
      this.outstanding = out.slice(this.head);
      this.head = 0;
    }
    if (!this.closed) this.cursor.save({ low: this.low(), laneAcks: this.laneAcks });
  }

  /** Deletes segments wholly before the oldest unacknowledged record; returns how many. */
  truncate(): number {
    const lowSeg = segmentOf(this.low());
    let n = 0;
    if (this.segments.length > 1 && this.segments[0]!.index < lowSeg) {
      this.cursor.save({ low: this.low(), laneAcks: this.laneAcks });
      this.cursor.sync();
    }
    while (this.segments.length > 1 && this.segments[0]!.index < lowSeg) this.removeOldest(), n++;
    return n;
  }

  private removeOldest(): Segment {
    const s = this.segments.shift()!;
    if (this.readSeg?.index === s.index) {
      closeSync(this.readSeg.fd);
      this.readSeg = undefined;
    }
    unlinkSync(segmentPath(this.dir, s.index));
    this.totalBytes -= s.size;
    return s;
  }

  private enforceLimit(): void {
    if (this.o.maxBytes <= 0 || this.totalBytes <= this.o.maxBytes) return;
    this.truncate();
    let records = 0;
    let points = 0;
    let samples = 0;
    while (this.totalBytes > this.o.maxBytes && this.segments.length > 1) {
      const s = this.segments[0]!;
      if (segmentOf(this.readPos) <= s.index) {
        const scan = scanRecords(s.index, readFileSync(segmentPath(this.dir, s.index)).subarray(0, s.size), false);
        for (const r of scan.records) {
          if (r.pos < this.readPos || r.end <= (this.laneAcks[r.lane] ?? 0)) continue;
          records++;
          points += r.points;
          samples += r.samples;
        }
        this.readPos = position(this.segments[1]!.index, 0);
      }
      this.removeOldest();
    }
    if (records > 0) {
      this.o.logger.error({ records, points, samples, maxBytes: this.o.maxBytes }, 'WAL over its disk limit: oldest unsent data dropped (overflow: drop_oldest)');
      this.o.onDropped?.(records, points, samples);
    }
    this.cursor.save({ low: this.low(), laneAcks: this.laneAcks });
  }

  /** Stops reading and writing (pending appends finish first); keeps everything unacknowledged on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readerWake?.();
    await this.writer;
    this.cursor.save({ low: this.low(), laneAcks: this.laneAcks });
    this.cursor.sync();
    this.cursor.close();
    if (this.readSeg) closeSync(this.readSeg.fd);
    await this.active.close();
    this.release();
  }
}
