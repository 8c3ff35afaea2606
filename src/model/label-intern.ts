/**
 * Shared, immutable label and attribute objects for long-lived series identities (scrape caches, point groups).
 *
 * A scrape of 100k series holds ~10 labels a series; most (name, value) pairs repeat across series and targets
 * (`method="GET"`, `job="node"`, the label names themselves). Interning makes every series point to one frozen-by-
 * contract `Label` / `KeyValue` per distinct pair, and the strings inside them are owned flat copies (parser strings
 * are slices of whole response bodies, which a cached slice would keep alive).
 *
 * Contract
 * - `label(name, value)` / `keyValue(key, value)` return a shared object equal to `{name, value}` / `{key, value}`.
 *   Callers MUST NOT mutate what they get (the model's attribute arrays built from these are shared read-only too).
 * - Bounded: each table holds at most `LIMIT` pairs; when full it starts over (objects already handed out stay valid;
 *   only sharing with later series is lost). No I/O. Lookups build no key string (a Map per name).
 */
import type { KeyValue, Label } from './types.ts';

const LIMIT = 1 << 20;

/** A flat copy of `s` that retains no parent string (sliced / concatenated strings keep their parents alive). */
export function ownString(s: string): string {
  if (s.length < 13) return s; // V8 copies short slices instead of slicing; short cons strings are cheap
  return Buffer.from(s, 'utf8').toString('utf8');
}

interface NameEntry<T> {
  /** The table's own copy of the name. */
  readonly name: string;
  readonly values: Map<string, T>;
}

class PairTable<T> {
  private byName = new Map<string, NameEntry<T>>();
  private size = 0;
  private readonly make: (name: string, value: string) => T;

  constructor(make: (name: string, value: string) => T) {
    this.make = make;
  }

  get(name: string, value: string): T {
    let n = this.byName.get(name);
    if (n === undefined) {
      if (this.size >= LIMIT) this.reset();
      const own = ownString(name);
      this.byName.set(own, (n = { name: own, values: new Map() }));
    }
    let v = n.values.get(value);
    if (v === undefined) {
      const own = ownString(value);
      v = this.make(n.name, own);
      if (this.size < LIMIT) {
        n.values.set(own, v);
        this.size++;
      }
    }
    return v;
  }

  private reset(): void {
    this.byName = new Map();
    this.size = 0;
  }
}

const labels = new PairTable<Label>((name, value) => ({ name, value }));
const keyValues = new PairTable<KeyValue>((key, value) => ({ key, value }));

/** The shared `{name, value}` label (do not mutate). */
export function internLabel(name: string, value: string): Label {
  return labels.get(name, value);
}

/** The shared `{key, value}` string attribute (do not mutate). */
export function internKeyValue(key: string, value: string): KeyValue {
  return keyValues.get(key, value);
}

/** `ls` with every label replaced by its shared object (a new array; `ls` is not changed). */
export function internLabels(ls: readonly Label[]): Label[] {
  const out: Label[] = new Array(ls.length);
  for (let i = 0; i < ls.length; i++) out[i] = labels.get(ls[i]!.name, ls[i]!.value);
  return out;
}
