/**
 * OTTL condition compiler and evaluator for the `metric` and `datapoint` contexts (the filter processor's subset).
 *
 * Contract
 * - `compileCondition(text, context)` parses and type-checks once; throws OttlError naming the unsupported part
 *   (path, function, enum, operator use) and its position. The result's `eval(target)` allocates nothing per call
 *   (a tree of functions built at compile time); `target` is a reusable object the caller fills in.
 * - Paths, metric context: name, description, unit, type, aggregation_temporality, is_monotonic,
 *   resource.attributes["k"], instrumentation_scope.name|version, instrumentation_scope.attributes["k"].
 *   Datapoint context: attributes["k"], value_double, value_int, count, sum, start_time_unix_nano, time_unix_nano,
 *   flags, metric.<any metric path above>, resource.attributes["k"], instrumentation_scope.*.
 * - Values as OTTL: int64 (bigint), float64 (number), string, bool, nil (null; also a missing attribute). On a
 *   double point `value_int` is 0 and on an int point `value_double` is 0.0 (pdata getters); on histogram/summary
 *   points both are nil. `type` and `aggregation_temporality` are int64 enums (METRIC_DATA_TYPE_*,
 *   AGGREGATION_TEMPORALITY_*).
 * - Comparison as OTTL: nil == nil; numbers compare across int/float; strings compare lexicographically; bools
 *   support == and != only; mismatched types are unequal and never ordered (no error).
 * - Functions: IsMatch(target, "regex") (Go RE2, unanchored; the pattern must be a literal; nil target -> false;
 *   non-string scalars are converted to strings; bytes/maps/lists raise an OttlRuntimeError),
 *   HasAttrKeyOnDatapoint("k") and HasAttrOnDatapoint("k", "v") in the metric context.
 */
import { anyValueToString } from '../model/attributes.ts';
import type { AnyValue, Attributes, DataPoint, InstrumentationScope, Metric, Resource } from '../model/types.ts';
import { translateRe2 } from '../relabel/re2.ts';
import { OttlError } from './lexer.ts';
import { parseCondition, type Node } from './parser.ts';

export type OttlContextName = 'metric' | 'datapoint';
export type Value = AnyValue;

export interface OttlTarget {
  resource: Resource;
  scope: InstrumentationScope;
  metric: Metric;
  /** Set in the datapoint context. */
  point: DataPoint | undefined;
}

export class OttlRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OttlRuntimeError';
  }
}

export interface CompiledCondition {
  readonly text: string;
  eval(t: OttlTarget): boolean;
}

type Getter = (t: OttlTarget) => Value;

export const ENUMS: Record<string, bigint> = {
  METRIC_DATA_TYPE_NONE: 0n,
  METRIC_DATA_TYPE_GAUGE: 1n,
  METRIC_DATA_TYPE_SUM: 2n,
  METRIC_DATA_TYPE_HISTOGRAM: 3n,
  METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM: 4n,
  METRIC_DATA_TYPE_SUMMARY: 5n,
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0n,
  AGGREGATION_TEMPORALITY_DELTA: 1n,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2n,
};

const TYPE_ENUM: Record<Metric['type'], bigint> = { empty: 0n, gauge: 1n, sum: 2n, histogram: 3n, exponential_histogram: 4n, summary: 5n };

function attr(attrs: Attributes, key: string): Value {
  for (let i = 0; i < attrs.length; i++) if (attrs[i]!.key === key) return attrs[i]!.value;
  return null;
}

const METRIC_PATHS: Record<string, (m: Metric) => Value> = {
  name: (m) => m.name,
  description: (m) => m.description,
  unit: (m) => m.unit,
  type: (m) => TYPE_ENUM[m.type],
  aggregation_temporality: (m) => ('temporality' in m ? BigInt(m.temporality) : 0n),
  is_monotonic: (m) => (m.type === 'sum' ? m.isMonotonic : false),
};

