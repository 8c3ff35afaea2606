/**
 * OTLP metrics codecs: binary protobuf and OTLP/JSON for ExportMetricsServiceRequest (= MetricsData), the export
 * response, and google.rpc.Status error bodies. No I/O, no logging; see each file's header for its contract.
 */
export { decodeExportMetricsRequest } from './proto-decode.ts';
export { decodeExportMetricsRequestLazy, scanExportMetricsRequest } from './proto-scan.ts';
export type { ScanResult } from './proto-scan.ts';
export { encodeExportMetricsRequest, writeExportMetricsRequest } from './proto-encode.ts';
export { decodeExportMetricsRequestJson } from './json-decode.ts';
export { encodeExportMetricsRequestJson } from './json-encode.ts';
export {
  BAD_REQUEST_TYPE_URL,
  RETRY_INFO_TYPE_URL,
  badRequestDetail,
  decodeExportMetricsResponse,
  decodeExportMetricsResponseJson,
  decodeRetryInfo,
  decodeRpcStatus,
  decodeRpcStatusJson,
  encodeExportMetricsResponse,
  encodeExportMetricsResponseJson,
  encodeRetryInfo,
  encodeRpcStatus,
  encodeRpcStatusJson,
  retryInfoDetail,
} from './service.ts';
export type { AnyDetail, ExportMetricsPartialSuccess, FieldViolation, RpcStatus } from './service.ts';
export { OtlpJsonError, ProtoDecodeError } from './errors.ts';
export { MAX_ANY_VALUE_DEPTH } from './descs.ts';
