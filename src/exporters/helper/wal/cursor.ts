/**
 * The WAL's acknowledgement cursor: where shipping resumes after a restart.
 *
 * File `cursor`: two 4 KiB slots written alternately (one pwrite each), so a torn write can only damage the slot
 * being written and the other still holds the previous state. Slot layout (LE):
 *   u32 magic "WALC", u32 version 1, f64 sequence, f64 low, u32 lane count N, N x f64 lane ack, u32 crc32(of all before)
 * - `low`: every record before this position is acknowledged (segments wholly before it may be deleted).
 * - `lane ack[i]`: end position of the last acknowledged record of lane i (lanes ship in order, so every record of
 *   lane i ending at or before it is acknowledged even when it lies after `low`).
 * Contract: `save` is synchronous and not fsynced (the page cache survives kill -9; after a power loss an older
 * cursor only means records are shipped again, never lost); `sync()` fsyncs (done before segments are deleted).
 * `load` returns the valid slot with the highest sequence, or undefined for a new WAL.
 */
import { closeSync, constants, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const SLOT = 4096;
const MAGIC = 0x434c4157; // "WALC"
export const MAX_LANES = 500;

export interface CursorState {
  low: number;
  laneAcks: number[];
}

export class CursorFile {
  private readonly fd: number;
  private seq = 0;
  private readonly buf = Buffer.alloc(SLOT);

  constructor(dir: string) {
    this.fd = openSync(join(dir, 'cursor'), constants.O_RDWR | constants.O_CREAT, 0o644);
  }

  load(): CursorState | undefined {
    let best: { seq: number; state: CursorState } | undefined;
    for (let slot = 0; slot < 2; slot++) {
      const b = Buffer.alloc(SLOT);
      const n = readSync(this.fd, b, 0, SLOT, slot * SLOT);
      const s = parse(b.subarray(0, n));
      if (s !== undefined && (best === undefined || s.seq > best.seq)) best = s;
    }
    if (best === undefined) return undefined;
    this.seq = best.seq;
    return best.state;
  }

  save(state: CursorState): void {
    const b = this.buf;
    const lanes = Math.min(state.laneAcks.length, MAX_LANES);
    this.seq++;
    b.writeUInt32LE(MAGIC, 0);
    b.writeUInt32LE(1, 4);
    b.writeDoubleLE(this.seq, 8);
    b.writeDoubleLE(state.low, 16);
    b.writeUInt32LE(lanes, 24);
    let p = 28;
    for (let i = 0; i < lanes; i++, p += 8) b.writeDoubleLE(state.laneAcks[i] ?? 0, p);
    b.writeUInt32LE(crc32(b.subarray(0, p)), p);
    writeSync(this.fd, b, 0, p + 4, (this.seq % 2) * SLOT);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function parse(b: Buffer): { seq: number; state: CursorState } | undefined {
  if (b.length < 32 || b.readUInt32LE(0) !== MAGIC || b.readUInt32LE(4) !== 1) return undefined;
  const lanes = b.readUInt32LE(24);
  const end = 28 + lanes * 8;
  if (lanes > MAX_LANES || end + 4 > b.length || crc32(b.subarray(0, end)) !== b.readUInt32LE(end)) return undefined;
  const laneAcks: number[] = [];
  for (let i = 0; i < lanes; i++) laneAcks.push(b.readDoubleLE(28 + i * 8));
  return { seq: b.readDoubleLE(8), state: { low: b.readDoubleLE(16), laneAcks } };
}
