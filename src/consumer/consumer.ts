/**
 * The consume contract between receivers, processors and exporters.
 *
 * - `consume(md, ctx)` hands ownership of `md` to the callee: after the call the caller must not read or write it.
 * - `mutatesData` says whether the consumer changes `md` in place; fan-out clones only for those.
 * - `mutatesAttributes` (optional, default `mutatesData`) says whether attribute lists are changed in place.
 * - `usesEncodedOnly` says the objects are never read when `md.encoded` is set (receivers may then skip decoding).
 * - A rejected promise carries a PipelineError (src/component/errors.ts); receivers map its class to the
 *   protocol's status (backpressure -> 429/RESOURCE_EXHAUSTED, retryable -> 503/UNAVAILABLE, permanent -> 400).
 * - A resolved promise means the data is accepted: delivered, or durably queued where the exporter promises so.
 */
import type { MetricsData } from '../model/types.ts';

export interface ConsumeContext {
  /** Request metadata (lower-case header names -> values) when the receiver has `include_metadata`. */
  readonly metadata?: ReadonlyMap<string, readonly string[]>;
  /** Name of the receiver id that produced the data. */
  readonly receiver?: string;
}

export interface Consumer {
  readonly mutatesData: boolean;
  /**
   * True when this consumer and everything after it only need `md.encoded` when it is set (an OTLP protobuf
   * exporter), never the objects: the OTLP receivers then pass protobuf requests on undecoded (src/model/lazy.ts).
   * Absent or false (the default) means the objects are read, and receivers decode at once. Only a hint: lazily
   * decoded data still decodes itself when read.
   */
  readonly usesEncodedOnly?: boolean;
  /**
   * False when this consumer and everything after it never change attribute lists or their KeyValue objects in place
   * (they may still replace `point.attributes` with a new list): a producer may then hand out attribute lists it
   * keeps and shares (the prometheus receiver's per-series lists). Absent means the same as `mutatesData`.
   */
  readonly mutatesAttributes?: boolean;
  consume(md: MetricsData, ctx: ConsumeContext): Promise<void>;
}

/** Whether `c` (or anything after it) may change attribute lists or KeyValue objects in place. */
export function mutatesAttributes(c: Consumer): boolean {
  return c.mutatesAttributes ?? c.mutatesData;
}

export const EMPTY_CONTEXT: ConsumeContext = Object.freeze({});
