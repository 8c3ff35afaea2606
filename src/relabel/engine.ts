/**
 * The relabel engine: one implementation for Prometheus target/metric relabeling, the `relabel` processor and
 * remote-write `write_relabel_configs`.
 *
 * Contract
 * - `compileRelabel(configs, opts)` validates (unless `validate: false`) and compiles every regex, template and `if`
 *   selector once; it throws an Error naming the rule index and field on a bad rule.
 * - `applyRelabel(compiled, labels)`: `labels` sorted by name with no empty values (`__name__` is a normal label).
 *   Returns the relabeled set (sorted, no empty values) or null when a rule dropped the series. When no rule changed
 *   anything the input array itself is returned (no allocation); otherwise a fresh array the caller owns.
 * - Semantics follow Prometheus `model/relabel` (see config.ts for the options):
 *   'v2.42': regex `^(?:re)$`; replace deletes the LITERAL target_label when the expanded target is invalid or the
 *   expanded replacement is empty. 'head': regex `^(?s:re)$`; replace ignores an invalid expanded target and
 *   deletes the EXPANDED target when the replacement is empty; empty source + default regex + no `$` sets
 *   target_label=replacement directly. Name validity: 'legacy' by default for v2.42, 'utf8' for head.
 * - `if` (vmagent): a rule whose selector does not match the current labels is skipped, except `keep`, which drops.
 * - labelmap/labeldrop/labelkeep iterate the label set as it was when the rule started, in name order.
 * - `explainRelabel` runs the same code rule by rule and records each step (dry-run endpoint).
 * Not reentrant per CompiledRelabel (it reuses one scratch state); JS is single-threaded so this only matters if a
 * caller relabels from inside a relabel call, which nothing does.
 */
import type { Label } from '../model/types.ts';
import { parseSelector, selectorMatches, type Selector } from '../selector/selector.ts';
import {
  isValidLabelName,
  relabelConfigIssues,
  withDefaults,
  type NameValidation,
  type RelabelAction,
  type RelabelConfig,
  type RelabelConfigInput,
  type RelabelSemantics,
} from './config.ts';
import { compileAnchored, compileTemplate, type AnchoredRegex, type Template } from './regex.ts';
import { goLower, goUpper, hashmod, LabelWork } from './work.ts';

export interface RelabelOptions {
  /** Default 'v2.42' (the Prometheus used as reference); 'head' = Prometheus 3.x behaviour. */
  semantics?: RelabelSemantics;
  /** Label-name validity for config checks and for replace's expanded target. Default: by semantics. */
  nameValidation?: NameValidation;
  /** Run Prometheus config validation (default true). Upstream's Process() tests run unvalidated configs. */
  validate?: boolean;
}

const A_REPLACE = 0;
const A_KEEP = 1;
const A_DROP = 2;
const A_KEEPEQUAL = 3;
const A_DROPEQUAL = 4;
const A_HASHMOD = 5;
const A_LABELMAP = 6;
const A_LABELKEEP = 7;
const A_LABELDROP = 8;
const A_LOWERCASE = 9;
const A_UPPERCASE = 10;
const CODES: Record<RelabelAction, number> = {
  replace: A_REPLACE,
  keep: A_KEEP,
  drop: A_DROP,
  keepequal: A_KEEPEQUAL,
  dropequal: A_DROPEQUAL,
  hashmod: A_HASHMOD,
  labelmap: A_LABELMAP,
  labelkeep: A_LABELKEEP,
  labeldrop: A_LABELDROP,
  lowercase: A_LOWERCASE,
  uppercase: A_UPPERCASE,
};
const HASH_CACHE_MAX = 4096;

export class CompiledRule {
  readonly index: number;
  readonly config: RelabelConfig;
  readonly action: RelabelAction;
  readonly code: number;
  readonly sources: readonly string[];
  readonly separator: string;
  readonly re: AnchoredRegex;
  readonly regexIsDefault: boolean;
  readonly target: string;
  readonly targetTpl: Template;
  readonly replacement: string;
  readonly replTpl: Template;
  readonly modulus: number;
  readonly sel: Selector | null;
  readonly head: boolean;
  readonly validName: (name: string) => boolean;
  /** Validity of a literal target_label, computed once (null when target_label has `$` references). */
  readonly constTargetValid: boolean | null;
  /** hashmod: value -> result, bounded (the same address/instance is hashed over and over). */
  readonly hashCache = new Map<string, string>();

