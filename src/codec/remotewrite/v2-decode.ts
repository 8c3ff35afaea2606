/**
 * Remote-write 2.0 `io.prometheus.write.v2.Request` decoder (field numbers as in v2-encode.ts), for tests, the test
 * sink and tools.
 *
 * Contract: strict. Malformed bytes throw `ProtoDecodeError`; symbol-table violations (symbols[0] != "", a ref out of
 * range, odd `labels_refs` length) throw `RemoteWriteV2Error`. Refs are resolved: every series and exemplar carries
 * both its raw refs and its labels. Native histograms (field 3) are decoded into `nativeHistograms` (histogram.ts)
 * and counted in `histograms`. No I/O, no logging.
 */
import type { Label } from '../../model/types.ts';
import type { MessageDesc } from '../protobuf/index.ts';
import { ProtoReader, readPackedVarintNumbers } from '../protobuf/index.ts';
import type { DecodedHistogram } from './histogram.ts';
import { readHistogram } from './histogram.ts';
import type { DecodedSample } from './v1-decode.ts';
import { readSample } from './v1-decode.ts';

export class RemoteWriteV2Error extends Error {
  constructor(message: string) {
    super(`remote write 2.0: ${message}`);
    this.name = 'RemoteWriteV2Error';
  }
}

export interface DecodedExemplarV2 {
  labelsRefs: number[];
  labels: Label[];
  value: number;
  timestamp: number;
}

export interface DecodedMetadataV2 {
  type: number;
  helpRef: number;
  unitRef: number;
  help: string;
  unit: string;
}

export interface DecodedTimeSeriesV2 {
  labelsRefs: number[];
  labels: Label[];
  samples: DecodedSample[];
  exemplars: DecodedExemplarV2[];
  metadata: DecodedMetadataV2;
  createdTimestamp: number;
  /** Number of native histograms present (`nativeHistograms.length`). */
  histograms: number;
  nativeHistograms: DecodedHistogram[];
}

export interface DecodedRequestV2 {
  symbols: string[];
  timeseries: DecodedTimeSeriesV2[];
}

const REQUEST: MessageDesc = { name: 'Request', fields: { 4: 'symbols', 5: 'timeseries' } };
const TIME_SERIES: MessageDesc = {
  name: 'TimeSeries',
  fields: { 1: 'labels_refs', 2: 'samples', 3: 'histograms', 4: 'exemplars', 5: 'metadata', 6: 'created_timestamp' },
};
const EXEMPLAR: MessageDesc = { name: 'Exemplar', fields: { 1: 'labels_refs', 2: 'value', 3: 'timestamp' } };
const METADATA: MessageDesc = { name: 'Metadata', fields: { 1: 'type', 3: 'help_ref', 4: 'unit_ref' } };

function readExemplar(r: ProtoReader): DecodedExemplarV2 {
  r.enter(EXEMPLAR);
  const e: DecodedExemplarV2 = { labelsRefs: [], labels: [], value: 0, timestamp: 0 };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (r.field === 1) readPackedVarintNumbers(r, e.labelsRefs);
    else if (t === 0x11) e.value = r.double();
    else if (t === 0x18) e.timestamp = Number(r.int64());
    else r.skipUnknown();
  }
  r.leave();
  return e;
}

function readMetadata(r: ProtoReader): DecodedMetadataV2 {
  r.enter(METADATA);
  const m: DecodedMetadataV2 = { type: 0, helpRef: 0, unitRef: 0, help: '', unit: '' };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x08) m.type = r.uint32();
    else if (t === 0x18) m.helpRef = r.uint32();
    else if (t === 0x20) m.unitRef = r.uint32();
    else r.skipUnknown();
  }
  r.leave();
  return m;
}

function readTimeSeries(r: ProtoReader): DecodedTimeSeriesV2 {
  r.enter(TIME_SERIES);
  const ts: DecodedTimeSeriesV2 = {
    labelsRefs: [],
    labels: [],
    samples: [],
    exemplars: [],
    metadata: { type: 0, helpRef: 0, unitRef: 0, help: '', unit: '' },
    createdTimestamp: 0,
    histograms: 0,
    nativeHistograms: [],
  };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (r.field === 1) readPackedVarintNumbers(r, ts.labelsRefs);
    else if (t === 0x12) ts.samples.push(readSample(r));
    else if (t === 0x1a) {
      ts.histograms++;
      ts.nativeHistograms.push(readHistogram(r));
    } else if (t === 0x22) ts.exemplars.push(readExemplar(r));
    else if (t === 0x2a) ts.metadata = readMetadata(r);
    else if (t === 0x30) ts.createdTimestamp = Number(r.int64());
    else r.skipUnknown();
  }
  r.leave();
  return ts;
}

function resolve(refs: readonly number[], symbols: readonly string[], what: string): Label[] {
  if (refs.length % 2 !== 0) throw new RemoteWriteV2Error(`${what} labels_refs has odd length ${refs.length}`);
  const out: Label[] = [];
  for (let i = 0; i < refs.length; i += 2) out.push({ name: symbol(symbols, refs[i]!, what), value: symbol(symbols, refs[i + 1]!, what) });
  return out;
}

function symbol(symbols: readonly string[], ref: number, what: string): string {
  const s = symbols[ref];
  if (s === undefined) throw new RemoteWriteV2Error(`${what} ref ${ref} out of range (${symbols.length} symbols)`);
  return s;
}

/** Decodes an (uncompressed) v2 Request and resolves every ref against its symbol table. */
export function decodeWriteV2Request(bytes: Uint8Array): DecodedRequestV2 {
  const r = new ProtoReader(bytes, REQUEST);
  const out: DecodedRequestV2 = { symbols: [], timeseries: [] };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x22) out.symbols.push(r.string());
    else if (t === 0x2a) out.timeseries.push(readTimeSeries(r));
    else r.skipUnknown();
  }
  const sy = out.symbols;
  if (out.timeseries.length > 0 && sy[0] !== '') throw new RemoteWriteV2Error('symbols[0] must be ""');
  for (const ts of out.timeseries) {
    ts.labels = resolve(ts.labelsRefs, sy, 'timeseries');
    for (const e of ts.exemplars) e.labels = resolve(e.labelsRefs, sy, 'exemplar');
    ts.metadata.help = symbol(sy, ts.metadata.helpRef, 'metadata help');
    ts.metadata.unit = symbol(sy, ts.metadata.unitRef, 'metadata unit');
  }
  return out;
}
