/**
 * The mutable label set one relabel run works on, plus the per-value helpers of the actions (Go case mapping,
 * hashmod).
 *
 * Contract
 * - `LabelWork.reset(input)` starts on the caller's sorted array without copying. The first change copies it
 *   (copy-on-write), so a run that changes nothing allocates nothing and returns the input itself.
 * - `set(name, "")` deletes (Prometheus `labels.Builder.Set`). Sorting by name is kept on every change; changed
 *   labels are new objects (Label fields are readonly), unchanged ones are reused.
 * - `goLower`/`goUpper` are Go `strings.ToLower`/`ToUpper`: one rune maps to one rune (JS would turn "ß" into "SS").
 * - `hashmod(value, modulus)` = md5(value), last 8 bytes as big-endian uint64, mod modulus, as a decimal string.
 */
import { hash } from 'node:crypto';
import type { Label } from '../model/types.ts';

const EMPTY: Label[] = [];

export class LabelWork {
  labels: Label[] = EMPTY;
  /** `labels` is our private copy (may be mutated in place). */
  owned = false;
  /** Set by each action: did the rule's condition match (for explain). */
  matched = false;
  /** Scratch for labelmap (names/values collected before they are set). */
  readonly tmpNames: string[] = [];
  readonly tmpValues: string[] = [];

  reset(input: readonly Label[]): void {
    this.labels = input as Label[];
    this.owned = false;
  }

  /** Releases the reference to the caller's labels and returns the result. */
  finish(): Label[] {
    const out = this.labels;
    this.labels = EMPTY;
    this.owned = false;
    return out;
  }

  get(name: string): string {
    const a = this.labels;
    for (let i = 0; i < a.length; i++) {
      const l = a[i]!;
      if (l.name === name) return l.value;
    }
    return '';
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    const a = this.labels;
    const n = a.length;
    let i = 0;
    while (i < n && a[i]!.name < name) i++;
    if (i < n && a[i]!.name === name) {
      // Fast path: same value already there (e.g. labelmap onto itself, idempotent replace): no allocation.
      if (a[i]!.value === value) return;
      const label: Label = { name, value };
      if (this.owned) a[i] = label;
      else {
        const out = a.slice();
        out[i] = label;
        this.labels = out;
        this.owned = true;
      }
      return;
    }
    const label: Label = { name, value };
    if (this.owned) {
      // Insert in place: shift the tail right by one (cheaper than splice for ~10-30 labels).
      a.push(label);
      for (let j = n; j > i; j--) a[j] = a[j - 1]!;
      a[i] = label;
      return;
    }
    // First change: build the copy with the new label already in place (one pass, packed array).
    const out: Label[] = [];
    for (let j = 0; j < i; j++) out.push(a[j]!);
    out.push(label);
    for (let j = i; j < n; j++) out.push(a[j]!);
    this.labels = out;
    this.owned = true;
  }

  del(name: string): void {
    const a = this.labels;
    const n = a.length;
    let i = 0;
    while (i < n && a[i]!.name !== name) i++;
    if (i === n) return;
    if (this.owned) {
      for (let j = i; j < n - 1; j++) a[j] = a[j + 1]!;
      a.pop();
      return;
    }
    const out: Label[] = [];
    for (let j = 0; j < n; j++) if (j !== i) out.push(a[j]!);
    this.labels = out;
    this.owned = true;
  }

  /** Replaces the whole set with a fresh array built by the caller (labeldrop/labelkeep). */
  replaceAll(fresh: Label[]): void {
    this.labels = fresh;
    this.owned = true;
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

function mapRunes(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    if (m.length === ch.length || [...m].length === 1) out += m;
    else if (!upper && ch === '\u0130') out += 'i'; // Go: unicode.ToLower('İ') = 'i'
    else out += ch; // no single-rune mapping in Go: unchanged
  }
  return out;
}

export function goLower(s: string): string {
  // Fast path: ASCII (nearly every label value).
  return NON_ASCII.test(s) ? mapRunes(s, false) : s.toLowerCase();
}

export function goUpper(s: string): string {
  return NON_ASCII.test(s) ? mapRunes(s, true) : s.toUpperCase();
}

const TWO32 = 4294967296;

export function hashmod(value: string, modulus: number): string {
  const h = hash('md5', value, 'buffer');
  const hi = h.readUInt32BE(8);
  const lo = h.readUInt32BE(12);
  if (modulus <= 2097152) {
    // Fast path for every realistic modulus (< 2^21): exact in doubles, (hi*2^32 + lo) mod m without BigInt.
    return String((((hi % modulus) * (TWO32 % modulus)) % modulus + lo) % modulus);
  }
  return ((BigInt(hi) * 4294967296n + BigInt(lo)) % BigInt(modulus)).toString();
}
