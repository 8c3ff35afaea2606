/**
 * The batching core shared by the `batch` processor and the exporters' `sending_queue.batch`: batches grow per key
 * until `minSize` data points (then they go at once) or until `timeoutMs` after their first part, are split above
 * `maxSize`, and are handed to `send`.
 *
 * Contract
 * - `add(md, points, ctx, key)` resolves once the batch holding `md` has been accepted by `send` (every split part
 *   of it), and rejects with `send`'s error otherwise: errors and backpressure reach the caller, and nothing a caller
 *   saw accepted is held only here.
 * - Parts are merged at flush (`mergeBatches`): lazily decoded OTLP parts merge as bytes and stay undecoded.
 * - `flushAll()` sends every pending batch now; `drain()` additionally waits for the sends in flight. After
 *   `flushEveryAdd()` every `add` flushes at once (shutdown).
 * No I/O of its own; `send` does it.
 */
import type { ConsumeContext } from './consumer.ts';
import { countDataPoints } from '../model/count.ts';
import { lazyMetricsData, lazyState } from '../model/lazy.ts';
import { appendMetrics, splitByPoints } from '../model/split.ts';
import type { MetricsData } from '../model/types.ts';

export interface BatcherOptions {
  /** Points that make a batch go at once (0: every add goes at once). */
  minSize: number;
  /** Points above which a batch is split (0: no limit). */
  maxSize: number;
  /** How long a batch waits for more after its first part. */
  timeoutMs: number;
}

export type BatchSend = (md: MetricsData, points: number, ctx: ConsumeContext) => Promise<void>;

export type FlushTrigger = 'size' | 'timeout';

interface Pending {
  /** The parts of this batch, in order (merged at flush, so lazily decoded parts stay undecoded). */
  parts: MetricsData[];
  points: number;
  ctx: ConsumeContext;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * One MetricsData from the parts of a batch. Protobuf messages concatenate (repeated resource_metrics append), so:
 * when every part is lazy and undecoded (the OTLP receiver's output) the result is lazy over the concatenated bytes
 * and nothing is decoded; otherwise the parts' objects are appended and `encoded` is the concatenation when every
 * part had one.
 */
export function mergeBatches(parts: MetricsData[], points: number): MetricsData {
  if (parts.length === 1) return parts[0]!;
  const encoded: Uint8Array[] = [];
  let allLazy = true;
  let resources = 0;
  for (const part of parts) {
    const lazy = lazyState(part);
    if (lazy === undefined || lazy.bytes !== part.encoded) allLazy = false;
    else resources += lazy.resources;
    if (part.encoded !== undefined) encoded.push(part.encoded);
  }
  const bytes = encoded.length === parts.length ? Buffer.concat(encoded) : undefined;
  if (allLazy && bytes !== undefined) {
    const md = lazyMetricsData(bytes, points, resources, lazyState(parts[0]!)!.decode);
    md.encoded = bytes;
    return md;
  }
  const md: MetricsData = { resourceMetrics: [] };
  for (const part of parts) appendMetrics(md, part);
  if (bytes !== undefined) md.encoded = bytes;
  return md;
}

export class Batcher {
  private readonly o: BatcherOptions;
  private readonly send: BatchSend;
  private readonly onFlush: ((trigger: FlushTrigger) => void) | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly inflight = new Set<Promise<void>>();
  private immediate = false;

  constructor(o: BatcherOptions, send: BatchSend, onFlush?: (trigger: FlushTrigger) => void) {
    this.o = o;
    this.send = send;
    this.onFlush = onFlush;
  }

  /** Batches pending (not yet handed to `send`). */
  get pendingBatches(): number {
    return this.pending.size;
  }

  get pendingPoints(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.points;
    return n;
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }

  add(md: MetricsData, points: number, ctx: ConsumeContext, key = ''): Promise<void> {
    let p = this.pending.get(key);
    if (!p) {
      p = { parts: [], points: 0, ctx, waiters: [], timer: undefined };
      this.pending.set(key, p);
    }
    p.parts.push(md);
    p.points += points;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    if (this.immediate || this.o.minSize === 0 || p.points >= this.o.minSize) {
      this.onFlush?.('size');
      this.flush(key);
    } else if (!p.timer) {
      p.timer = setTimeout(() => {
        this.onFlush?.('timeout');
        this.flush(key);
      }, this.o.timeoutMs);
    }
    return done;
  }

  /** From now on every add goes at once (shutdown), and what is pending goes now. */
  flushEveryAdd(): void {
    this.immediate = true;
    this.flushAll();
  }

  flushAll(): void {
    for (const key of [...this.pending.keys()]) this.flush(key);
  }

  /** Flushes everything and waits for the sends in flight (their errors went to the callers of `add`). */
  async drain(): Promise<void> {
    this.flushAll();
    await Promise.allSettled([...this.inflight]);
  }

  private flush(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    const sends: Promise<void>[] = [];
    const max = this.o.maxSize;
    const merged = mergeBatches(p.parts, p.points);
    if (max > 0 && p.points > max) {
      merged.encoded = undefined; // split parts are described by no received bytes
      let left = p.points;
      while (left > 0) {
        const part = splitByPoints(merged, max);
        const n = countDataPoints(part);
        left -= Math.max(n, 1);
        if (part.resourceMetrics.length === 0) break;
        sends.push(this.send(part, n, p.ctx));
      }
    } else {
      sends.push(this.send(merged, p.points, p.ctx));
    }
    const all = Promise.all(sends).then(
      () => p.waiters.forEach((w) => w.resolve()),
      (err) => p.waiters.forEach((w) => w.reject(err)),
    );
    this.inflight.add(all);
    void all.finally(() => this.inflight.delete(all));
  }
}
