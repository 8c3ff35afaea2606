/**
 * The native histogram message, identical in RW 1.0 (prompb types.proto, TimeSeries field 4) and RW 2.0
 * (io.prometheus.write.v2 types.proto, TimeSeries field 3):
 *   Histogram  { oneof count { uint64 count_int = 1; double count_float = 2; } double sum = 3; sint32 schema = 4;
 *                double zero_threshold = 5; oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
 *                repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9;
 *                repeated double negative_counts = 10; repeated BucketSpan positive_spans = 11;
 *                repeated sint64 positive_deltas = 12; repeated double positive_counts = 13; ResetHint reset_hint = 14;
 *                int64 timestamp = 15; repeated double custom_values = 16 (RW 2.0 / newer prompb); }
 *   BucketSpan { sint32 offset = 1; uint32 length = 2; }
 *
 * Contract
 * - `writeHistogramBody(w, h)` writes an integer histogram (count_int, zero_count_int, deltas) in canonical proto3
 *   form: the oneof members count_int / zero_count_int are always written (they are set, as the Go senders set them);
 *   other zero scalars and empty repeated fields are omitted; deltas packed, zigzag (exact to 2^52).
 * - `writeDecodedHistogramBody(w, h)` writes a decoded histogram back as it came (integer or float form; the RW 2.0 ->
 *   1.0 fallback re-encoding).
 * - `readHistogram(r)` reads either form (integer or float, packed or not) into a `DecodedHistogram`; `isFloat` tells
 *   which oneof was used. The sum keeps its NaN bits (object field), so a stale marker stays recognisable.
 * No I/O, no logging.
 */
import type { BucketSpan, NativeHistogram } from '../../translate/prometheus/native-histogram.ts';
import type { MessageDesc, ProtoReader, ProtoWriter } from '../protobuf/index.ts';
import { readPackedDoubles, readPackedVarintNumbers } from '../protobuf/index.ts';
import { isPositiveZero, writeInt64 } from './wire.ts';

export interface DecodedHistogram {
  /** count_int or count_float, whichever was set. */
  count: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  /** A float histogram (count_float / zero_count_float / *_counts). */
  isFloat: boolean;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: number;
  timestamp: number;
  customValues: number[];
}

const HISTOGRAM: MessageDesc = {
  name: 'Histogram',
  fields: {
    1: 'count_int',
    2: 'count_float',
    3: 'sum',
    4: 'schema',
    5: 'zero_threshold',
    6: 'zero_count_int',
    7: 'zero_count_float',
    8: 'negative_spans',
    9: 'negative_deltas',
    10: 'negative_counts',
    11: 'positive_spans',
    12: 'positive_deltas',
    13: 'positive_counts',
    14: 'reset_hint',
    15: 'timestamp',
    16: 'custom_values',
  },
};
const BUCKET_SPAN: MessageDesc = { name: 'BucketSpan', fields: { 1: 'offset', 2: 'length' } };

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

function writeSpans(w: ProtoWriter, field: number, spans: readonly BucketSpan[]): void {
  for (const s of spans) {
    w.tag(field, 2);
    const at = w.fork();
    if (s.offset !== 0) (w.tag(1, 0), w.sint32(s.offset));
    if (s.length !== 0) (w.tag(2, 0), w.uint32(s.length));
    w.ldelim(at);
  }
}

function writeDeltas(w: ProtoWriter, field: number, deltas: readonly number[]): void {
  if (deltas.length === 0) return;
  w.tag(field, 2);
  const at = w.fork();
  for (const d of deltas) w.varint(zigzag(d));
  w.ldelim(at);
}

/** The Histogram message body (no tag/length). */
export function writeHistogramBody(w: ProtoWriter, h: NativeHistogram): void {
  w.tag(1, 0);
  w.varint(h.count);
  if (!isPositiveZero(h.sum)) w.doubleField(3, h.sum);
  if (h.schema !== 0) (w.tag(4, 0), w.sint32(h.schema));
  if (!isPositiveZero(h.zeroThreshold)) w.doubleField(5, h.zeroThreshold);
  w.tag(6, 0);
  w.varint(h.zeroCount);
  writeSpans(w, 8, h.negativeSpans);
  writeDeltas(w, 9, h.negativeDeltas);
  writeSpans(w, 11, h.positiveSpans);
  writeDeltas(w, 12, h.positiveDeltas);
  if (h.resetHint !== 0) (w.tag(14, 0), w.uint32(h.resetHint));
  if (h.timestampMs !== 0) (w.tag(15, 0), writeInt64(w, h.timestampMs));
}

