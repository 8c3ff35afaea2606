/**
 * Micro-benchmark contract. Each file in bench/micro/ default-exports MicroBench[].
 * `prepare()` builds inputs once (not measured) and returns `run`, which does one unit of work and returns how many
 * items (samples / data points / series) it processed. The runner (bench/run.ts) calls `run` repeatedly for a time
 * budget and reports CPU-seconds per million items, items/s and peak RSS.
 */
export interface MicroBench {
  /** e.g. "promtext: parse text 0.0.4". */
  name: string;
  /** What `run` counts: 'samples', 'points', 'series', 'bytes'. */
  items: string;
  prepare(): (() => number) | Promise<() => number>;
}
