/**
 * Relabel configuration: types, Prometheus-compatible validation and the zod schema.
 *
 * Contract
 * - YAML names as in Prometheus `relabel_config`: source_labels, separator, regex, modulus, target_label,
 *   replacement, action; plus vmagent-style `if` (a series selector; the rule only applies to matching series).
 * - Defaults as Prometheus `DefaultRelabelConfig`: action=replace, separator=";", regex="(.*)", replacement="$1".
 *   `action` is case-insensitive (Prometheus lower-cases it).
 * - `checkRelabelConfig` is Prometheus `model/relabel/relabel.go` `Config.Validate()` with the same messages, in the
 *   same order, on a Go-struct-like value (an absent field is Go's zero value, not the default). `nameValidation`
 *   is the label-name scheme: 'legacy' ([a-zA-Z_][a-zA-Z0-9_]*, Prometheus 2.x) or 'utf8' (Prometheus 3.x).
 * - `relabelConfigSchema` (legacy names) / `relabelConfigSchemaFor(opts)`: `z.strictObject` (unknown keys fail),
 *   then one superRefine that reports the Validate() error, bad source label names, a bad regex and a bad `if`
 *   selector, each with its path; the output has every default filled in.
 */
import { z } from 'zod';
import { compileAnchored } from './regex.ts';
import { parseSelector } from '../selector/selector.ts';

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labelkeep',
  'labeldrop',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export type NameValidation = 'legacy' | 'utf8';
/** 'v2.42': `^(?:re)$`, dot excludes '\n', v2.42 replace semantics. 'head': `^(?s:re)$`, Prometheus 3.x semantics. */
export type RelabelSemantics = 'v2.42' | 'head';

/** A validated rule with every default filled in. */
export interface RelabelConfig {
  source_labels: string[];
  separator: string;
  regex: string;
  modulus: number;
  target_label: string;
  replacement: string;
  action: RelabelAction;
  /** vmagent-style series selector; the rule applies only to series matching it (`keep` drops the others). */
  if?: string | undefined;
}

/** What a user may write (YAML); absent fields take the defaults. */
export interface RelabelConfigInput {
  source_labels?: readonly string[] | undefined;
  separator?: string | undefined;
  regex?: string | undefined;
  modulus?: number | undefined;
  target_label?: string | undefined;
  replacement?: string | undefined;
  action?: string | undefined;
  if?: string | undefined;
}

export const DEFAULT_RELABEL = {
  action: 'replace',
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
} as const;

export interface RelabelConfigIssue {
  /** Key of the offending field ('' for the rule as a whole). */
  path: string;
  message: string;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus `relabelTarget` / `relabelTargetLegacy`: a target template under the legacy scheme. */
const LEGACY_TARGET_TEMPLATE = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/** model.LabelName.IsValid(): legacy charset, or (UTF-8 scheme) any non-empty well-formed string. */
export function isValidLabelName(name: string, scheme: NameValidation): boolean {
  if (scheme === 'legacy') return LEGACY_NAME.test(name);
  return name.length > 0 && name.isWellFormed();
}

/** Whether a `target_label`/labelmap `replacement` containing `$` references is acceptable under `scheme`. */
export function isValidTargetTemplate(tpl: string, scheme: NameValidation): boolean {
  return scheme === 'legacy' ? LEGACY_TARGET_TEMPLATE.test(tpl) : isValidLabelName(tpl, scheme);
}

const NEEDS_TARGET = new Set(['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal']);
const CASE_OR_EQUAL = new Set(['lowercase', 'uppercase', 'keepequal', 'dropequal']);

/**
 * Prometheus `Config.Validate()`. Absent fields are Go zero values ("" / 0 / nil), exactly as the upstream tests
 * construct `Config{}` literals; a regex is "the default" when it is the string "(.*)" (Go compares the compiled
 * pointer, so an explicit `regex: (.*)` would fail there for keepequal/dropequal; we accept it).
 */
export function checkRelabelConfig(c: RelabelConfigInput, scheme: NameValidation): RelabelConfigIssue | null {
  const action = c.action ?? '';
  const target = c.target_label ?? '';
  const replacement = c.replacement ?? '';
  const modulus = c.modulus ?? 0;
  const separator = c.separator ?? '';
  const err = (path: string, message: string): RelabelConfigIssue => ({ path, message });
  const q = JSON.stringify;
  if (action === '') return err('action', 'relabel action cannot be empty');
  if (modulus === 0 && action === 'hashmod') {
    return err('modulus', 'relabel configuration for hashmod requires non-zero modulus');
  }
  if (NEEDS_TARGET.has(action) && target === '') {
    return err('target_label', `relabel configuration for ${action} action requires 'target_label' value`);
  }
  const hasVar = target.includes('$');
  if (action === 'replace' && !hasVar && !isValidLabelName(target, scheme)) {
    return err('target_label', `${q(target)} is invalid 'target_label' for ${action} action`);
  }
  if (action === 'replace' && hasVar && !isValidTargetTemplate(target, scheme)) {
    return err('target_label', `${q(target)} is invalid 'target_label' for ${action} action`);
  }
  if (CASE_OR_EQUAL.has(action) && !isValidLabelName(target, scheme)) {
    return err('target_label', `${q(target)} is invalid 'target_label' for ${action} action`);
  }
  if (CASE_OR_EQUAL.has(action) && replacement !== DEFAULT_RELABEL.replacement) {
    return err('replacement', `'replacement' can not be set for ${action} action`);
  }
  if (action === 'labelmap' && !isValidTargetTemplate(replacement, scheme)) {
    return err('replacement', `${q(replacement)} is invalid 'replacement' for ${action} action`);
  }
  if (action === 'hashmod' && !isValidLabelName(target, scheme)) {
    return err('target_label', `${q(target)} is invalid 'target_label' for ${action} action`);
  }
  if (action === 'dropequal' || action === 'keepequal') {
    if (
      c.regex !== DEFAULT_RELABEL.regex ||
      modulus !== 0 ||
      separator !== DEFAULT_RELABEL.separator ||
      replacement !== DEFAULT_RELABEL.replacement
    ) {
      return err('', `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`);
    }
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    if (
      (c.source_labels !== undefined && c.source_labels.length > 0) ||
      target !== '' ||
      modulus !== 0 ||
      separator !== DEFAULT_RELABEL.separator ||
      replacement !== DEFAULT_RELABEL.replacement
    ) {
      return err('', `${action} action requires only 'regex', and no other fields`);
    }
  }
  return null;
}

/** Fills in defaults; keeps `source_labels` undefined-ness out of the result (empty array). */
export function withDefaults(c: RelabelConfigInput): RelabelConfig {
  const action = (c.action ?? DEFAULT_RELABEL.action).toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    throw new Error(`unknown relabel action ${JSON.stringify(c.action)}`);
  }
  const out: RelabelConfig = {
    source_labels: c.source_labels ? [...c.source_labels] : [],
    separator: c.separator ?? DEFAULT_RELABEL.separator,
    regex: c.regex ?? DEFAULT_RELABEL.regex,
    modulus: c.modulus ?? 0,
    target_label: c.target_label ?? '',
    replacement: c.replacement ?? DEFAULT_RELABEL.replacement,
    action: action as RelabelAction,
  };
  if (c.if !== undefined) out.if = c.if;
  return out;
}

