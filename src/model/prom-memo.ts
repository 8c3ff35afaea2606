/**
 * Per-series memos on a point's Prometheus identity (`PromSeries`): translators and encoders keep their results for
 * a scraped series (final labels, encoded label bytes) under a private symbol, reused scrape after scrape.
 *
 * The first memo lives inline (`memoKey` / `memo`): one pipeline usually has one translator per series, and a Map per
 * series would cost ~300 bytes (100k series: 30 MB). Further memos go to the `cache` Map.
 */
import type { Label, PromSeries } from './types.ts';

/** A PromSeries with every slot present (one hidden class for all of them). */
export function promSeries(name: string, labels: readonly Label[]): PromSeries {
  return { name, labels, memoKey: undefined, memo: undefined, cache: undefined };
}

export function getPromMemo(prom: PromSeries, key: symbol): unknown {
  if (prom.memoKey === key) return prom.memo;
  return prom.cache?.get(key);
}

export function setPromMemo(prom: PromSeries, key: symbol, value: unknown): void {
  if (prom.memoKey === undefined || prom.memoKey === key) {
    prom.memoKey = key;
    prom.memo = value;
  } else (prom.cache ??= new Map()).set(key, value);
}
