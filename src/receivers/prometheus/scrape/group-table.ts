/**
 * The scrape cache's point groups by identity (kind, family, labels without `le`/`quantile`), without key strings.
 *
 * A joined key string per group cost ~150 bytes (100k series: ~10 MB) for a lookup that only happens on the cache-miss
 * path. Here a 32-bit hash of the identity picks a chain and the candidates are compared field by field: labels are
 * shared objects (model/label-intern.ts), so equal labels are usually the same object and the compare is a pointer
 * test; the content compare behind it keeps the table exact whatever the interner did.
 * No I/O; single-threaded.
 */
import type { Label } from '../../../model/types.ts';
import { FNV_OFFSET, fnvMix, fnvString } from '../../../util/fnv.ts';
import type { PointGroup, SlotKind } from './cache.ts';

/** The string's length, then its chars (so adjacent strings cannot run into each other). */
function mix(h: number, s: string): number {
  return fnvString(fnvMix(h, s.length), s);
}

function hashOf(kind: SlotKind, family: string, labels: readonly Label[]): number {
  let h = mix(mix(FNV_OFFSET, kind), family);
  for (let i = 0; i < labels.length; i++) h = mix(mix(h, labels[i]!.name), labels[i]!.value);
  return h | 0;
}

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && (x.name !== y.name || x.value !== y.value)) return false;
  }
  return true;
}

function matches(g: PointGroup, kind: SlotKind, family: string, labels: readonly Label[]): boolean {
  return g.slot.kind === kind && g.slot.family === family && sameLabels(g.prom.labels, labels);
}

export class GroupTable {
  private readonly chains = new Map<number, PointGroup | PointGroup[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(kind: SlotKind, family: string, labels: readonly Label[]): PointGroup | undefined {
    const c = this.chains.get(hashOf(kind, family, labels));
    if (c === undefined) return undefined;
    if (!Array.isArray(c)) return matches(c, kind, family, labels) ? c : undefined;
    for (const g of c) if (matches(g, kind, family, labels)) return g;
    return undefined;
  }

  /** Adds `g` (whose slot and prom labels are its identity); the caller checked `get` first. */
  add(g: PointGroup): void {
    const h = hashOf(g.slot.kind, g.slot.family, g.prom.labels);
    const c = this.chains.get(h);
    if (c === undefined) this.chains.set(h, g);
    else if (Array.isArray(c)) c.push(g);
    else this.chains.set(h, [c, g]);
    this.count++;
  }

  /** Forgets the groups not seen in iteration `iter` (Prometheus's cache cleanup). */
  sweep(iter: number): void {
    // forEach: no [key, value] array per entry (runs after every scrape).
    const chains = this.chains;
    chains.forEach((c, h) => {
      if (!Array.isArray(c)) {
        if (c.lastIter !== iter) (chains.delete(h), this.count--);
        return;
      }
      let alive = 0;
      for (const g of c) if (g.lastIter === iter) alive++;
      if (alive === c.length) return;
      const kept = c.filter((g) => g.lastIter === iter);
      this.count -= c.length - kept.length;
      if (kept.length === 0) chains.delete(h);
      else if (kept.length === 1) chains.set(h, kept[0]!);
      else chains.set(h, kept);
    });
  }
}
