/**
 * Delta -> cumulative state for monotonic sums and explicit-bucket histograms, per series identity (a string key the
 * caller derives from the final Prometheus name + labels).
 *
 * Contract (the collector prometheusexporter accumulator's rules, made explicit and counted):
 * - First point of a series: stored as is; cumulative start = the point's start.
 * - Aligned point (start == previous point's time): added to the state; start stays the first start.
 * - Gap (start > previous time): treated as a restart; the state restarts from this point (a counter reset downstream).
 * - Overlap (start < previous time, i.e. not alignable / single-writer violation): dropped -> 'delta_not_aligned'.
 * - The same delta point again (same start and time as the last one added): the current cumulative value is returned
 *   without adding it twice, so re-translating stored points (a /metrics exporter rendering on every scrape) and
 *   duplicate deliveries are idempotent.
 * - Point not newer than the state (time <= previous time), otherwise: dropped -> 'out_of_order'.
 * - Histogram bounds changed: restart from this point.
 * - `forget(key)` drops a series (used for NoRecordedValue points); `expire(nowMs)` forgets series not updated for
 *   `expirationMs` (collector `metric_expiration`).
 * Results are written into the caller's `SumResult` / `HistogramResult` scratch objects (no allocation per point once
 * a series exists). Int sums stay bigint, so they are exact.
 */
import type { HistogramDataPoint } from '../../model/types.ts';

export type AccumulateOutcome = 'ok' | 'delta_not_aligned' | 'out_of_order';

interface SumState {
  start: bigint;
  /** Start of the last delta added (for idempotent repeats). */
  lastStart: bigint;
  last: bigint;
  value: number | bigint;
  touchedMs: number;
}

interface HistogramState {
  start: bigint;
  lastStart: bigint;
  last: bigint;
  count: number;
  sum: number | undefined;
  bounds: number[];
  counts: number[];
  touchedMs: number;
}

export interface SumResult {
  value: number | bigint;
  start: bigint;
}

export interface HistogramResult {
  count: number;
  sum: number | undefined;
  /** Per-bucket (not cumulative) counts; owned by the accumulator, read before the next call. */
  bucketCounts: readonly number[];
  bounds: readonly number[];
  start: bigint;
}

export interface DeltaAccumulatorOptions {
  readonly expirationMs?: number | undefined;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function add(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  return Number(a) + Number(b);
}

export class DeltaAccumulator {
  readonly expirationMs: number;
  private readonly sums = new Map<string, SumState>();
  private readonly histograms = new Map<string, HistogramState>();

  constructor(options: DeltaAccumulatorOptions = {}) {
    this.expirationMs = options.expirationMs ?? 5 * 60_000;
  }

  get size(): number {
    return this.sums.size + this.histograms.size;
  }

  accumulateSum(
    key: string,
    start: bigint,
    time: bigint,
    value: number | bigint,
    nowMs: number,
    out: SumResult,
  ): AccumulateOutcome {
    const st = this.sums.get(key);
    if (st === undefined) {
      this.sums.set(key, { start, lastStart: start, last: time, value, touchedMs: nowMs });
      out.value = value;
      out.start = start;
      return 'ok';
    }
    if (time === st.last && start === st.lastStart) {
      out.value = st.value; // the same point again: idempotent
      out.start = st.start;
      return 'ok';
    }
    if (time <= st.last) return 'out_of_order';
    if (start === st.last) {
      st.value = add(st.value, value);
    } else if (start > st.last) {
      st.start = start;
      st.value = value;
    } else {
      return 'delta_not_aligned';
    }
    st.lastStart = start;
    st.last = time;
    st.touchedMs = nowMs;
    out.value = st.value;
    out.start = st.start;
    return 'ok';
  }

  accumulateHistogram(key: string, pt: HistogramDataPoint, nowMs: number, out: HistogramResult): AccumulateOutcome {
    const st = this.histograms.get(key);
    if (st !== undefined && pt.timeUnixNano === st.last && pt.startTimeUnixNano === st.lastStart) {
      return this.fillHistogram(st, out); // the same point again: idempotent
    }
    if (st !== undefined && pt.timeUnixNano <= st.last) return 'out_of_order';
    if (st !== undefined && pt.startTimeUnixNano < st.last) return 'delta_not_aligned';
    if (st === undefined || pt.startTimeUnixNano > st.last || !sameBounds(st.bounds, pt.explicitBounds)) {
      const fresh: HistogramState = {
        start: pt.startTimeUnixNano,
        lastStart: pt.startTimeUnixNano,
        last: pt.timeUnixNano,
        count: pt.count,
        sum: pt.sum,
        bounds: pt.explicitBounds.slice(),
        counts: pt.bucketCounts.slice(),
        touchedMs: nowMs,
      };
      this.histograms.set(key, fresh);
      return this.fillHistogram(fresh, out);
    }
    // Aligned: add counts bucket by bucket.
    st.count += pt.count;
    st.sum = st.sum === undefined || pt.sum === undefined ? undefined : st.sum + pt.sum;
    const c = st.counts;
    const src = pt.bucketCounts;
    if (c.length !== src.length) {
      // Same bounds but a bucket array missing on one side (0 buckets allowed by OTLP): keep the longer shape.
      if (c.length < src.length) for (let i = c.length; i < src.length; i++) c.push(0);
    }
    for (let i = 0; i < src.length; i++) c[i] = c[i]! + src[i]!;
    st.lastStart = pt.startTimeUnixNano;
    st.last = pt.timeUnixNano;
    st.touchedMs = nowMs;
    return this.fillHistogram(st, out);
  }

  private fillHistogram(st: HistogramState, out: HistogramResult): 'ok' {
    out.count = st.count;
    out.sum = st.sum;
    out.bucketCounts = st.counts;
    out.bounds = st.bounds;
    out.start = st.start;
    return 'ok';
  }

  /** Forget one series' state (both kinds). */
  forget(key: string): void {
    this.sums.delete(key);
    this.histograms.delete(key);
  }

  /** Forget series not updated for `expirationMs`; returns how many were removed. */
  expire(nowMs: number): number {
    const limit = nowMs - this.expirationMs;
    let n = 0;
    for (const [k, st] of this.sums) if (st.touchedMs < limit) (this.sums.delete(k), n++);
    for (const [k, st] of this.histograms) if (st.touchedMs < limit) (this.histograms.delete(k), n++);
    return n;
  }
}