const POINT_PATHS: Record<string, (p: DataPoint) => Value> = {
  value_double: (p) => ('value' in p ? (typeof p.value === 'number' ? p.value : 0) : null),
  value_int: (p) => ('value' in p ? (typeof p.value === 'bigint' ? p.value : 0n) : null),
  count: (p) => ('count' in p ? BigInt(p.count) : null),
  sum: (p) => ('sum' in p ? (p.sum ?? null) : null),
  start_time_unix_nano: (p) => p.startTimeUnixNano,
  time_unix_nano: (p) => p.timeUnixNano,
  flags: (p) => BigInt(p.flags),
};

function compilePath(text: string, n: Extract<Node, { kind: 'path' }>, ctx: OttlContextName): Getter {
  const path = n.parts.join('.');
  const fail = (reason: string): never => {
    throw new OttlError(text, n.pos, reason);
  };
  const needKey = (what: string) => {
    if (n.key === undefined) fail(`path "${path}" needs a key, e.g. ${what}["name"]`);
    return n.key!;
  };
  const noKey = () => {
    if (n.key !== undefined) fail(`path "${path}" cannot be indexed`);
  };
  if (path === 'resource.attributes') {
    const k = needKey(path);
    return (t) => attr(t.resource.attributes, k);
  }
  if (path === 'instrumentation_scope.attributes') {
    const k = needKey(path);
    return (t) => attr(t.scope.attributes, k);
  }
  if (path === 'instrumentation_scope.name' || path === 'instrumentation_scope.version') {
    noKey();
    return path.endsWith('name') ? (t) => t.scope.name : (t) => t.scope.version;
  }
  if (ctx === 'datapoint') {
    if (path === 'attributes') {
      const k = needKey(path);
      return (t) => attr(t.point!.attributes, k);
    }
    const pg = POINT_PATHS[path];
    if (pg !== undefined) {
      noKey();
      return (t) => pg(t.point!);
    }
    if (n.parts[0] === 'metric' && n.parts.length === 2) {
      const mg = METRIC_PATHS[n.parts[1]!];
      if (mg !== undefined) {
        noKey();
        return (t) => mg(t.metric);
      }
    }
    if (METRIC_PATHS[path] !== undefined) fail(`path "${path}" is not available in the datapoint context; use metric.${path}`);
    return fail(`unsupported path "${path}" in the datapoint context`);
  }
  const mg = METRIC_PATHS[path];
  if (mg !== undefined) {
    noKey();
    return (t) => mg(t.metric);
  }
  if (path === 'attributes' || POINT_PATHS[path] !== undefined) fail(`path "${path}" is not available in the metric context; use a datapoint condition`);
  if (n.parts[0] === 'metric') fail(`path "${path}" is not available in the metric context; use ${n.parts.slice(1).join('.')}`);
  return fail(`unsupported path "${path}" in the metric context`);
}

/** OTTL IsMatch target -> string (null = nil target, never matches). */
function matchText(v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return anyValueToString(v);
  throw new OttlRuntimeError(`IsMatch: target is ${v instanceof Uint8Array ? 'a bytes value' : Array.isArray(v) ? 'a list' : 'a map'}, not a string`);
}

function compileValue(text: string, n: Node, ctx: OttlContextName): Getter {
  switch (n.kind) {
    case 'lit': {
      const v = n.value;
      return () => v;
    }
    case 'enum': {
      const v = ENUMS[n.name];
      if (v === undefined) throw new OttlError(text, n.pos, `unknown enum ${n.name}`);
      return () => v;
    }
    case 'path':
      return compilePath(text, n, ctx);
    case 'call':
      return compileCall(text, n, ctx);
    default:
      return compileBool(text, n, ctx);
  }
}