/** The input with defaults applied but `source_labels` left absent when absent (labeldrop/labelkeep check). */
function defaultsForCheck(c: RelabelConfigInput, action: string): RelabelConfigInput {
  return {
    source_labels: c.source_labels,
    separator: c.separator ?? DEFAULT_RELABEL.separator,
    regex: c.regex ?? DEFAULT_RELABEL.regex,
    modulus: c.modulus ?? 0,
    target_label: c.target_label ?? '',
    replacement: c.replacement ?? DEFAULT_RELABEL.replacement,
    action,
  };
}

export interface RelabelSchemaOptions {
  /** Label-name scheme for target_label/source_labels checks. Default 'legacy' (Prometheus 2.x). */
  nameValidation?: NameValidation;
}

/**
 * Every problem of one rule (empty when valid): unknown action, the Validate() error, invalid source label names,
 * a regex Go would reject, an `if` that is not a series selector.
 */
export function relabelConfigIssues(raw: RelabelConfigInput, scheme: NameValidation): RelabelConfigIssue[] {
  const issues: RelabelConfigIssue[] = [];
  const action = (raw.action ?? DEFAULT_RELABEL.action).toLowerCase();
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    issues.push({ path: 'action', message: `unknown relabel action ${JSON.stringify(raw.action)}` });
  } else {
    const issue = checkRelabelConfig(defaultsForCheck(raw, action), scheme);
    if (issue !== null) issues.push(issue);
  }
  raw.source_labels?.forEach((n, i) => {
    if (!isValidLabelName(n, scheme)) {
      issues.push({ path: `source_labels.${i}`, message: `${JSON.stringify(n)} is not a valid label name` });
    }
  });
  if (raw.regex !== undefined) {
    try {
      compileAnchored(raw.regex, false);
    } catch (err) {
      issues.push({ path: 'regex', message: (err as Error).message });
    }
  }
  if (raw.if !== undefined) {
    try {
      parseSelector(raw.if);
    } catch (err) {
      issues.push({ path: 'if', message: (err as Error).message });
    }
  }
  return issues;
}

const stringish = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

export function relabelConfigSchemaFor(opts: RelabelSchemaOptions = {}) {
  const scheme = opts.nameValidation ?? 'legacy';
  return z
    .strictObject({
      source_labels: z.array(z.string()).optional(),
      separator: z.string().optional(),
      regex: stringish.optional(),
      modulus: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
      target_label: z.string().optional(),
      replacement: stringish.optional(),
      action: z.string().optional(),
      if: z.string().optional(),
    })
    .superRefine((raw, ctx) => {
      for (const issue of relabelConfigIssues(raw, scheme)) {
        const path = issue.path === '' ? [] : issue.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
        ctx.addIssue({ code: 'custom', message: issue.message, path });
      }
    })
    .transform((raw): RelabelConfig => withDefaults(raw));
}

/** One relabel rule, Prometheus 2.x (legacy) label-name validation. */
export const relabelConfigSchema = relabelConfigSchemaFor();
/** A list of rules (`relabel_configs`, `metric_relabel_configs`, `write_relabel_configs`). */
export const relabelConfigsSchema = z.array(relabelConfigSchema);
