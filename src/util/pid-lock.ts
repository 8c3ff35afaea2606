/**
 * Pid lock files: a file holding its owner's pid makes a directory belong to one owner (the WAL of one exporter, one
 * queue directory of file_storage). Shared by src/exporters/helper/wal/segments.ts and src/extensions/filestorage.
 *
 * Contract
 * - `tryLock(file)` creates `file` exclusively (O_EXCL) with this process's pid and returns undefined, or returns the
 *   pid of the live holder without waiting. A lock left by a dead process (kill -9), an unreadable one, or one with
 *   this process's pid that nothing here holds (a recycled pid) is taken over: `onStale(previous pid)` is told, the
 *   file is removed and created again.
 * - A lock this process holds (until `unlock`) reports `process.pid` as its holder, so a caller can tell "another
 *   component of this process" from "another process".
 * - `unlock(file)` forgets the lock and removes the file if it still holds this process's pid.
 * - Errors other than "exists" (permissions, missing directory) are thrown as they are; callers name the directory.
 */
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Lock files this process holds (absolute paths); a reload releases before the next generation takes them. */
const heldHere = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function tryLock(file: string, onStale?: (previousPid: number) => void): number | undefined {
  const abs = resolve(file);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(abs, String(process.pid), { flag: 'wx' });
      heldHere.add(abs);
      return undefined;
    } catch (err) {
      // A few rounds: a stale lock removed here may be re-created by another process taking it over at the same time.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(abs, 'utf8').trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const live = Number.isInteger(holder) && holder > 0 && (holder === process.pid ? heldHere.has(abs) : processAlive(holder));
    if (live) return holder;
    onStale?.(holder);
    rmSync(abs, { force: true });
  }
}

export function unlock(file: string): void {
  const abs = resolve(file);
  heldHere.delete(abs);
  try {
    if (readFileSync(abs, 'utf8').trim() === String(process.pid)) unlinkSync(abs);
  } catch {
    // already gone
  }
}
