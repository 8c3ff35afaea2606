/**
 * Remote-write 2.0 `io.prometheus.write.v2.Request` encoder (prompb/io/prometheus/write/v2/types.proto):
 *   Request    { reserved 1 to 3; repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
 *   TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3;
 *                repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
 *   Exemplar   { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
 *   Sample     { double value = 1; int64 timestamp = 2; }
 *   Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
 *
 * Contract
 * - A PromSink: one TimeSeries (one sample) per `series()` call. Strings are referenced through the request's
 *   symbol table: `symbols[0] == ""`, each string once, every ref in range, `labels_refs` even-length in sorted wire
 *   label order (`__name__` merged in) — spec rule 12. Per-series global symbol ids are memoised on the SeriesRef
 *   (symbols.ts), so steady-state samples cost no hash lookups.
 * - Metadata: type/help/unit of the last `family()` call is attached to each of that family's series (so
 *   `_bucket`/`_sum`/`_count` carry the histogram type); omitted when `sendMetadata` is false or all-default.
 * - `histogram()` (the PromSink's native histogram sample): one TimeSeries with labels_refs, one Histogram (field 3,
 *   see histogram.ts), exemplars, metadata and created_timestamp; counted in `stats.samples` and `stats.histograms`.
 *   Not a hot path (framed with fork/ldelim).
 * - `created_timestamp` = the sink's `startMs` for counter/histogram/summary series when non-zero (0 = unset).
 * - Invalid label sets are counted (`stats.rejected*`), never written.
 * - `finish()` writes the symbols, then the timeseries (one memcpy), and returns a view valid until `reset()`.
 * No I/O, no logging.
 */
import type { NativeHistogram } from '../../translate/prometheus/native-histogram.ts';
import type { FamilyType, PromExemplar, PromSink, SeriesRef } from '../../translate/prometheus/types.ts';
import { SeriesKind } from '../../translate/prometheus/types.ts';
import { ProtoWriter, varintSize } from '../protobuf/index.ts';
import { writeHistogramBody } from './histogram.ts';
import { compressBlock } from './snappy.ts';
import { checkLabels, hasLegacyNames, metricTypeCode } from './series-labels.ts';
import { RequestSymbols, seriesIds, SymbolRegistry } from './symbols.ts';
import type { RemoteWriteEncoderOptions, RemoteWriteEncoderStats } from './v1-encode.ts';
import { newEncoderStats } from './v1-encode.ts';
import { Int64Memo, int64Size, isPositiveZero, putSample, putUint32, sampleSize, writeInt64 } from './wire.ts';

export interface RemoteWriteV2EncoderOptions extends RemoteWriteEncoderOptions {
  /** Strings kept in the symbol registry before it is compacted (between requests); default 1M. */
  readonly symbolLimit?: number | undefined;
}

export class RemoteWriteV2Encoder implements PromSink {
  readonly sendMetadata: boolean;
  readonly legacyNames: boolean;
  readonly writeExemplars: boolean;
  stats: RemoteWriteEncoderStats = newEncoderStats();
  readonly registry: SymbolRegistry;
  private readonly symbols: RequestSymbols;
  private readonly ts: ProtoWriter;
  private readonly out: ProtoWriter;
  private readonly ex = new ProtoWriter(256);
  private readonly tsMemo = new Int64Memo();
  private locals = new Int32Array(64);
  // Current family's metadata; its encoded message is rebuilt lazily per request (`metaValid`).
  private metaType = 0;
  private metaHelp = '';
  private metaUnit = '';
  private metaValid = false;
  private readonly metaBytes = new Uint8Array(32);
  private metaLen = 0;

  constructor(options: RemoteWriteV2EncoderOptions = {}) {
    this.sendMetadata = options.sendMetadata ?? true;
    this.legacyNames = options.legacyNames ?? false;
    this.writeExemplars = options.exemplars ?? true;
    this.registry = new SymbolRegistry(options.symbolLimit);
    this.symbols = new RequestSymbols(this.registry);
    this.ts = new ProtoWriter(options.initialCapacity ?? 65536);
    this.out = new ProtoWriter(options.initialCapacity ?? 65536);
  }

  /** Approximate request size so far (timeseries bytes + symbols). */
  get byteLength(): number {
    return this.ts.pos + this.symbols.bytes;
  }

  /** Symbols in the current request (including the leading ""). */
  get symbolCount(): number {
    return this.symbols.list.length;
  }

  family(_name: string, type: FamilyType, help: string, unit: string): void {
    this.metaType = metricTypeCode(type);
    this.metaHelp = help;
    this.metaUnit = unit;
    this.metaValid = false;
  }

