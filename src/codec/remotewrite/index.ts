/**
 * Prometheus remote-write codecs: RW 1.0 (`prometheus.WriteRequest`) and RW 2.0 (`io.prometheus.write.v2.Request`)
 * encoders that are PromSinks of the translation layer (src/translate/prometheus), their decoders, and snappy block
 * compression. No I/O, no logging: the exporter owns HTTP, batching limits and retries. Built on src/codec/protobuf.
 */
export type { RemoteWriteEncoderOptions, RemoteWriteEncoderStats, WriteRequestV1 } from './v1-encode.ts';
export { encodeWriteRequest, newEncoderStats, RemoteWriteV1Encoder } from './v1-encode.ts';
export type { DecodedExemplar, DecodedMetadataV1, DecodedSample, DecodedTimeSeriesV1, DecodedWriteRequestV1 } from './v1-decode.ts';
export { decodeWriteRequest } from './v1-decode.ts';
export type { DecodedHistogram } from './histogram.ts';
export { readHistogram, writeHistogramBody } from './histogram.ts';
export type { RemoteWriteV2EncoderOptions } from './v2-encode.ts';
export { RemoteWriteV2Encoder } from './v2-encode.ts';
export { SymbolRegistry } from './symbols.ts';
export type { DecodedExemplarV2, DecodedMetadataV2, DecodedRequestV2, DecodedTimeSeriesV2 } from './v2-decode.ts';
export { decodeWriteV2Request, RemoteWriteV2Error } from './v2-decode.ts';
export type { LabelProblem } from './series-labels.ts';
export { checkLabels, LABEL_PROBLEMS, metricTypeCode } from './series-labels.ts';
export { compressBlock, uncompressBlock } from './snappy.ts';
