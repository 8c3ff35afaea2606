/** Turns zod issues into ConfigIssues with YAML paths, quoting what was wrong and suggesting known keys. */
import type { z } from 'zod';
import { suggestion } from './errors.ts';

export interface PathIssue {
  path: string;
  message: string;
}

export function joinPath(prefix: string, parts: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

function def(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Object keys the schema accepts at `parts` (walking through optional/default/pipe/array/record/union). */
export function knownKeysAt(schema: z.ZodType, parts: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  walk(schema, parts, 0, found, 0);
  return [...found];
}

function walk(s: z.ZodType, parts: readonly PropertyKey[], i: number, found: Set<string>, depth: number): void {
  if (depth > 64) return;
  const d = def(s);
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return walk(d.innerType!, parts, i, found, depth + 1);
    case 'pipe':
      return walk(d.in!, parts, i, found, depth + 1);
    case 'lazy':
      return walk(d.getter!(), parts, i, found, depth + 1);
    case 'union':
      for (const o of d.options ?? []) walk(o, parts, i, found, depth + 1);
      return;
    case 'object':
      if (i === parts.length) {
        for (const k of Object.keys(d.shape ?? {})) found.add(k);
        return;
      }
      if (d.shape && Object.hasOwn(d.shape, parts[i] as string)) walk(d.shape[parts[i] as string]!, parts, i + 1, found, depth + 1);
      return;
    case 'array':
      if (i < parts.length) walk(d.element!, parts, i + 1, found, depth + 1);
      return;
    case 'record':
      if (i < parts.length) walk(d.valueType!, parts, i + 1, found, depth + 1);
      return;
    default:
      return;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export function zodIssues(schema: z.ZodType, error: z.ZodError, prefix: string, input: unknown): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of error.issues) {
    const parts = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, parts);
      for (const key of issue.keys) {
        out.push({
          path: joinPath(prefix, [...parts, key]),
          message: `unknown option "${key}"${suggestion(key, known)}${known.length > 0 && known.length <= 12 ? `; valid options: ${known.join(', ')}` : ''}`,
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      message = `expected ${issue.expected}, got ${describe(valueAt(input, parts))}`;
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      message = `invalid value ${JSON.stringify(valueAt(input, parts))}; expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    out.push({ path: joinPath(prefix, parts), message });
  }
  return out;
}
