/**
 * Turning an OTLP server's failure answer into a PipelineError the retry loop understands (OTLP spec rules):
 * - gRPC: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS are retryable;
 *   RESOURCE_EXHAUSTED only when the status carries a RetryInfo (its delay becomes the wait); everything else is
 *   permanent. RetryInfo on any retryable code sets the wait.
 * - HTTP: 429, 502, 503, 504 are retryable (Retry-After in seconds or as an HTTP-date sets the wait); every other
 *   non-2xx is permanent. The message is the google.rpc.Status message from the body (protobuf or JSON) when it
 *   decodes, else the start of the body text.
 * Codes: OB_OTLP_GRPC_<CODE>, OB_OTLP_HTTP_<status>, OB_OTLP_TRANSPORT (connection-level, retryable).
 */
import { PipelineError } from '../../component/errors.ts';
import { RETRY_INFO_TYPE_URL, decodeRetryInfo, decodeRpcStatus, decodeRpcStatusJson } from '../../codec/otlp/index.ts';

const GRPC_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
const GRPC_RETRYABLE = new Set([1, 4, 10, 11, 14, 15]);
const GRPC_RESOURCE_EXHAUSTED = 8;

export function grpcCodeName(code: number): string {
  return GRPC_NAMES[code] ?? `CODE_${code}`;
}

/** RetryInfo delay (seconds) from a `grpc-status-details-bin` / Status body; undefined when absent or undecodable. */
export function retryDelayFromStatus(statusBytes: Uint8Array | undefined): number | undefined {
  if (statusBytes === undefined || statusBytes.length === 0) return undefined;
  try {
    const st = decodeRpcStatus(statusBytes);
    const d = st.details.find((x) => x.typeUrl === RETRY_INFO_TYPE_URL);
    return d === undefined ? undefined : decodeRetryInfo(d.value);
  } catch {
    return undefined;
  }
}

export function classifyGrpc(code: number, message: string, statusBytes: Uint8Array | undefined, endpoint: string): PipelineError {
  const delay = retryDelayFromStatus(statusBytes);
  const name = grpcCodeName(code);
  const text = `export to ${endpoint} failed: gRPC ${name}: ${message}`;
  const retryable = GRPC_RETRYABLE.has(code) || (code === GRPC_RESOURCE_EXHAUSTED && delay !== undefined);
  if (!retryable) return PipelineError.permanent(`OB_OTLP_GRPC_${name}`, text);
  return new PipelineError('retryable', `OB_OTLP_GRPC_${name}`, text, delay === undefined ? {} : { retryAfterSeconds: delay });
}

/** Retry-After: delta-seconds or an HTTP-date; undefined when absent or unparsable. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, (t - now) / 1000);
}

export function statusMessage(body: Uint8Array, contentType: string | undefined): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (ct === 'application/x-protobuf' || ct === 'application/protobuf') {
      const m = decodeRpcStatus(body).message;
      if (m !== '') return m;
    } else if (ct === 'application/json') {
      const m = decodeRpcStatusJson(Buffer.from(body).toString('utf8')).message;
      if (m !== '') return m;
    }
  } catch {
    // not a Status: fall through to the text
  }
  const text = Buffer.from(body.subarray(0, 300)).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? '(empty body)' : text;
}

export function classifyHttp(status: number, retryAfter: string | undefined, body: Uint8Array, contentType: string | undefined, url: string): PipelineError {
  const text = `export to ${url} failed: HTTP ${status}: ${statusMessage(body, contentType)}`;
  const code = `OB_OTLP_HTTP_${status}`;
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    const delay = parseRetryAfter(retryAfter);
    return new PipelineError('retryable', code, text, delay === undefined ? {} : { retryAfterSeconds: delay });
  }
  return PipelineError.permanent(code, text);
}

export function transportError(err: unknown, where: string): PipelineError {
  const e = err as NodeJS.ErrnoException;
  return PipelineError.retryable('OB_OTLP_TRANSPORT', `export to ${where} failed: ${e.code ? `${e.code}: ` : ''}${e.message}`, err);
}
