/**
 * Remote-write 1.0 `prometheus.WriteRequest` decoder (field numbers as in v1-encode.ts), for tests, the test sink and
 * tools.
 *
 * Contract: strict (ProtoReader): malformed bytes throw `ProtoDecodeError`. Unknown fields are skipped; native
 * histograms (TimeSeries field 4) are decoded into `nativeHistograms` (histogram.ts) and counted in `histograms`.
 * `readSample` is shared with the RW 2.0 decoder (same Sample message). Timestamps are returned as numbers (exact up to
 * 2^53 ms). Sample values are object fields, so stale-marker NaN bits survive (never copy them into a number[]).
 * No I/O, no logging.
 */
import type { Label } from '../../model/types.ts';
import type { MessageDesc } from '../protobuf/index.ts';
import { ProtoReader } from '../protobuf/index.ts';
import type { DecodedHistogram } from './histogram.ts';
import { readHistogram } from './histogram.ts';

export interface DecodedSample {
  value: number;
  timestamp: number;
}

export interface DecodedExemplar {
  labels: Label[];
  value: number;
  timestamp: number;
}

export interface DecodedTimeSeriesV1 {
  labels: Label[];
  samples: DecodedSample[];
  exemplars: DecodedExemplar[];
  /** Number of native histograms present (`nativeHistograms.length`). */
  histograms: number;
  nativeHistograms: DecodedHistogram[];
}

export interface DecodedMetadataV1 {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface DecodedWriteRequestV1 {
  timeseries: DecodedTimeSeriesV1[];
  metadata: DecodedMetadataV1[];
}

const WRITE_REQUEST: MessageDesc = { name: 'WriteRequest', fields: { 1: 'timeseries', 3: 'metadata' } };
const TIME_SERIES: MessageDesc = {
  name: 'TimeSeries',
  fields: { 1: 'labels', 2: 'samples', 3: 'exemplars', 4: 'histograms' },
};
const LABEL: MessageDesc = { name: 'Label', fields: { 1: 'name', 2: 'value' } };
const SAMPLE: MessageDesc = { name: 'Sample', fields: { 1: 'value', 2: 'timestamp' } };
const EXEMPLAR: MessageDesc = { name: 'Exemplar', fields: { 1: 'labels', 2: 'value', 3: 'timestamp' } };
const METADATA: MessageDesc = {
  name: 'MetricMetadata',
  fields: { 1: 'type', 2: 'metric_family_name', 4: 'help', 5: 'unit' },
};

function readLabel(r: ProtoReader): Label {
  r.enter(LABEL);
  let name = '';
  let value = '';
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) name = r.string();
    else if (t === 0x12) value = r.string();
    else r.skipUnknown();
  }
  r.leave();
  return { name, value };
}

/** Reads one Sample message (positioned right after its tag); RW 1.0 and 2.0 share the message. */
export function readSample(r: ProtoReader): DecodedSample {
  r.enter(SAMPLE);
  const s: DecodedSample = { value: 0, timestamp: 0 };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x09) s.value = r.double();
    else if (t === 0x10) s.timestamp = Number(r.int64());
    else r.skipUnknown();
  }
  r.leave();
  return s;
}

function readExemplar(r: ProtoReader): DecodedExemplar {
  r.enter(EXEMPLAR);
  const e: DecodedExemplar = { labels: [], value: 0, timestamp: 0 };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) e.labels.push(readLabel(r));
    else if (t === 0x11) e.value = r.double();
    else if (t === 0x18) e.timestamp = Number(r.int64());
    else r.skipUnknown();
  }
  r.leave();
  return e;
}

function readTimeSeries(r: ProtoReader): DecodedTimeSeriesV1 {
  r.enter(TIME_SERIES);
  const ts: DecodedTimeSeriesV1 = { labels: [], samples: [], exemplars: [], histograms: 0, nativeHistograms: [] };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) ts.labels.push(readLabel(r));
    else if (t === 0x12) ts.samples.push(readSample(r));
    else if (t === 0x1a) ts.exemplars.push(readExemplar(r));
    else if (t === 0x22) {
      ts.histograms++;
      ts.nativeHistograms.push(readHistogram(r));
    } else r.skipUnknown();
  }
  r.leave();
  return ts;
}

function readMetadata(r: ProtoReader): DecodedMetadataV1 {
  r.enter(METADATA);
  const m: DecodedMetadataV1 = { type: 0, metricFamilyName: '', help: '', unit: '' };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x08) m.type = r.uint32();
    else if (t === 0x12) m.metricFamilyName = r.string();
    else if (t === 0x22) m.help = r.string();
    else if (t === 0x2a) m.unit = r.string();
    else r.skipUnknown();
  }
  r.leave();
  return m;
}

/** Decodes an (uncompressed) WriteRequest. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequestV1 {
  const r = new ProtoReader(bytes, WRITE_REQUEST);
  const out: DecodedWriteRequestV1 = { timeseries: [], metadata: [] };
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) out.timeseries.push(readTimeSeries(r));
    else if (t === 0x1a) out.metadata.push(readMetadata(r));
    else r.skipUnknown();
  }
  return out;
}
