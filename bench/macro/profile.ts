/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof): self and inclusive time per function (name + file:line), as a
 * share of the non-idle time. Self time says which code burns the CPU; inclusive time says which stage (receiver,
 * exporter, codec) it belongs to.
 *
 *   npx node bench/macro/profile.ts <file.cpuprofile> [--top 20] [--callers writev]
 *
 * `--callers NAME`: for the samples whose leaf function is NAME, the call stacks (project frames and the nearest
 * frames above the leaf) that lead to it, by time.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from '../load/common.ts';
import { ROOT } from './proc.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  name: string;
  where: string;
  selfMs: number;
  selfShare: number;
  totalMs: number;
  totalShare: number;
}

function where(cf: CallFrame): string {
  if (!cf.url) return '';
  const path = cf.url.startsWith('file://') ? relative(ROOT, new URL(cf.url).pathname) : cf.url;
  return `${path}:${cf.lineNumber + 1}`;
}

/** Every function's self and inclusive time, sorted by self time. */
export function frames(file: string): { frames: Frame[]; busyMs: number; idleMs: number; gcMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const key = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'}\u0000${where(n.callFrame)}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let gc = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to sample i (V8's convention).
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    if (name === '(garbage collector)') gc += dt;
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const out: Frame[] = [];
  for (const [k, t] of total) {
    const [name, w] = k.split('\u0000') as [string, string];
    if (name === '(root)') continue;
    const s = self.get(k) ?? 0;
    out.push({ name, where: w, selfMs: s, selfShare: busy > 0 ? s / busy : 0, totalMs: t, totalShare: busy > 0 ? t / busy : 0 });
  }
  out.sort((a, b) => b.selfMs - a.selfMs);
  return { frames: out, busyMs: busy, idleMs: idle, gcMs: gc };
}

/** Stacks (up to `depth` frames above the leaf) that end in a function named `leaf`, with their time. */
export function callers(file: string, leaf: string, depth = 14): Array<{ stack: string; ms: number }> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const stacks = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!);
    if (!node || node.callFrame.functionName !== leaf) continue;
    const names: string[] = [];
    for (let id = parent.get(node.id); id !== undefined && names.length < depth; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (cf.functionName === '(root)') break;
      names.push(`${cf.functionName || '(anonymous)'}${cf.url ? ` ${where(cf)}` : ''}`);
    }
    const k = names.join(' < ');
    stacks.set(k, (stacks.get(k) ?? 0) + (p.timeDeltas[i + 1] ?? 0) / 1000);
  }
  return [...stacks].map(([stack, ms]) => ({ stack, ms })).sort((a, b) => b.ms - a.ms);
}

/** The `n` functions with the most self time. */
export function topFrames(file: string, n = 15): Frame[] {
  return frames(file).frames.slice(0, n);
}

/** The `n` project functions (src/) with the most inclusive time: which stage the time belongs to. */
export function topInclusive(file: string, n = 15): Frame[] {
  return frames(file)
    .frames.filter((f) => f.where.startsWith('src/'))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, n);
}

function main(): void {
  const args = parseArgs();
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile.ts <file.cpuprofile> [--top 20]');
  const n = args.num('top', 20);
  const leaf = args.str('callers', '');
  if (leaf) {
    for (const c of callers(file, leaf).slice(0, n)) console.log(`${c.ms.toFixed(0).padStart(7)} ms  ${leaf} < ${c.stack}`);
    return;
  }
  const f = frames(file);
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(6);
  console.log(`busy ${(f.busyMs / 1000).toFixed(1)} s, idle ${(f.idleMs / 1000).toFixed(1)} s, GC ${pct(f.busyMs ? f.gcMs / f.busyMs : 0)} of busy\n\nself time:`);
  for (const x of f.frames.slice(0, n)) console.log(`${pct(x.selfShare)}  ${x.name}  ${x.where}`);
  console.log('\ninclusive time (src/ only):');
  for (const x of topInclusive(file, n)) console.log(`${pct(x.totalShare)}  ${x.name}  ${x.where}`);
}

if (import.meta.main) main();
