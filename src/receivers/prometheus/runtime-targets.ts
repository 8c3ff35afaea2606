/**
 * Scrape targets added at run time through POST /api/v1/scrape_targets, per job, persisted as JSON under
 * `api.directory` (written atomically: temp file + rename) so they survive a restart. Without a directory they live
 * in memory for the life of the receiver. Each target becomes its own static target group (source `api/<target>`)
 * of its job, with the labels given when it was added.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetGroup } from './discovery/types.ts';

export interface RuntimeTarget {
  target: string;
  labels: Record<string, string>;
}

interface FileShape {
  version: 1;
  jobs: Record<string, RuntimeTarget[]>;
}

export class RuntimeTargets {
  private readonly file: string | undefined;
  private readonly jobs = new Map<string, Map<string, Record<string, string>>>();

  constructor(directory: string | undefined, receiverId: string) {
    this.file = directory === undefined ? undefined : join(directory, `scrape_targets.${receiverId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  /** Loads the persisted file; a missing file is an empty set. Throws on an unreadable or corrupt file. */
  load(): void {
    if (this.file === undefined) return;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const data = JSON.parse(text) as FileShape;
    if (data === null || typeof data !== 'object' || typeof data.jobs !== 'object') throw new Error(`${this.file}: not a scrape_targets file`);
    for (const [job, list] of Object.entries(data.jobs)) {
      const m = new Map<string, Record<string, string>>();
      for (const t of list) m.set(String(t.target), { ...(t.labels ?? {}) });
      this.jobs.set(job, m);
    }
  }

  private save(): void {
    if (this.file === undefined) return;
    const data: FileShape = { version: 1, jobs: {} };
    for (const [job, m] of this.jobs) data.jobs[job] = [...m].map(([target, labels]) => ({ target, labels }));
    mkdirSync(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
    renameSync(tmp, this.file);
  }

  add(job: string, targets: readonly string[], labels: Record<string, string>): void {
    let m = this.jobs.get(job);
    if (m === undefined) this.jobs.set(job, (m = new Map()));
    for (const t of targets) m.set(t, { ...labels });
    this.save();
  }

  /** Removes targets; returns the ones that existed. */
  remove(job: string, targets: readonly string[]): string[] {
    const m = this.jobs.get(job);
    if (m === undefined) return [];
    const removed = targets.filter((t) => m.delete(t));
    if (m.size === 0) this.jobs.delete(job);
    if (removed.length > 0) this.save();
    return removed;
  }

  list(job?: string): Record<string, RuntimeTarget[]> {
    const out: Record<string, RuntimeTarget[]> = {};
    for (const [j, m] of this.jobs) if (job === undefined || j === job) out[j] = [...m].map(([target, labels]) => ({ target, labels }));
    return out;
  }

  jobNames(): string[] {
    return [...this.jobs.keys()];
  }

  groups(job: string): TargetGroup[] {
    const m = this.jobs.get(job);
    if (m === undefined) return [];
    return [...m].map(([target, labels]) => ({ source: target, targets: [{ __address__: target }], labels: { ...labels } }));
  }
}
