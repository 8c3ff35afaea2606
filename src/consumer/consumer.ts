/**
 * The consume contract between receivers, processors and exporters.
 *
 * - `consume(md, ctx)` hands ownership of `md` to the callee: after the call the caller must not read or write it.
 * - `mutatesData` says whether the consumer changes `md` in place; fan-out clones only for those.
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
  consume(md: MetricsData, ctx: ConsumeContext): Promise<void>;
}

export const EMPTY_CONTEXT: ConsumeContext = Object.freeze({});
