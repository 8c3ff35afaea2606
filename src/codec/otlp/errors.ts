/**
 * OTLP/JSON decoding error.
 *
 * Contract: `path` is the JSON path of the bad value in lowerCamelCase field names with array indexes
 * (`resourceMetrics[0].scopeMetrics[1].metrics[3].sum.dataPoints[0].asInt`, '' for the document itself); `reason`
 * says what was expected and what was found. The message is `${path}: ${reason}`. Binary decoding errors are
 * `ProtoDecodeError` (re-exported here for convenience).
 */
export { ProtoDecodeError } from '../protobuf/index.ts';

export class OtlpJsonError extends Error {
  path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.name = 'OtlpJsonError';
    this.path = path;
    this.reason = reason;
  }

  /** Prepends a path segment (`key` or `[i]`) while the error propagates out of nested decoders. */
  within(segment: string): OtlpJsonError {
    const sep = this.path === '' || this.path.startsWith('[') ? '' : '.';
    this.path = segment + sep + this.path;
    this.message = `${this.path}: ${this.reason}`;
    return this;
  }
}

/** Rethrows `e` with `segment` prepended when it is an OtlpJsonError (anything else is rethrown as is). */
export function rethrowWithin(e: unknown, segment: string): never {
  if (e instanceof OtlpJsonError) throw e.within(segment);
  throw e;
}