  constructor(index: number, config: RelabelConfig, head: boolean, scheme: NameValidation) {
    this.index = index;
    this.config = config;
    this.action = config.action;
    this.code = CODES[config.action];
    this.sources = config.source_labels;
    this.separator = config.separator;
    this.re = compileAnchored(config.regex, head);
    this.regexIsDefault = config.regex === '(.*)';
    this.target = config.target_label;
    this.targetTpl = compileTemplate(config.target_label, this.re.groupNames);
    this.replacement = config.replacement;
    this.replTpl = compileTemplate(config.replacement, this.re.groupNames);
    this.modulus = config.modulus;
    this.sel = config.if === undefined ? null : parseSelector(config.if, { semantics: head ? 'head' : 'v2.42' });
    this.head = head;
    this.validName = scheme === 'legacy' ? (n) => isValidLabelName(n, 'legacy') : (n) => isValidLabelName(n, 'utf8');
    this.constTargetValid = this.targetTpl.constant === null ? null : this.validName(this.target);
  }
}

export class CompiledRelabel {
  readonly rules: readonly CompiledRule[];
  readonly semantics: RelabelSemantics;
  readonly nameValidation: NameValidation;
  /** Scratch state reused by every call. */
  readonly work = new LabelWork();

  constructor(rules: readonly CompiledRule[], semantics: RelabelSemantics, nameValidation: NameValidation) {
    this.rules = rules;
    this.semantics = semantics;
    this.nameValidation = nameValidation;
  }
}

export function compileRelabel(configs: readonly RelabelConfigInput[], opts: RelabelOptions = {}): CompiledRelabel {
  const semantics = opts.semantics ?? 'v2.42';
  const scheme = opts.nameValidation ?? (semantics === 'head' ? 'utf8' : 'legacy');
  const rules = configs.map((raw, i) => {
    const where = `relabel rule ${i}${raw.action ? ` (${raw.action})` : ''}`;
    if (opts.validate !== false) {
      const issues = relabelConfigIssues(raw, scheme);
      if (issues.length > 0) {
        throw new Error(`${where}: ${issues.map((x) => (x.path ? `${x.path}: ` : '') + x.message).join('; ')}`);
      }
    }
    try {
      return new CompiledRule(i, withDefaults(raw), semantics === 'head', scheme);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  });
  return new CompiledRelabel(rules, semantics, scheme);
}

/** The joined source values. Fast path: one source label (the common case) is returned without joining. */
function sourceValue(r: CompiledRule, w: LabelWork): string {
  const src = r.sources;
  const n = src.length;
  if (n === 1) return w.get(src[0]!);
  if (n === 0) return '';
  let v = w.get(src[0]!);
  for (let i = 1; i < n; i++) v += r.separator + w.get(src[i]!);
  return v;
}

function replace(r: CompiledRule, w: LabelWork): void {
  const val = sourceValue(r, w);
  // HEAD fast path: add or delete a fixed label pair (`target_label: x`, `replacement: y`, no source value).
  if (r.head && val === '' && r.regexIsDefault && r.targetTpl.constant !== null && r.replTpl.constant !== null) {
    w.matched = true;
    w.set(r.target, r.replacement);
    return;
  }
  const g = r.re.exec(val);
  if (g === null) return;
  w.matched = true;
  // Fast path: literal target_label (no `$`): no expansion, validity known since compile time.
  const target = r.targetTpl.constant ?? r.targetTpl.expand(g);
  if (!(r.constTargetValid ?? r.validName(target))) {
    if (!r.head) w.del(r.target);
    return;
  }
  const res = r.replTpl.expand(g);
  if (res === '') {
    w.del(r.head ? target : r.target);
    return;
  }
  w.set(target, res);
}

function labelmap(r: CompiledRule, w: LabelWork): void {
  const snap = w.labels;
  const names = w.tmpNames;
  const values = w.tmpValues;
  let k = 0;
  // Collect first: sets below must not be seen by this loop (Go iterates a snapshot).
  for (let i = 0; i < snap.length; i++) {
    const l = snap[i]!;
    const g = r.re.exec(l.name);
    if (g === null) continue;
    const name = r.replTpl.expand(g);
    if (name === '') continue; // an empty label name is never set
    names[k] = name;
    values[k] = l.value;
    k++;
  }
  w.matched = k > 0;
  for (let j = 0; j < k; j++) w.set(names[j]!, values[j]!);
}

/** labeldrop (dropOnMatch=true) / labelkeep (false). Allocates only when something is removed. */
function labelFilter(r: CompiledRule, w: LabelWork, dropOnMatch: boolean): void {
  const a = w.labels;
  const n = a.length;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (r.re.test(a[i]!.name) === dropOnMatch) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    w.matched = dropOnMatch ? false : n > 0;
    return;
  }
  let anyMatch = dropOnMatch || first > 0;
  const out = a.slice(0, first);
  for (let i = first + 1; i < n; i++) {
    const l = a[i]!;
    const m = r.re.test(l.name);
    if (m !== dropOnMatch) out.push(l);
    if (m) anyMatch = true;
  }
  w.matched = anyMatch;
  w.replaceAll(out);
}

