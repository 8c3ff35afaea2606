/** Attribute helpers: lookup, set, and the OTLP AnyValue -> string rules used by the Prometheus paths. */
import type { AnyValue, Attributes, KeyValue } from './types.ts';

export function getAttribute(attrs: Attributes, key: string): AnyValue | undefined {
  for (let i = 0; i < attrs.length; i++) if (attrs[i]!.key === key) return attrs[i]!.value;
  return undefined;
}

export function setAttribute(attrs: Attributes, key: string, value: AnyValue): void {
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i]!.key === key) {
      attrs[i]!.value = value;
      return;
    }
  }
  attrs.push({ key, value });
}

export function deleteAttribute(attrs: Attributes, key: string): boolean {
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i]!.key === key) {
      attrs.splice(i, 1);
      return true;
    }
  }
  return false;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * AnyValue as a string, per the OTel spec's non-string attribute rules: strings as is, bool/int/double via their
 * usual text, bytes as base64, arrays and kvlists as JSON (nested values converted the same way).
 */
export function anyValueToString(v: AnyValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return formatDouble(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return JSON.stringify(toJsonish(v));
}

function toJsonish(v: AnyValue): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonish);
  const o: Record<string, unknown> = {};
  for (const kv of v.kvlist) o[kv.key] = toJsonish(kv.value);
  return o;
}

/** Go strconv.FormatFloat(v, 'g', -1, 64)-like text used by Prometheus for label values. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function kv(key: string, value: AnyValue): KeyValue {
  return { key, value };
}

export { hex as bytesToHex };