  series(
    ref: SeriesRef,
    value: number,
    timestampMs: number,
    kind: SeriesKind,
    startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void {
    const ids = this.idsOf(ref);
    if (ids === null) return;
    // FAST PATH: global ids -> request-local refs by typed-array lookups.
    const sy = this.symbols;
    const n = 2 * ref.labels.length + 2; // `ids` may be a longer scratch array
    if (this.locals.length < n) this.locals = new Int32Array(n * 2);
    const locals = this.locals;
    let refsLen = 0;
    for (let i = 0; i < n; i++) {
      const l = sy.local(ids[i]!);
      locals[i] = l;
      refsLen += l < 0x80 ? 1 : varintSize(l);
    }
    const sampleLen = sampleSize(value, timestampMs);
    let exLen = 0;
    if (exemplars !== undefined && this.writeExemplars) {
      exLen = this.encodeExemplars(exemplars);
      this.stats.exemplars += exemplars.length;
    }
    if (this.sendMetadata && !this.metaValid) this.encodeMetadata();
    const metaLen = this.sendMetadata ? this.metaLen : 0;
    const created = startMs !== 0 && kind !== SeriesKind.GAUGE && kind !== SeriesKind.TARGET_INFO;
    const bodyLen =
      1 + varintSize(refsLen) + refsLen + 2 + sampleLen + exLen + metaLen + (created ? 1 + int64Size(startMs) : 0);
    const w = this.ts;
    w.ensure(bodyLen + 6);
    const buf = w.buf;
    let p = w.pos;
    buf[p++] = 0x2a; // Request.timeseries (5, LEN)
    p = putUint32(buf, p, bodyLen);
    buf[p++] = 0x0a; // TimeSeries.labels_refs (1, LEN, packed)
    p = putUint32(buf, p, refsLen);
    for (let i = 0; i < n; i++) p = putUint32(buf, p, locals[i]!);
    p = putSample(buf, p, sampleLen, value, timestampMs, this.tsMemo);
    if (exLen !== 0) {
      buf.set(this.ex.finish(), p);
      p += exLen;
    }
    if (metaLen !== 0) {
      const mb = this.metaBytes; // <= 16 bytes: a loop beats set(subarray()), which allocates a view per sample
      for (let i = 0; i < metaLen; i++) buf[p++] = mb[i]!;
    }
    w.pos = p;
    if (created) {
      w.tag(6, 0); // TimeSeries.created_timestamp
      writeInt64(w, startMs);
    }
    this.stats.series++;
    this.stats.samples++;
  }

  /** The series' symbol ids, or null after counting why its label set is refused. */
  private idsOf(ref: SeriesRef): ReturnType<typeof seriesIds> {
    const ids = seriesIds(ref, this.registry);
    if (ids !== null && !(this.legacyNames && !hasLegacyNames(ref))) return ids;
    const problem = checkLabels(ref, this.legacyNames) ?? 'invalid_label_name';
    this.stats.rejected++;
    this.stats.rejectedByReason[problem]++;
    return null;
  }

  histogram(
    ref: SeriesRef,
    h: NativeHistogram,
    _kind: SeriesKind,
    startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void {
    const ids = this.idsOf(ref);
    if (ids === null) return;
    const sy = this.symbols;
    const n = 2 * ref.labels.length + 2;
    const locals: number[] = [];
    for (let i = 0; i < n; i++) locals.push(sy.local(ids[i]!));
    const exLen = exemplars !== undefined && this.writeExemplars ? this.encodeExemplars(exemplars) : 0;
    if (exLen !== 0) this.stats.exemplars += exemplars!.length;
    if (this.sendMetadata && !this.metaValid) this.encodeMetadata();
    const w = this.ts;
    w.tag(5, 2); // Request.timeseries
    const at = w.fork();
    w.packedVarints(1, locals); // TimeSeries.labels_refs
    w.tag(3, 2); // TimeSeries.histograms
    const ha = w.fork();
    writeHistogramBody(w, h);
    w.ldelim(ha);
    if (exLen !== 0) w.raw(this.ex.finish());
    if (this.sendMetadata && this.metaLen !== 0) w.raw(this.metaBytes.subarray(0, this.metaLen));
    if (startMs !== 0) (w.tag(6, 0), writeInt64(w, startMs)); // TimeSeries.created_timestamp
    w.ldelim(at);
    this.stats.series++;
    this.stats.samples++;
    this.stats.histograms++;
  }

  /** Encodes the exemplars (TimeSeries field 4 entries) into `ex`; returns their byte length. */
  private encodeExemplars(exemplars: readonly PromExemplar[]): number {
    const w = this.ex;
    w.reset();
    for (const e of exemplars) {
      w.tag(4, 2);
      const at = w.fork();
      if (e.labels.length > 0) {
        w.tag(1, 2);
        const lr = w.fork();
        for (const l of e.labels) {
          w.uint32(this.symbols.intern(l.name));
          w.uint32(this.symbols.intern(l.value));
        }
        w.ldelim(lr);
      }
      if (!isPositiveZero(e.value)) w.doubleField(2, e.value);
      if (e.timestampMs !== 0) {
        w.tag(3, 0);
        writeInt64(w, e.timestampMs);
      }
      w.ldelim(at);
    }
    return w.pos;
  }

  /** The current family's Metadata field (TimeSeries field 5) with refs into this request's table. */
  private encodeMetadata(): void {
    const help = this.symbols.intern(this.metaHelp);
    const unit = this.symbols.intern(this.metaUnit);
    this.metaValid = true;
    if (this.metaType === 0 && help === 0 && unit === 0) {
      this.metaLen = 0;
      return;
    }
    const b = this.metaBytes;
    let p = 2;
    if (this.metaType !== 0) (b[p++] = 0x08), (p = putUint32(b, p, this.metaType));
    if (help !== 0) (b[p++] = 0x18), (p = putUint32(b, p, help));
    if (unit !== 0) (b[p++] = 0x20), (p = putUint32(b, p, unit));
    b[0] = 0x2a; // TimeSeries.metadata (5, LEN)
    b[1] = p - 2; // <= 12: one byte
    this.metaLen = p;
  }

  /** The encoded Request (symbols, then timeseries): a view valid until `reset()`. */
  finish(): Uint8Array {
    const o = this.out;
    o.reset();
    const list = this.symbols.list;
    for (let i = 0; i < list.length; i++) o.stringField(4, list[i]!);
    o.raw(this.ts.finish());
    return o.finish();
  }

  finishSnappy(): Buffer {
    return compressBlock(this.finish());
  }

  /** Starts a new request: a fresh symbol table (the registry and series memos are kept) and empty buffers. */
  reset(): void {
    this.symbols.nextRequest();
    this.ts.reset();
    this.out.reset();
    this.metaValid = false;
    this.stats = newEncoderStats();
  }
}
