/**
 * OTLP service envelopes: ExportMetricsServiceResponse, google.rpc.Status (+ RetryInfo / BadRequest details), in
 * binary protobuf and OTLP/JSON.
 *
 * Contract
 * - `encodeExportMetricsResponse(ps?)`: full success (no argument, or 0 rejected and no message) leaves
 *   `partial_success` UNSET (empty body), as the spec requires; otherwise it is written. Decoders return zeros/''
 *   for absent fields.
 * - `encodeRpcStatus({ code, message, details })`: the error body of OTLP/HTTP 4xx/5xx answers and the
 *   `grpc-status-details-bin` payload. Details are `google.protobuf.Any`; `retryInfoDetail(seconds)` and
 *   `badRequestDetail(violations)` build the standard ones (`encodeRetryInfo` is the RetryInfo `Any` as bytes).
 * - JSON encoders follow proto3 JSON: int64 as strings, Any as `{"@type": url, ...fields}` (Duration as "1.5s").
 *   A detail without a JSON form is written as `{"@type": url, "value": base64}`.
 * - Decoding errors are ProtoDecodeError / OtlpJsonError; nothing does I/O.
 */
import { ProtoReader, ProtoWriter } from '../protobuf/index.ts';
import { D_ANY, D_DURATION, D_EXPORT_RESPONSE, D_PARTIAL_SUCCESS, D_RETRY_INFO, D_STATUS } from './descs.ts';
import { decodeJsonText } from './json-decode.ts';
import { OtlpJsonError, rethrowWithin } from './errors.ts';
import { field, isObject, jsonBase64, jsonString, readInt32, readInt64, readString, fail } from './json-values.ts';

export interface ExportMetricsPartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

/** google.protobuf.Any; `json` (the message's proto3-JSON members, without "@type") is used by the JSON encoder. */
export interface AnyDetail {
  typeUrl: string;
  value: Uint8Array;
  json?: Record<string, unknown>;
}

export interface RpcStatus {
  /** google.rpc.Code (e.g. 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE). */
  code: number;
  message: string;
  details?: AnyDetail[];
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

// ---- ExportMetricsServiceResponse ----

/** The full-success response: empty (zero bytes, so sharing it is safe). */
const EMPTY_RESPONSE = new Uint8Array(0);

export function encodeExportMetricsResponse(ps?: ExportMetricsPartialSuccess): Uint8Array {
  if (ps === undefined || (ps.rejectedDataPoints === 0 && ps.errorMessage === '')) return EMPTY_RESPONSE;
  const w = new ProtoWriter(64);
  w.tag(1, 2);
  const at = w.fork();
  if (ps.rejectedDataPoints !== 0) w.int64Field(1, BigInt(ps.rejectedDataPoints));
  if (ps.errorMessage !== '') w.stringField(2, ps.errorMessage);
  w.ldelim(at);
  return w.finish();
}

export function decodeExportMetricsResponse(bytes: Uint8Array): ExportMetricsPartialSuccess {
  const out: ExportMetricsPartialSuccess = { rejectedDataPoints: 0, errorMessage: '' };
  const r = new ProtoReader(bytes, D_EXPORT_RESPONSE);
  while (r.pos < r.limit) {
    if (r.tag() !== 0x0a) {
      r.skipUnknown();
      continue;
    }
    r.enter(D_PARTIAL_SUCCESS);
    while (r.pos < r.limit) {
      const t = r.tag();
      if (t === 0x08) out.rejectedDataPoints = Number(r.int64());
      else if (t === 0x12) out.errorMessage = r.string();
      else r.skipUnknown();
    }
    r.leave();
  }
  return out;
}

export function encodeExportMetricsResponseJson(ps?: ExportMetricsPartialSuccess): string {
  if (ps === undefined || (ps.rejectedDataPoints === 0 && ps.errorMessage === '')) return '{}';
  const members: string[] = [];
  if (ps.rejectedDataPoints !== 0) members.push(`"rejectedDataPoints":"${ps.rejectedDataPoints}"`);
  if (ps.errorMessage !== '') members.push(`"errorMessage":${jsonString(ps.errorMessage)}`);
  return `{"partialSuccess":{${members.join(',')}}}`;
}

export function decodeExportMetricsResponseJson(text: string): ExportMetricsPartialSuccess {
  return decodeJsonText(text, decodeResponseDocument);
}

function decodeResponseDocument(doc: unknown): ExportMetricsPartialSuccess {
  if (!isObject(doc)) return fail('', 'object', doc);
  const ps = field(doc, 'partialSuccess', 'partial_success');
  if (ps === undefined || ps === null) return { rejectedDataPoints: 0, errorMessage: '' };
  if (!isObject(ps)) return fail('partialSuccess', 'object', ps);
  try {
    return {
      rejectedDataPoints: Number(readInt64(field(ps, 'rejectedDataPoints', 'rejected_data_points'), 'rejectedDataPoints')),
      errorMessage: readString(field(ps, 'errorMessage', 'error_message'), 'errorMessage'),
    };
  } catch (e) {
    return rethrowWithin(e, 'partialSuccess');
  }
}

// ---- google.rpc.Status and details ----

export function encodeRpcStatus(st: RpcStatus): Uint8Array {
  const w = new ProtoWriter(128);
  if (st.code !== 0) (w.tag(1, 0), w.int32(st.code));
  if (st.message !== '') w.stringField(2, st.message);
  for (const d of st.details ?? []) {
    w.tag(3, 2);
    const at = w.fork();
    if (d.typeUrl !== '') w.stringField(1, d.typeUrl);
    if (d.value.length !== 0) w.bytesField(2, d.value);
    w.ldelim(at);
  }
  return w.finish();
}

export function decodeRpcStatus(bytes: Uint8Array): Required<RpcStatus> {
  const out: Required<RpcStatus> = { code: 0, message: '', details: [] };
  const r = new ProtoReader(bytes, D_STATUS);
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x08) out.code = r.int32();
    else if (t === 0x12) out.message = r.string();
    else if (t === 0x1a) {
      r.enter(D_ANY);
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array(0);
      while (r.pos < r.limit) {
        const u = r.tag();
        if (u === 0x0a) typeUrl = r.string();
        else if (u === 0x12) value = r.bytes();
        else r.skipUnknown();
      }
      r.leave();
      out.details.push({ typeUrl, value });
    } else r.skipUnknown();
  }
  return out;
}

