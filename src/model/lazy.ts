/**
 * Lazily decoded MetricsData: a batch that came in as OTLP protobuf and, on the OTLP-in -> OTLP-out path, is never
 * needed as objects (the exporter sends `encoded`). The receiver checks the bytes (codec/otlp/proto-scan.ts: valid
 * protobuf, no invalid point, the point count) and hands on a `lazyMetricsData`; the objects are built the first
 * time anyone reads `resourceMetrics`.
 *
 * Contract
 * - `lazyMetricsData(bytes, points, resources, decode)` returns a plain object (Object.prototype) whose own,
 *   enumerable `resourceMetrics` is an accessor: the first read (or write) replaces it with an ordinary data
 *   property holding `decode(bytes)` (or the value written). From then on the object is an ordinary MetricsData
 *   (spread, deepStrictEqual, JSON all see the same as for an eagerly decoded one). `encoded` is not set here.
 * - `decode(bytes)` must not throw for bytes the caller has checked, and its result must have `points` data points
 *   in `resources` ResourceMetrics. `bytes` must stay unchanged (they normally are `encoded` as well).
 * - `lazyState(md)` is the pending state while nothing has been decoded, else undefined. `countDataPoints` and
 *   `resourceCount` answer from it without decoding. Nothing else may rely on it.
 */
import type { MetricsData, ResourceMetrics } from './types.ts';

export interface LazyState {
  readonly bytes: Uint8Array;
  readonly points: number;
  readonly resources: number;
  readonly decode: (bytes: Uint8Array) => ResourceMetrics[];
}

/** Non-enumerable: invisible to spread, Object.keys, JSON and deepStrictEqual. */
const LAZY: unique symbol = Symbol('otel-bridge.lazyMetricsData');

type Lazy = MetricsData & { [LAZY]?: LazyState | undefined };

function settle(md: Lazy, rms: ResourceMetrics[]): void {
  md[LAZY] = undefined;
  Object.defineProperty(md, 'resourceMetrics', { value: rms, writable: true, enumerable: true, configurable: true });
}

export function lazyMetricsData(bytes: Uint8Array, points: number, resources: number, decode: (bytes: Uint8Array) => ResourceMetrics[]): MetricsData {
  const md = {} as Lazy;
  Object.defineProperty(md, LAZY, { value: { bytes, points, resources, decode }, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(md, 'resourceMetrics', {
    enumerable: true,
    configurable: true,
    get(this: Lazy): ResourceMetrics[] {
      const s = this[LAZY];
      // Only reachable before settle(); the state is always there then.
      const rms = s === undefined ? [] : s.decode(s.bytes);
      settle(this, rms);
      return rms;
    },
    set(this: Lazy, v: ResourceMetrics[]) {
      settle(this, v);
    },
  });
  return md;
}

/** The pending state of a lazy MetricsData that nobody has decoded yet; undefined otherwise. */
export function lazyState(md: MetricsData): LazyState | undefined {
  return (md as Lazy)[LAZY];
}

/** Number of ResourceMetrics, without decoding a lazy MetricsData. */
export function resourceCount(md: MetricsData): number {
  const s = (md as Lazy)[LAZY];
  return s !== undefined ? s.resources : md.resourceMetrics.length;
}
