/**
 * Translated samples -> remote-write requests, sharded by series: the PromSink the translator streams into.
 *
 * Contract
 * - Shard of a sample = FNV-1a hash of its point's base identity (metric name without `_bucket`/`_sum`/`_count`/
 *   `_created`, labels without `le`/`quantile`) modulo `shards`, decided at the first sample of each point and kept for
 *   the point's other samples. So a series always lands in the same shard (per-series order holds with one sender per
 *   shard), and a histogram or summary point travels in one request unless the size limit splits it.
 * - Each shard has its own encoder (one reusable buffer, per-series label bytes memoised on the SeriesRef). A shard
 *   whose request passes `maxBytes` (uncompressed) is cut at once; `finish()` cuts the rest. Requests come out snappy
 *   compressed with their accounting: points (counted in the request holding the point's first sample), samples,
 *   exemplars, uncompressed bytes.
 * - Batches and requests: `finish()` ends a batch and cuts every shard (one request per shard per batch). With a
 *   linger (the exporter's flush_interval), the exporter instead calls `endBatch()` after each batch, takes the
 *   requests the size limit cut (`takeRequests()`), and `cutAll()`s on its timer: a shard's request then collects
 *   the samples of many batches (a scrape each) and one HTTP request carries them. Per-shard order is kept either way.
 * - Native histograms (`histogram()`, from OTLP exponential histograms) are one sample and one point each, sharded
 *   by the same hash as the point's other forms would be.
 * - `write_relabel_configs` run per sample after translation (`__name__` included); results are memoised per
 *   SeriesRef (WeakMap), so scraped series pay once. Dropped samples are counted in `relabelDropped`; label sets the
 *   encoder refuses (empty/duplicate/unsorted/invalid names) in `rejected` by reason.
 */
import { RemoteWriteV1Encoder, RemoteWriteV2Encoder } from '../../codec/remotewrite/index.ts';
import type { Label } from '../../model/types.ts';
import type { CompiledRelabel } from '../../relabel/index.ts';
import { applyRelabel } from '../../relabel/index.ts';
import type { FamilyType, NativeHistogram, PromExemplar, PromSink, SeriesRef } from '../../translate/prometheus/index.ts';
import { SeriesKind } from '../../translate/prometheus/index.ts';
import { FNV_OFFSET, fnvMix, fnvString } from '../../util/fnv.ts';

export interface EncodedRequest {
  shard: number;
  version: 1 | 2;
  /** Snappy block-compressed protobuf. */
  body: Buffer;
  rawBytes: number;
  points: number;
  samples: number;
  exemplars: number;
}

export interface BatcherOptions {
  shards: number;
  version: 1 | 2;
  maxBytes: number;
  sendMetadata: boolean;
  relabel: CompiledRelabel | undefined;
}

type Encoder = RemoteWriteV1Encoder | RemoteWriteV2Encoder;

interface Shard {
  enc: Encoder;
  /** Generation of the last family forwarded to this encoder. */
  famGen: number;
  points: number;
}

/** Hash of the point identity behind a sample (see the contract). */
export function pointHash(ref: SeriesRef, kind: SeriesKind): number {
  const name = ref.name;
  let cut = 0;
  let skip = '';
  if (kind === SeriesKind.BUCKET) (skip = 'le'), (cut = name.endsWith('_bucket') ? 7 : 0);
  else if (kind === SeriesKind.QUANTILE) skip = 'quantile';
  else if (kind === SeriesKind.SUM) cut = name.endsWith('_sum') ? 4 : 0;
  else if (kind === SeriesKind.COUNT) cut = name.endsWith('_count') ? 6 : 0;
  else if (kind === SeriesKind.CREATED) cut = name.endsWith('_created') ? 8 : 0;
  let h = fnvString(FNV_OFFSET, name, name.length - cut);
  const ls = ref.labels;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (l.name === skip) continue;
    h = fnvMix(h, 0xff);
    h = fnvString(h, l.name);
    h = fnvMix(h, 0xfe);
    h = fnvString(h, l.value);
  }
  return h >>> 0;
}

/** Does a sample of `kind` following one of `prev` start a new point? (translator emission order) */
function startsPoint(kind: SeriesKind, prev: number): boolean {
  switch (kind) {
    case SeriesKind.BUCKET:
      return prev !== SeriesKind.BUCKET;
    case SeriesKind.QUANTILE:
      return prev !== SeriesKind.QUANTILE;
    case SeriesKind.SUM:
      return prev !== SeriesKind.BUCKET && prev !== SeriesKind.QUANTILE;
    case SeriesKind.COUNT:
      return prev !== SeriesKind.SUM && prev !== SeriesKind.BUCKET;
    case SeriesKind.CREATED:
      return false;
    default:
      return true;
  }
}

