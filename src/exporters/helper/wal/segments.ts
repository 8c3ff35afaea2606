/**
 * WAL directory housekeeping: segment file names, listing, directory fsync and the single-owner lock.
 *
 * Contract
 * - Segments are `<20-digit index>.seg`, indexes increasing; `listSegments` returns the indexes sorted.
 * - `lockDir` makes one WAL directory belong to one component: a `LOCK` file with the owner's pid. A lock left by a
 *   dead process (kill -9) is taken over; a live other process, or another component of this process, is an error
 *   that names the directory.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tryLock, unlock } from '../../../util/pid-lock.ts';

export const segmentName = (n: number): string => `${String(n).padStart(20, '0')}.seg`;
export const segmentPath = (dir: string, n: number): string => join(dir, segmentName(n));

export function listSegments(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^(\d{20})\.seg$/.exec(f);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` if needed and takes its lock (src/util/pid-lock.ts); returns the release function. */
export function lockDir(dir: string, who: string): () => void {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const lock = join(abs, 'LOCK');
  let holder;
  try {
    holder = tryLock(lock);
  } catch (err) {
    throw new Error(`${who}: cannot lock WAL directory ${abs}: ${(err as Error).message}`);
  }
  if (holder === process.pid) throw new Error(`${who}: WAL directory ${abs} is already used by another component of this gateway; give each exporter its own wal.directory`);
  if (holder !== undefined) throw new Error(`${who}: WAL directory ${abs} is locked by running process ${holder}; two gateways cannot share a wal.directory`);
  return () => unlock(lock);
}
