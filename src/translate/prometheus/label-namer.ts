/**
 * OTLP attribute key -> Prometheus label name.
 *
 * Contract: a faithful port of prometheus/otlptranslator `LabelNamer.Build` (label_namer.go + strconv.go, as pinned
 * by test/fixtures/otel/otlptranslator_label_namer_cases.json):
 * - `utf8Allowed`: the key is kept; empty or all-`_` keys are errors.
 * - otherwise every code point outside [a-zA-Z0-9] becomes `_`; runs of such replacements (and `_` runs) collapse to one
 *   `_` unless `preserveMultipleUnderscores`; a reserved `__x__` name keeps its `__` prefix/suffix while its inside is
 *   collapsed; a leading digit gets `key_`; with `underscoreLabelSanitization` a leading single `_` gets `key`;
 *   an all-`_` result is an error.
 * `LabelNamer` memoises results per key (bounded), so hot paths pay one Map lookup per attribute key.
 */

export interface LabelNamerOptions {
  readonly utf8Allowed?: boolean | undefined;
  /** Prepend `key` to names starting with a single `_` (deprecated upstream, off by default). */
  readonly underscoreLabelSanitization?: boolean | undefined;
  /** Keep `__` runs instead of collapsing them (violates the OTel spec; legacy compatibility). */
  readonly preserveMultipleUnderscores?: boolean | undefined;
}

/** Thrown-free result: `error` is set (and `name` is '') when the key cannot become a label name. */
export interface LabelNameResult {
  readonly name: string;
  readonly error?: string | undefined;
}

function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

function underscoresOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 95) return false;
  return true;
}

/** sanitizeLabelName from strconv.go. */
export function sanitizeLabelName(name: string, preserveMultipleUnderscores: boolean): string {
  // Fast path: already a valid ASCII label name without `__` runs needs no rewrite.
  let clean = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isLabelChar(c)) continue;
    if (c === 95 && (preserveMultipleUnderscores || i === 0 || name.charCodeAt(i - 1) !== 95)) continue;
    clean = false;
    break;
  }
  if (clean) return name;
  if (preserveMultipleUnderscores) {
    let out = '';
    for (const ch of name) out += isLabelChar(ch.codePointAt(0)!) ? ch : '_';
    return out;
  }
  let inner = name;
  const reserved = name.length >= 4 && name.startsWith('__') && name.endsWith('__');
  if (reserved) inner = name.slice(2, -2);
  let out = '';
  let prevUnderscore = false;
  for (const ch of inner) {
    if (isLabelChar(ch.codePointAt(0)!)) {
      out += ch;
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return reserved ? '__' + out + '__' : out;
}

/** LabelNamer.Build without memoisation. */
export function buildLabelName(label: string, o: LabelNamerOptions): LabelNameResult {
  if (label.length === 0) return { name: '', error: 'label name is empty' };
  if (o.utf8Allowed) {
    if (underscoresOnly(label)) return { name: '', error: `label name ${JSON.stringify(label)} contains only underscores` };
    return { name: label };
  }
  let n = sanitizeLabelName(label, o.preserveMultipleUnderscores === true);
  const c0 = n.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) n = 'key_' + n;
  else if (o.underscoreLabelSanitization && c0 === 95 && n.charCodeAt(1) !== 95) n = 'key' + n;
  if (underscoresOnly(n)) {
    return {
      name: '',
      error: `normalization for label name ${JSON.stringify(label)} resulted in invalid name ${JSON.stringify(n)}`,
    };
  }
  return { name: n };
}

const MEMO_LIMIT = 65536;

/** Memoising LabelNamer bound to one configuration. */
export class LabelNamer {
  readonly options: LabelNamerOptions;
  private readonly memo = new Map<string, LabelNameResult>();

  constructor(options: LabelNamerOptions = {}) {
    this.options = options;
  }

  build(label: string): LabelNameResult {
    let r = this.memo.get(label);
    if (r === undefined) {
      r = buildLabelName(label, this.options);
      // Bounded: a flood of distinct keys (attribute-key cardinality bug upstream) must not grow memory forever.
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(label, r);
    }
    return r;
  }
}