function writeDoubles(w: ProtoWriter, field: number, vs: readonly number[]): void {
  if (vs.length === 0) return;
  w.tag(field, 2);
  const at = w.fork();
  for (const v of vs) w.double(v);
  w.ldelim(at);
}

/** A decoded Histogram message body, in the form it was read (integer or float). */
export function writeDecodedHistogramBody(w: ProtoWriter, h: DecodedHistogram): void {
  if (h.isFloat) w.doubleField(2, h.count);
  else (w.tag(1, 0), w.varint(h.count));
  if (!isPositiveZero(h.sum)) w.doubleField(3, h.sum);
  if (h.schema !== 0) (w.tag(4, 0), w.sint32(h.schema));
  if (!isPositiveZero(h.zeroThreshold)) w.doubleField(5, h.zeroThreshold);
  if (h.isFloat) w.doubleField(7, h.zeroCount);
  else (w.tag(6, 0), w.varint(h.zeroCount));
  writeSpans(w, 8, h.negativeSpans);
  writeDeltas(w, 9, h.negativeDeltas);
  writeDoubles(w, 10, h.negativeCounts);
  writeSpans(w, 11, h.positiveSpans);
  writeDeltas(w, 12, h.positiveDeltas);
  writeDoubles(w, 13, h.positiveCounts);
  if (h.resetHint !== 0) (w.tag(14, 0), w.uint32(h.resetHint));
  if (h.timestamp !== 0) (w.tag(15, 0), writeInt64(w, h.timestamp));
  writeDoubles(w, 16, h.customValues);
}

function readSpan(r: ProtoReader): BucketSpan {
  r.enter(BUCKET_SPAN);
  const s: BucketSpan = { offset: 0, length: 0 };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x08) s.offset = r.sint32();
    else if (t === 0x10) s.length = r.uint32();
    else r.skipUnknown();
  }
  r.leave();
  return s;
}

function readDeltas(r: ProtoReader, out: number[]): void {
  const at = out.length;
  readPackedVarintNumbers(r, out);
  for (let i = at; i < out.length; i++) out[i] = unzigzag(out[i]!);
}

/** Reads one Histogram message (positioned right after its tag). */
export function readHistogram(r: ProtoReader): DecodedHistogram {
  r.enter(HISTOGRAM);
  const h: DecodedHistogram = {
    count: 0,
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    isFloat: false,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: 0,
    timestamp: 0,
    customValues: [],
  };
  while (r.pos < r.limit) {
    const t = r.tag();
    const f = r.field;
    if (t === 0x08) h.count = r.varint();
    else if (t === 0x11) (h.count = r.double()), (h.isFloat = true);
    else if (t === 0x19) h.sum = r.double();
    else if (t === 0x20) h.schema = r.sint32();
    else if (t === 0x29) h.zeroThreshold = r.double();
    else if (t === 0x30) h.zeroCount = r.varint();
    else if (t === 0x39) (h.zeroCount = r.double()), (h.isFloat = true);
    else if (t === 0x42) h.negativeSpans.push(readSpan(r));
    else if (f === 9) readDeltas(r, h.negativeDeltas);
    else if (f === 10) readPackedDoubles(r, h.negativeCounts), (h.isFloat = true);
    else if (t === 0x5a) h.positiveSpans.push(readSpan(r));
    else if (f === 12) readDeltas(r, h.positiveDeltas);
    else if (f === 13) readPackedDoubles(r, h.positiveCounts), (h.isFloat = true);
    else if (t === 0x70) h.resetHint = r.uint32();
    else if (t === 0x78) h.timestamp = Number(r.int64());
    else if (f === 16) readPackedDoubles(r, h.customValues);
    else r.skipUnknown();
  }
  r.leave();
  return h;
}