function compileCall(text: string, n: Extract<Node, { kind: 'call' }>, ctx: OttlContextName): Getter {
  const argc = (k: number) => {
    if (n.args.length !== k) throw new OttlError(text, n.pos, `${n.name} takes ${k} argument${k === 1 ? '' : 's'}, got ${n.args.length}`);
  };
  const literal = (i: number, what: string): string => {
    const a = n.args[i]!;
    if (a.kind !== 'lit' || typeof a.value !== 'string') throw new OttlError(text, a.pos, `${n.name}: ${what} must be a string literal`);
    return a.value;
  };
  switch (n.name) {
    case 'IsMatch': {
      argc(2);
      const target = compileValue(text, n.args[0]!, ctx);
      const pattern = literal(1, 'the pattern');
      let re: RegExp;
      try {
        re = new RegExp(translateRe2(pattern, { dotAll: false }).source, 'u');
      } catch (err) {
        throw new OttlError(text, n.args[1]!.pos, `IsMatch: invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
      }
      return (t) => {
        const s = matchText(target(t));
        return s !== null && re.test(s);
      };
    }
    case 'HasAttrKeyOnDatapoint':
    case 'HasAttrOnDatapoint': {
      if (ctx !== 'metric') throw new OttlError(text, n.pos, `${n.name} is only available in the metric context`);
      const withValue = n.name === 'HasAttrOnDatapoint';
      argc(withValue ? 2 : 1);
      const key = literal(0, 'the key');
      const want = withValue ? literal(1, 'the value') : undefined;
      return (t) => {
        const pts = t.metric.points as DataPoint[];
        for (let i = 0; i < pts.length; i++) {
          const a = pts[i]!.attributes;
          for (let j = 0; j < a.length; j++) if (a[j]!.key === key && (want === undefined || a[j]!.value === want)) return true;
        }
        return false;
      };
    }
    default:
      throw new OttlError(text, n.pos, /^[a-z]/.test(n.name) ? `editor ${n.name}() cannot be used in a condition` : `unsupported function ${n.name}()`);
  }
}

type Kind = 'nil' | 'bool' | 'num' | 'str' | 'other';
function kindOf(v: Value): Kind {
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'num';
    case 'string':
      return 'str';
    default:
      return 'other';
  }
}

export function compare(op: string, a: Value, b: Value): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb || ka === 'other') return op === '!=' ? !(ka === kb && ka === 'other' && a === b) : false;
  if (ka === 'nil') return op === '==';
  if (ka === 'bool' && op !== '==' && op !== '!=') return false;
  let x = a as string | number | bigint | boolean;
  let y = b as string | number | bigint | boolean;
  if (ka === 'num' && typeof x !== typeof y) {
    x = Number(x);
    y = Number(y);
  }
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function compileBool(text: string, n: Node, ctx: OttlContextName): (t: OttlTarget) => boolean {
  switch (n.kind) {
    case 'and': {
      const terms = n.terms.map((x) => compileBool(text, x, ctx));
      return (t) => {
        for (let i = 0; i < terms.length; i++) if (!terms[i]!(t)) return false;
        return true;
      };
    }
    case 'or': {
      const terms = n.terms.map((x) => compileBool(text, x, ctx));
      return (t) => {
        for (let i = 0; i < terms.length; i++) if (terms[i]!(t)) return true;
        return false;
      };
    }
    case 'not': {
      const term = compileBool(text, n.term, ctx);
      return (t) => !term(t);
    }
    case 'cmp': {
      const l = compileValue(text, n.left, ctx);
      const r = compileValue(text, n.right, ctx);
      const op = n.op;
      return (t) => compare(op, l(t), r(t));
    }
    case 'lit':
      if (typeof n.value === 'boolean') {
        const v = n.value;
        return () => v;
      }
      throw new OttlError(text, n.pos, `${JSON.stringify(n.value === null ? 'nil' : String(n.value))} is not a condition; compare it with ==, !=, <, <=, > or >=`);
    case 'call': {
      const f = compileCall(text, n, ctx);
      return (t) => f(t) === true;
    }
    case 'path':
      throw new OttlError(text, n.pos, `path "${n.parts.join('.')}${n.key === undefined ? '' : `[${JSON.stringify(n.key)}]`}" is not a condition; compare it, e.g. ${n.parts.join('.')} == true`);
    default:
      throw new OttlError(text, n.pos, `${n.name} is not a condition; compare it, e.g. type == ${n.name}`);
  }
}

export function compileCondition(text: string, ctx: OttlContextName): CompiledCondition {
  const f = compileBool(text, parseCondition(text), ctx);
  return { text, eval: f };
}
