/**
 * Reads one or more YAML config files, merges them in order (maps merge deeply, later scalars and lists win, as the
 * Collector's --config merging does), expands env references, and keeps each file's parsed document so later errors
 * can be located by file, line and column.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { expandEnv } from './env.ts';

export interface SourceFile {
  file: string;
  doc: Document;
  lines: LineCounter;
}

export interface LoadedConfig {
  /** Merged, env-expanded raw config (plain JS values). */
  raw: Record<string, unknown>;
  sources: SourceFile[];
}

export function loadConfigFiles(files: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const sources: SourceFile[] = [];
  const issues: ConfigIssue[] = [];
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      issues.push({ file, path: '', message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`.trim() });
      continue;
    }
    const src = parseSource(file, text, issues);
    if (src === undefined) continue;
    sources.push(src);
    const value = src.doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ file, path: '', line: 1, message: 'the top level must be a mapping (receivers, processors, exporters, extensions, service)' });
      continue;
    }
    merged = mergeDeep(merged, value as Record<string, unknown>);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const envIssues: { path: string; message: string }[] = [];
  const raw = expandEnv(merged, env, envIssues) as Record<string, unknown>;
  if (envIssues.length > 0) throw new ConfigError(envIssues.map((e) => locate(sources, e.path, e.message)));
  return { raw, sources };
}

export function parseSource(file: string, text: string, issues: ConfigIssue[]): SourceFile | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      issues.push({ file, path: '', line: pos.line, column: pos.col, message: `YAML syntax error: ${e.message.split('\n')[0]}` });
    }
    return undefined;
  }
  return { file, doc, lines };
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (isPlainObject(prev) && isPlainObject(v)) out[k] = mergeDeep(prev, v);
    else out[k] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Splits a dotted path with [i] indexes into keys; component ids such as `otlp/in` stay one key. */
export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    if (part === '') continue;
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1] !== '') out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Finds the file and position of a path: the last file defining the deepest existing prefix of it.
 * `path` keys are joined by "." with list indexes as [i].
 */
export function locate(sources: readonly SourceFile[], path: string, message: string): ConfigIssue {
  const keys = splitPath(path);
  let best: ConfigIssue = { file: sources.at(-1)?.file, path, message };
  let bestDepth = -1;
  for (const src of sources) {
    let node: unknown = src.doc.contents;
    let depth = 0;
    let range: [number, number, number] | undefined = (node as { range?: [number, number, number] } | null)?.range;
    let keyRange: [number, number, number] | undefined;
    for (const k of keys) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === k);
        if (!pair) break;
        keyRange = (pair.key as { range?: [number, number, number] }).range;
        node = pair.value;
        range = (node as { range?: [number, number, number] } | null)?.range ?? keyRange;
      } else if (isSeq(node) && typeof k === 'number' && k < node.items.length) {
        node = node.items[k];
        range = (node as { range?: [number, number, number] } | null)?.range;
        keyRange = undefined;
      } else break;
      depth++;
    }
    if (depth >= bestDepth && range !== undefined) {
      bestDepth = depth;
      // Point at the key of the deepest matched entry (its line is where the problem is read), else at the node.
      const at = keyRange !== undefined ? keyRange[0] : range[0];
      const pos = src.lines.linePos(at);
      best = { file: src.file, path, line: pos.line, column: pos.col, message };
    }
  }
  return best;
}