/** proto3 JSON Duration text: "5s", "1.500s". */
function durationJson(seconds: number, nanos: number): string {
  if (nanos === 0) return `${seconds}s`;
  const frac = String(nanos).padStart(9, '0').replace(/(000)+$/, '');
  return `${seconds}.${frac}s`;
}

/** RetryInfo detail (`retry_delay` = delaySeconds, fractions kept to the nanosecond). */
export function retryInfoDetail(delaySeconds: number): AnyDetail {
  if (!(delaySeconds >= 0) || !Number.isFinite(delaySeconds)) throw new RangeError(`bad retry delay ${delaySeconds}`);
  const seconds = Math.floor(delaySeconds);
  const nanos = Math.round((delaySeconds - seconds) * 1e9);
  const w = new ProtoWriter(32);
  w.tag(1, 2);
  const at = w.fork();
  if (seconds !== 0) (w.tag(1, 0), w.varint(seconds));
  if (nanos !== 0) (w.tag(2, 0), w.int32(nanos));
  w.ldelim(at);
  return { typeUrl: RETRY_INFO_TYPE_URL, value: w.finish(), json: { retryDelay: durationJson(seconds, nanos) } };
}

/** The RetryInfo `Any` message as bytes (for gRPC/HTTP throttling answers' Status.details). */
export function encodeRetryInfo(delaySeconds: number): Uint8Array {
  const d = retryInfoDetail(delaySeconds);
  const w = new ProtoWriter(64);
  w.stringField(1, d.typeUrl);
  w.bytesField(2, d.value);
  return w.finish();
}

/** RetryInfo.retry_delay in seconds from a RetryInfo message body (an Any's value). */
export function decodeRetryInfo(value: Uint8Array): number {
  const r = new ProtoReader(value, D_RETRY_INFO);
  let delay = 0;
  while (r.pos < r.limit) {
    if (r.tag() !== 0x0a) {
      r.skipUnknown();
      continue;
    }
    r.enter(D_DURATION);
    let seconds = 0;
    let nanos = 0;
    while (r.pos < r.limit) {
      const t = r.tag();
      if (t === 0x08) seconds = Number(r.int64());
      else if (t === 0x10) nanos = r.int32();
      else r.skipUnknown();
    }
    r.leave();
    delay = seconds + nanos / 1e9;
  }
  return delay;
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** google.rpc.BadRequest detail (what OTLP/HTTP 400 answers SHOULD carry). */
export function badRequestDetail(violations: FieldViolation[]): AnyDetail {
  const w = new ProtoWriter(128);
  for (const v of violations) {
    w.tag(1, 2);
    const at = w.fork();
    if (v.field !== '') w.stringField(1, v.field);
    if (v.description !== '') w.stringField(2, v.description);
    w.ldelim(at);
  }
  return {
    typeUrl: BAD_REQUEST_TYPE_URL,
    value: w.finish(),
    json: { fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })) },
  };
}

export function encodeRpcStatusJson(st: RpcStatus): string {
  const members: string[] = [];
  if (st.code !== 0) members.push(`"code":${st.code}`);
  if (st.message !== '') members.push(`"message":${jsonString(st.message)}`);
  const details = st.details ?? [];
  if (details.length > 0) {
    const ds = details.map((d) =>
      d.json !== undefined
        ? JSON.stringify({ '@type': d.typeUrl, ...d.json })
        : `{"@type":${jsonString(d.typeUrl)},"value":${jsonBase64(d.value)}}`,
    );
    members.push(`"details":[${ds.join(',')}]`);
  }
  return `{${members.join(',')}}`;
}

/** Decodes a JSON Status; details keep their JSON members (value is empty unless given as base64 "value"). */
export function decodeRpcStatusJson(text: string): Required<RpcStatus> {
  return decodeJsonText(text, decodeStatusDocument);
}

function decodeStatusDocument(doc: unknown): Required<RpcStatus> {
  if (!isObject(doc)) return fail('', 'object', doc);
  const details: AnyDetail[] = [];
  const raw = doc['details'];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) fail('details', 'array', raw);
  for (const [i, d] of (Array.isArray(raw) ? raw : []).entries()) {
    if (!isObject(d)) throw new OtlpJsonError(`details[${i}]`, 'expected object');
    const { '@type': t, ...rest } = d;
    details.push({ typeUrl: typeof t === 'string' ? t : '', value: new Uint8Array(0), json: rest });
  }
  return { code: readInt32(doc['code'], 'code', false), message: readString(doc['message'], 'message'), details };
}
