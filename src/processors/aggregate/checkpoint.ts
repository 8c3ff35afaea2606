/**
 * Checkpoints of the `aggregate` processor's long-lived state, so a restart (or reload, or kill -9) continues
 * `total`, `increase` and `histogram_bucket` without a drop or a double count.
 *
 * Contract
 * - File: `<directory>/<processor id with "/" as "_">[-<pipeline>].json`, JSON, version 1. Written atomically
 *   (temp file in the same directory, fsync, rename) after every flush and on shutdown; writes are serialised.
 * - Content per rule (matched to the configured rules by their fingerprint, so a changed rule starts fresh): every
 *   group's labels, total, start time, histogram totals (`hist` explicit, `vmh` vmrange buckets as [index, count]
 *   pairs, `eh` exponential), last-seen time, and every input series' last value, last timestamps, start time and
 *   histogram counts (`h` explicit, `e` the last exponential point). The fields added after the first version
 *   (`vmh`, `eh`, `e`) are optional, so files written before them restore as they did (still version 1). Per-interval accumulators (sum, min, samples...) are not saved: a
 *   crash loses the gauges of the interval in progress, and increases since the last flush are recovered from the
 *   saved last values (they land in the first interval after the restart).
 * - A missing file starts empty; an unreadable or corrupt one is renamed to `*.corrupt-<time>` and logged by the
 *   caller (restore returns the error).
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label } from '../../model/types.ts';
import type { ExpHist } from './exphist.ts';
import type { Group, HistAgg, RuleState, Series } from './state.ts';
import { labelsKey } from './state.ts';

interface SavedSeries {
  k: string;
  last: number;
  lastTs: number;
  start: string;
  seen: number;
  h?: [number[], number, number];
  e?: SavedExp;
}
const num = (v: number) => (Number.isFinite(v) ? v : null);
/** ExpHist with min/max null when unknown (JSON has no Infinity). */
type SavedExp = Omit<ExpHist, 'min' | 'max'> & { min: number | null; max: number | null };
const saveExp = (h: ExpHist): SavedExp => ({ ...h, min: num(h.min), max: num(h.max) });
const loadExp = (h: SavedExp): ExpHist => ({ ...h, min: h.min ?? Infinity, max: h.max ?? -Infinity });
interface SavedGroup {
  labels: [string, string][];
  total: number;
  start: string;
  lastSeen: number;
  hist?: HistAgg;
  vmh?: [number, number][];
  eh?: SavedExp;
  series: SavedSeries[];
}
interface SavedRule {
  fingerprint: string;
  groups: SavedGroup[];
}
export interface Checkpoint {
  version: 1;
  processor: string;
  writtenAt: number;
  startMs: number;
  rules: SavedRule[];
}


export function snapshot(id: string, startMs: number, rules: readonly RuleState[], now: number): Checkpoint {
  return {
    version: 1,
    processor: id,
    writtenAt: now,
    startMs,
    rules: rules.map((r) => ({
      fingerprint: r.rule.fingerprint,
      groups: [...r.groups.values()].map((g) => ({
        labels: g.labels.map((l) => [l.name, l.value] as [string, string]),
        total: g.total,
        start: String(g.start),
        lastSeen: g.lastSeen,
        ...(g.hist === undefined ? {} : { hist: g.hist }),
        ...(g.vmh === undefined ? {} : { vmh: [...g.vmh] }),
        ...(g.ehist === undefined ? {} : { eh: saveExp(g.ehist) }),
        series: [...g.series].map(([k, s]) => ({
          k,
          last: s.last,
          lastTs: num(s.lastTs) ?? -1,
          start: String(s.start),
          seen: s.seen,
          ...(s.hCounts === undefined ? {} : { h: [s.hCounts, s.hCount, s.hSum] as [number[], number, number] }),
          ...(s.eh === undefined ? {} : { e: saveExp(s.eh) }),
        })),
      })),
    })),
  };
}

/** Loads `cp` into the matching rules; returns how many rules were restored. */
export function restore(cp: Checkpoint, rules: readonly RuleState[]): number {
  if (cp.version !== 1) throw new Error(`unsupported checkpoint version ${String(cp.version)}`);
  let restored = 0;
  for (const r of rules) {
    const saved = cp.rules.find((x) => x.fingerprint === r.rule.fingerprint);
    if (saved === undefined) continue;
    restored++;
    for (const sg of saved.groups) {
      const labels: Label[] = sg.labels.map(([name, value]) => ({ name, value }));
      const series = new Map<string, Series>();
      for (const ss of sg.series) {
        series.set(ss.k, {
          last: ss.last,
          lastTs: ss.lastTs < 0 ? -Infinity : ss.lastTs,
          start: BigInt(ss.start),
          seen: ss.seen,
          epoch: -1,
          rInc: 0,
          rFrom: -1,
          rTo: -1,
          hCounts: ss.h?.[0],
          hCount: ss.h?.[1] ?? 0,
          hSum: ss.h?.[2] ?? 0,
          eh: ss.e === undefined ? undefined : loadExp(ss.e),
          fresh: false,
          dead: false,
        });
      }
      const g: Group = {
        labels,
        n: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        last: 0,
        lastTs: -Infinity,
        samples: [],
        seenTotal: 0,
        increase: 0,
        total: sg.total,
        start: BigInt(sg.start),
        lastSeen: sg.lastSeen,
        hist: sg.hist,
        vmh: sg.vmh === undefined ? undefined : new Map(sg.vmh),
        ehist: sg.eh === undefined ? undefined : loadExp(sg.eh),
        series,
      };
      const key = labelsKey(labels);
      const replaced = r.groups.get(key);
      if (replaced !== undefined) for (const s of replaced.series.values()) s.dead = true; // cached slots resolve again
      r.groups.set(key, g);
    }
  }
  return restored;
}

export function checkpointPath(directory: string, id: string, pipeline: string | undefined): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(directory, `${safe(id)}${pipeline === undefined ? '' : `-${safe(pipeline)}`}.json`);
}

/** Reads a checkpoint; undefined when there is none. A corrupt file is moved aside and the error rethrown. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const cp = JSON.parse(text) as Checkpoint;
    if (cp === null || typeof cp !== 'object' || !Array.isArray(cp.rules)) throw new Error('not a checkpoint');
    return cp;
  } catch (err) {
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => undefined);
    throw new Error(`corrupt checkpoint ${path} (moved to ${aside}): ${(err as Error).message}`, { cause: err });
  }
}

/** Atomic write: temp file + fsync + rename. */
export async function writeCheckpoint(path: string, cp: Checkpoint): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(cp));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Best effort: make the rename itself durable.
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
}
