/**
 * Remote-write 1.0 `prometheus.WriteRequest` encoder (prompb remote.proto / types.proto):
 *   WriteRequest   { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
 *   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3;
 *                    repeated Histogram histograms = 4; }   (Histogram: see histogram.ts)
 *   Label          { string name = 1; string value = 2; }
 *   Sample         { double value = 1; int64 timestamp = 2; }
 *   Exemplar       { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
 *   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 *
 * Contract
 * - `RemoteWriteV1Encoder` is a PromSink: the translator streams into it and it appends one TimeSeries (one sample,
 *   optional exemplars) per `series()` call straight into one reusable buffer. For cacheable SeriesRefs the label
 *   bytes come from the `rw1` memo (encoded once per series lifetime; per sample a memcpy plus ~20 bytes); other
 *   refs are encoded directly into the request (no allocation).
 * - Invalid label sets (unsorted, duplicate, empty name or value; with `legacyNames` also non-classic names) are not
 *   written: they are counted in `stats.rejected` / `stats.rejectedByReason`.
 * - `histogram()` (the PromSink's native histogram sample): one TimeSeries with the labels, one Histogram (field 4)
 *   and the exemplars; counted in `stats.samples` and `stats.histograms`. Not a hot path (framed with fork/ldelim).
 * - `sendMetadata`: one MetricMetadata per family name per request (first `family()` call wins), interleaved with
 *   the timeseries (repeated fields may interleave on the wire).
 * - Proto3 canonical form: zero-valued scalars are omitted (as Go/gogo marshal), so bytes equal other encoders'.
 * - `finish()` returns a view of the internal buffer, valid until `reset()`; `finishSnappy()` returns a new Buffer.
 *   Stale markers keep their NaN bits (values go through DataView, never through a JS number array).
 * No I/O, no logging.
 */
import type { Label } from '../../model/types.ts';
import type { NativeHistogram } from '../../translate/prometheus/native-histogram.ts';
import type { FamilyType, PromExemplar, PromSink, SeriesKind, SeriesRef } from '../../translate/prometheus/types.ts';
import { ProtoWriter, varintSize } from '../protobuf/index.ts';
import type { DecodedHistogram } from './histogram.ts';
import { writeDecodedHistogramBody, writeHistogramBody } from './histogram.ts';
import { compressBlock } from './snappy.ts';
import { Int64Memo, isPositiveZero, putSample, putUint32, sampleSize, writeInt64 } from './wire.ts';
import type { LabelProblem } from './series-labels.ts';
import { checkLabels, hasLegacyNames, metricTypeCode, rw1LabelBytes, rw1LabelsSize, writeRw1Labels } from './series-labels.ts';

export interface RemoteWriteEncoderOptions {
  /** Write MetricMetadata (RW 1.0) / per-series Metadata (RW 2.0). Default: false for 1.0, true for 2.0. */
  readonly sendMetadata?: boolean | undefined;
  /** Reject names outside the classic character sets. Default: true for 1.0 (a MUST), false for 2.0. */
  readonly legacyNames?: boolean | undefined;
  /** Write exemplars; default true. */
  readonly exemplars?: boolean | undefined;
  /** Initial buffer size in bytes; default 64 KiB. */
  readonly initialCapacity?: number | undefined;
}

export interface RemoteWriteEncoderStats {
  /** TimeSeries messages written. */
  series: number;
  /** Samples written, native histogram samples included. */
  samples: number;
  /** Native histogram samples written. */
  histograms: number;
  exemplars: number;
  metadata: number;
  /** Samples not written because their label set is invalid. */
  rejected: number;
  rejectedByReason: Record<LabelProblem, number>;
}

export function newEncoderStats(): RemoteWriteEncoderStats {
  return {
    series: 0,
    samples: 0,
    histograms: 0,
    exemplars: 0,
    metadata: 0,
    rejected: 0,
    rejectedByReason: {
      empty_metric_name: 0,
      empty_label_name: 0,
      empty_label_value: 0,
      duplicate_label: 0,
      unsorted_labels: 0,
      invalid_metric_name: 0,
      invalid_label_name: 0,
    },
  };
}

function writeLabel(w: ProtoWriter, field: number, name: string, value: string): void {
  w.tag(field, 2);
  const at = w.fork();
  if (name !== '') w.stringField(1, name);
  if (value !== '') w.stringField(2, value);
  w.ldelim(at);
}

