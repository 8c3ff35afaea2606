/**
 * RW 2.0 -> RW 1.0 re-encoding of a request already built (queued in memory or in the WAL) when the receiver turns
 * out to speak only 1.0 (415, or a 2xx without the `*-Written` headers).
 * Contract: same series (labels resolved from the symbol table), samples, native histograms and exemplars, in the
 * same order; metadata
 * and created timestamps have no RW 1.0 place per series and are left out. Snappy in, snappy out. A slow path, taken
 * only for requests built before the fallback was detected.
 */
import { compressBlock, decodeWriteV2Request, encodeWriteRequest, uncompressBlock } from '../../codec/remotewrite/index.ts';
import type { WriteRequestV1 } from '../../codec/remotewrite/index.ts';

export function v2ToV1(snappyBody: Uint8Array): Buffer {
  const req = decodeWriteV2Request(uncompressBlock(snappyBody));
  const out: WriteRequestV1 = {
    timeseries: req.timeseries.map((ts) => ({
      labels: ts.labels,
      samples: ts.samples,
      exemplars: ts.exemplars.map((e) => ({ labels: e.labels, value: e.value, timestamp: e.timestamp })),
      nativeHistograms: ts.nativeHistograms,
    })),
  };
  return compressBlock(encodeWriteRequest(out));
}
