/**
 * Small label-set helpers shared by discovery, target building and the scrape path. A label set is a `Label[]`
 * sorted by name with unique names (the relabel engine's contract); `LabelMap` is the mutable builder form.
 * Also Go's `net.SplitHostPort` and `url.QueryEscape`, which Prometheus's target code depends on.
 */
import type { Label } from '../../model/types.ts';

export type LabelMap = Map<string, string>;

export const byName = (a: Label, b: Label): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Sorted label set from a builder, without empty values (Prometheus `labels.Builder.Labels()`). */
export function toLabels(m: LabelMap): Label[] {
  const out: Label[] = [];
  for (const [name, value] of m) if (value !== '') out.push({ name, value });
  return out.sort(byName);
}

export function toMap(labels: readonly Label[]): LabelMap {
  const m: LabelMap = new Map();
  for (const l of labels) m.set(l.name, l.value);
  return m;
}

export function toRecord(labels: readonly Label[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of labels) o[l.name] = l.value;
  return o;
}

export function getLabel(labels: readonly Label[], name: string): string {
  for (let i = 0; i < labels.length; i++) if (labels[i]!.name === name) return labels[i]!.value;
  return '';
}

/** Identity key of a label set (names and values cannot contain \xff in valid UTF-8 text). */
export function labelsKey(labels: readonly Label[]): string {
  let k = '';
  for (const l of labels) k += l.name + '\xfe' + l.value + '\xff';
  return k;
}

/** Go `net.SplitHostPort`: [host, port] or an error message. */
export function splitHostPort(hostport: string): [string, string] | string {
  const missingPort = 'missing port in address';
  const tooMany = 'too many colons in address';
  const i = hostport.lastIndexOf(':');
  if (i < 0) return missingPort;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return "missing ']' in address";
    if (end + 1 === hostport.length) return missingPort;
    if (end + 1 !== i) return hostport[end + 1] === ':' ? tooMany : missingPort;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return tooMany;
  }
  if (hostport.slice(j).includes('[')) return "unexpected '[' in address";
  if (hostport.slice(k).includes(']')) return "unexpected ']' in address";
  return [host, hostport.slice(i + 1)];
}

/** Go `net.JoinHostPort`. */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go `url.QueryEscape`: unreserved kept, space as '+', everything else %XX (upper case). */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Go `url.URL.EscapedPath` for ordinary paths: keeps the characters Go keeps, escapes the rest. */
export function goEscapePath(p: string): string {
  return p.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g, (c) =>
    Array.from(new TextEncoder().encode(c), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''),
  );
}

/** Go `url.Values.Encode()`: keys sorted, each value `k=v`, joined with '&'. */
export function encodeQuery(params: Record<string, string[]>): string {
  const keys = Object.keys(params).sort();
  const parts: string[] = [];
  for (const k of keys) for (const v of params[k]!) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  return parts.join('&');
}