/** Encodes one prompb.Exemplar body (without tag/length). */
function writeExemplarBody(w: ProtoWriter, labels: readonly Label[], value: number, timestamp: number): void {
  for (const l of labels) writeLabel(w, 1, l.name, l.value);
  if (!isPositiveZero(value)) w.doubleField(2, value);
  if (timestamp !== 0) {
    w.tag(3, 0);
    writeInt64(w, timestamp);
  }
}

export class RemoteWriteV1Encoder implements PromSink {
  readonly sendMetadata: boolean;
  readonly legacyNames: boolean;
  readonly writeExemplars: boolean;
  stats: RemoteWriteEncoderStats = newEncoderStats();
  private readonly w: ProtoWriter;
  private readonly ex = new ProtoWriter(256);
  private readonly metaSeen = new Set<string>();
  private readonly ts = new Int64Memo();

  constructor(options: RemoteWriteEncoderOptions = {}) {
    this.sendMetadata = options.sendMetadata ?? false;
    this.legacyNames = options.legacyNames ?? true;
    this.writeExemplars = options.exemplars ?? true;
    this.w = new ProtoWriter(options.initialCapacity ?? 65536);
  }

  /** Bytes written so far (uncompressed): flush when above your batch limit. */
  get byteLength(): number {
    return this.w.pos;
  }

  family(name: string, type: FamilyType, help: string, unit: string): void {
    if (!this.sendMetadata || this.metaSeen.has(name)) return;
    this.metaSeen.add(name);
    const w = this.w;
    w.tag(3, 2);
    const at = w.fork();
    const code = metricTypeCode(type);
    if (code !== 0) w.uint32Field(1, code);
    if (name !== '') w.stringField(2, name);
    if (help !== '') w.stringField(4, help);
    if (unit !== '') w.stringField(5, unit);
    w.ldelim(at);
    this.stats.metadata++;
  }