/** Applies one rule to `w`; false = drop the series. Sets `w.matched`. */
function applyRule(r: CompiledRule, w: LabelWork): boolean {
  w.matched = false;
  if (r.sel !== null && !selectorMatches(r.sel, w.labels)) return r.code !== A_KEEP;
  switch (r.code) {
    case A_REPLACE:
      replace(r, w);
      return true;
    case A_KEEP:
      return (w.matched = r.re.test(sourceValue(r, w)));
    case A_DROP:
      return !(w.matched = r.re.test(sourceValue(r, w)));
    case A_KEEPEQUAL:
      return (w.matched = w.get(r.target) === sourceValue(r, w));
    case A_DROPEQUAL:
      return !(w.matched = w.get(r.target) === sourceValue(r, w));
    case A_HASHMOD: {
      const val = sourceValue(r, w);
      let res = r.hashCache.get(val);
      if (res === undefined) {
        res = hashmod(val, r.modulus);
        if (r.hashCache.size >= HASH_CACHE_MAX) r.hashCache.clear();
        r.hashCache.set(val, res);
      }
      w.matched = true;
      w.set(r.target, res);
      return true;
    }
    case A_LOWERCASE:
      w.matched = true;
      w.set(r.target, goLower(sourceValue(r, w)));
      return true;
    case A_UPPERCASE:
      w.matched = true;
      w.set(r.target, goUpper(sourceValue(r, w)));
      return true;
    case A_LABELMAP:
      labelmap(r, w);
      return true;
    case A_LABELKEEP:
      labelFilter(r, w, false);
      return true;
    case A_LABELDROP:
      labelFilter(r, w, true);
      return true;
    default:
      throw new Error(`relabel: unknown action code ${r.code}`);
  }
}

export function applyRelabel(compiled: CompiledRelabel, labels: Label[]): Label[] | null;
export function applyRelabel(compiled: CompiledRelabel, labels: readonly Label[]): readonly Label[] | null;
export function applyRelabel(compiled: CompiledRelabel, labels: readonly Label[]): readonly Label[] | null {
  const rules = compiled.rules;
  const w = compiled.work;
  w.reset(labels);
  for (let i = 0; i < rules.length; i++) {
    if (!applyRule(rules[i]!, w)) {
      w.finish();
      return null;
    }
  }
  return w.finish();
}

export interface RelabelStep {
  index: number;
  action: RelabelAction;
  /** The rule's condition held: regex matched (replace/keep/drop), values equal (keepequal/dropequal), at least one
   *  label name matched (labelmap/labeldrop/labelkeep); always true for hashmod/lowercase/uppercase when applied. */
  matched: boolean;
  /** null when the rule has no `if`; otherwise whether the selector matched (false = rule skipped / keep dropped). */
  ifMatched: boolean | null;
  before: Label[];
  /** null when this rule dropped the series (and it is the last step). */
  after: Label[] | null;
}

export function explainRelabel(compiled: CompiledRelabel, labels: readonly Label[]): RelabelStep[] {
  const w = compiled.work;
  w.reset(labels);
  const steps: RelabelStep[] = [];
  for (const r of compiled.rules) {
    const before = w.labels.slice();
    const ifMatched = r.sel === null ? null : selectorMatches(r.sel, w.labels);
    const keep = applyRule(r, w);
    steps.push({ index: r.index, action: r.action, matched: w.matched, ifMatched, before, after: keep ? w.labels.slice() : null });
    if (!keep) break;
  }
  w.finish();
  return steps;
}