const NAME = '__name__';
const byName = (a: Label, b: Label): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class ShardedEncoder implements PromSink {
  version: 1 | 2;
  relabelDropped = 0;
  private readonly o: BatcherOptions;
  private shards: Shard[];
  private out: EncodedRequest[] = [];
  private famGen = 0;
  private famName = '';
  private famType: FamilyType = 'gauge';
  private famHelp = '';
  private famUnit = '';
  private prevKind = -1;
  /** Shard of the current point; -1 = not decided yet (its first samples were relabelled away). */
  private curShard = -1;
  /** The current point has been counted. */
  private counted = true;
  private readonly relabelMemo = new WeakMap<SeriesRef, SeriesRef | null>();
  private rejected: Record<string, number> = {};

  constructor(o: BatcherOptions) {
    this.o = o;
    this.version = o.version;
    this.shards = this.makeShards();
  }

  private makeShards(): Shard[] {
    const out: Shard[] = [];
    for (let i = 0; i < this.o.shards; i++) {
      const opts = { sendMetadata: this.version === 2 ? true : this.o.sendMetadata, initialCapacity: 256 * 1024 };
      out.push({ enc: this.version === 2 ? new RemoteWriteV2Encoder(opts) : new RemoteWriteV1Encoder(opts), famGen: -1, points: 0 });
    }
    return out;
  }

  /** Switches the protocol for the following batches (RW 2.0 -> 1.0 fallback). */
  setVersion(v: 1 | 2): void {
    if (v === this.version) return;
    this.cutAll(); // open requests keep their version; the caller takes them with takeRequests()
    this.version = v;
    this.shards = this.makeShards();
  }

  /** Label-set rejections by reason since the last call (and resets them). */
  takeRejected(): Record<string, number> {
    const out = this.rejected;
    this.rejected = {};
    return out;
  }

  family(name: string, type: FamilyType, help: string, unit: string): void {
    this.famGen++;
    this.famName = name;
    this.famType = type;
    this.famHelp = help;
    this.famUnit = unit;
  }

  series(ref: SeriesRef, value: number, ts: number, kind: SeriesKind, startMs: number, ex: readonly PromExemplar[] | undefined): void {
    if (startsPoint(kind, this.prevKind)) {
      this.curShard = -1;
      this.counted = kind === SeriesKind.TARGET_INFO; // target_info is not an OTLP data point
    }
    this.prevKind = kind;
    if (this.o.relabel !== undefined) {
      const r = this.relabel(ref);
      if (r === null) return void this.relabelDropped++;
      ref = r;
    }
    if (this.curShard < 0) {
      // FAST PATH: the hash of a point's first series is memoised on the SeriesRef (stable across batches for scraped
      // series and for the translator's content-cached OTLP points).
      let h = ref.shardHash;
      if (h === undefined || h < 0) ref.shardHash = h = pointHash(ref, kind);
      this.curShard = h % this.shards.length;
    }
    const sh = this.shards[this.curShard]!;
    const enc = sh.enc;
    if (sh.famGen !== this.famGen) {
      enc.family(this.famName, this.famType, this.famHelp, this.famUnit);
      sh.famGen = this.famGen;
    }
    enc.series(ref, value, ts, kind, startMs, ex);
    if (!this.counted) {
      sh.points++;
      this.counted = true;
    }
    if (enc.byteLength >= this.o.maxBytes) this.cut(this.curShard);
  }

  histogram(ref: SeriesRef, h: NativeHistogram, kind: SeriesKind, startMs: number, ex: readonly PromExemplar[] | undefined): void {
    this.prevKind = kind; // a native histogram is a whole point
    this.curShard = -1;
    this.counted = true;
    if (this.o.relabel !== undefined) {
      const r = this.relabel(ref);
      if (r === null) return void this.relabelDropped++;
      ref = r;
    }
    let hash = ref.shardHash;
    if (hash === undefined || hash < 0) ref.shardHash = hash = pointHash(ref, kind);
    const i = hash % this.shards.length;
    const sh = this.shards[i]!;
    const enc = sh.enc;
    if (sh.famGen !== this.famGen) {
      enc.family(this.famName, this.famType, this.famHelp, this.famUnit);
      sh.famGen = this.famGen;
    }
    enc.histogram(ref, h, kind, startMs, ex);
    sh.points++;
    if (enc.byteLength >= this.o.maxBytes) this.cut(i);
  }

  private relabel(ref: SeriesRef): SeriesRef | null {
    const memo = this.relabelMemo.get(ref);
    if (memo !== undefined) return memo;
    const full: Label[] = [...ref.labels, { name: NAME, value: ref.name }].sort(byName);
    const res = applyRelabel(this.o.relabel!, full);
    let out: SeriesRef | null;
    if (res === null) out = null;
    else if (res === full) out = ref;
    else {
      let name = '';
      const labels: Label[] = [];
      for (const l of res) if (l.name === NAME) name = l.value;
      else labels.push(l);
      out = { name, labels, rw1: undefined, rw2: undefined, text: undefined, legacyNames: undefined, shardHash: -1 };
    }
    this.relabelMemo.set(ref, out);
    return out;
  }

  private cut(i: number): void {
    const sh = this.shards[i]!;
    const st = sh.enc.stats;
    if (st.rejected > 0) for (const [k, n] of Object.entries(st.rejectedByReason)) if (n > 0) this.rejected[k] = (this.rejected[k] ?? 0) + n;
    if (st.samples === 0) {
      sh.enc.reset();
      return;
    }
    const raw = sh.enc.byteLength;
    this.out.push({ shard: i, version: this.version, body: sh.enc.finishSnappy(), rawBytes: raw, points: sh.points, samples: st.samples, exemplars: st.exemplars });
    sh.points = 0;
    sh.famGen = -1;
    sh.enc.reset();
  }

  /** Ends a batch: a point never spans two batches. Open requests stay open (see `cutAll`). */
  endBatch(): void {
    this.prevKind = -1;
    this.curShard = -1;
    this.counted = true;
  }

  /** Shards holding samples (or rejections) not cut into a request yet: the requests they will become. */
  openCount(): number {
    let n = 0;
    for (const sh of this.shards) if (sh.enc.stats.samples > 0 || sh.enc.stats.rejected > 0) n++;
    return n;
  }

  /** Cuts every shard's open request. */
  cutAll(): void {
    for (let i = 0; i < this.shards.length; i++) this.cut(i);
  }

  /** The requests cut since the last call (size limit, `cutAll`, version switch), in creation order. */
  takeRequests(): EncodedRequest[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Ends the batch and cuts every shard: the requests of this batch (and of any open before it), in order. */
  finish(): EncodedRequest[] {
    this.endBatch();
    this.cutAll();
    return this.takeRequests();
  }
}