  series(
    ref: SeriesRef,
    value: number,
    timestampMs: number,
    _kind: SeriesKind,
    _startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void {
    // FAST PATH: memoised label bytes (one property read) for every cacheable series seen before. Non-cacheable
    // refs (fresh every batch) are sized here and written straight into the request below: no allocation.
    let lb = ref.rw1;
    let labelsLen: number;
    if (lb === undefined && ref.cacheable !== true) {
      labelsLen = rw1LabelsSize(ref);
      if (labelsLen < 0) lb = null;
    } else {
      if (lb === undefined) lb = rw1LabelBytes(ref);
      labelsLen = lb === null ? -1 : lb.length;
    }
    if (lb === null || (this.legacyNames && !hasLegacyNames(ref))) return this.reject(ref);
    const sampleLen = sampleSize(value, timestampMs);
    let exLen = 0;
    if (exemplars !== undefined && this.writeExemplars) {
      const ew = this.ex;
      ew.reset();
      for (const e of exemplars) {
        ew.tag(3, 2);
        const at = ew.fork();
        writeExemplarBody(ew, e.labels, e.value, e.timestampMs);
        ew.ldelim(at);
      }
      exLen = ew.pos;
      this.stats.exemplars += exemplars.length;
    }
    const bodyLen = labelsLen + 1 + varintSize(sampleLen) + sampleLen + exLen;
    // FAST PATH: bytes written in place (no per-field method calls); the timestamp varint is memoised because a
    // batch's samples usually share one timestamp.
    const w = this.w;
    w.ensure(bodyLen + 6);
    const buf = w.buf;
    let p = w.pos;
    buf[p++] = 0x0a; // WriteRequest.timeseries (1, LEN)
    p = putUint32(buf, p, bodyLen);
    if (lb !== undefined) {
      buf.set(lb, p);
      p += labelsLen;
    } else p = writeRw1Labels(buf, p); // sized by rw1LabelsSize above
    w.pos = putSample(buf, p, sampleLen, value, timestampMs, this.ts);
    if (exLen !== 0) w.raw(this.ex.finish());
    this.stats.series++;
    this.stats.samples++;
  }

  histogram(
    ref: SeriesRef,
    h: NativeHistogram,
    _kind: SeriesKind,
    _startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void {
    let lb = ref.rw1;
    let labelsLen = 0;
    if (lb === undefined && ref.cacheable !== true) {
      labelsLen = rw1LabelsSize(ref);
      if (labelsLen < 0) lb = null;
    } else if (lb === undefined) lb = rw1LabelBytes(ref);
    if (lb === null || (this.legacyNames && !hasLegacyNames(ref))) return this.reject(ref);
    const w = this.w;
    w.tag(1, 2); // WriteRequest.timeseries
    const at = w.fork();
    if (lb !== undefined) w.raw(lb);
    else {
      w.ensure(labelsLen);
      w.pos = writeRw1Labels(w.buf, w.pos); // sized by rw1LabelsSize above
    }
    w.tag(4, 2); // TimeSeries.histograms
    const ha = w.fork();
    writeHistogramBody(w, h);
    w.ldelim(ha);
    if (exemplars !== undefined && this.writeExemplars) {
      for (const e of exemplars) {
        w.tag(3, 2);
        const ea = w.fork();
        writeExemplarBody(w, e.labels, e.value, e.timestampMs);
        w.ldelim(ea);
      }
      this.stats.exemplars += exemplars.length;
    }
    w.ldelim(at);
    this.stats.series++;
    this.stats.samples++;
    this.stats.histograms++;
  }

  private reject(ref: SeriesRef): void {
    const problem = checkLabels(ref, this.legacyNames) ?? 'invalid_label_name';
    this.stats.rejected++;
    this.stats.rejectedByReason[problem]++;
  }

  /** The encoded WriteRequest: a view into the internal buffer, valid until `reset()`. */
  finish(): Uint8Array {
    return this.w.finish();
  }

  /** The snappy (block format) compressed WriteRequest, as a new Buffer. */
  finishSnappy(): Buffer {
    return compressBlock(this.w.finish());
  }

  /** Starts a new request (keeps the buffer and the per-series label memo). */
  reset(): void {
    this.w.reset();
    this.metaSeen.clear();
    this.stats = newEncoderStats();
  }
}

// ---- object-level API (tests, fixtures, tools) ----

export interface WriteRequestV1 {
  timeseries: {
    /** Full label set incl. `__name__`, in wire order (the caller sorts). */
    labels: readonly Label[];
    samples: readonly { value: number; timestamp: number }[];
    exemplars?: readonly { labels: readonly Label[]; value: number; timestamp: number }[];
    /** Native histograms as decoded (either form), written back as they are. */
    nativeHistograms?: readonly DecodedHistogram[];
  }[];
  metadata?: readonly { type: number; metricFamilyName: string; help: string; unit: string }[];
}

/** Encodes a WriteRequest object as is (no validation), canonical proto3 (defaults omitted). */
export function encodeWriteRequest(req: WriteRequestV1, w: ProtoWriter = new ProtoWriter()): Uint8Array {
  for (const ts of req.timeseries) {
    w.tag(1, 2);
    const at = w.fork();
    for (const l of ts.labels) writeLabel(w, 1, l.name, l.value);
    for (const s of ts.samples) {
      w.tag(2, 2);
      const sa = w.fork();
      if (!isPositiveZero(s.value)) w.doubleField(1, s.value);
      if (s.timestamp !== 0) {
        w.tag(2, 0);
        writeInt64(w, s.timestamp);
      }
      w.ldelim(sa);
    }
    for (const e of ts.exemplars ?? []) {
      w.tag(3, 2);
      const ea = w.fork();
      writeExemplarBody(w, e.labels, e.value, e.timestamp);
      w.ldelim(ea);
    }
    for (const h of ts.nativeHistograms ?? []) {
      w.tag(4, 2);
      const ha = w.fork();
      writeDecodedHistogramBody(w, h);
      w.ldelim(ha);
    }
    w.ldelim(at);
  }
  for (const m of req.metadata ?? []) {
    w.tag(3, 2);
    const at = w.fork();
    if (m.type !== 0) w.uint32Field(1, m.type);
    if (m.metricFamilyName !== '') w.stringField(2, m.metricFamilyName);
    if (m.help !== '') w.stringField(4, m.help);
    if (m.unit !== '') w.stringField(5, m.unit);
    w.ldelim(at);
  }
  return w.finish();
}
