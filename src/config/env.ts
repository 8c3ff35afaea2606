/**
 * `${env:VAR}`, `${env:VAR:-default}` and `${VAR}` expansion in config string values, as the Collector does, with
 * `$$` as an escaped `$`. Expansion happens on parsed scalars, so a variable can never change the YAML structure.
 * When a whole scalar is one reference, the result is re-read as a YAML scalar so `${env:PORT}` can be a number.
 */
import { parse as parseYaml } from 'yaml';

const REF = /\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export class EnvExpansionError extends Error {}

export function expandString(s: string, env: NodeJS.ProcessEnv, path: string): unknown {
  if (!s.includes('$')) return s;
  const whole = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(s);
  if (whole) {
    const v = lookup(whole[1]!, whole[2], env, path);
    if (v === '') return v;
    try {
      const typed = parseYaml(v) as unknown;
      return typed !== null && typeof typed !== 'object' ? typed : v;
    } catch {
      return v;
    }
  }
  return s.replace(REF, (m, name: string | undefined, def: string | undefined) => (m === '$$' ? '$' : lookup(name!, def, env, path)));
}

function lookup(name: string, def: string | undefined, env: NodeJS.ProcessEnv, path: string): string {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  if (def !== undefined) return def;
  if (v === '') return '';
  throw new EnvExpansionError(`${path}: environment variable ${name} is not set (use \${env:${name}:-default} for a default)`);
}

/** Returns a copy of `value` with every string expanded. Errors collect into `errors` with their path. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, errors: { path: string; message: string }[], path = ''): unknown {
  if (typeof value === 'string') {
    try {
      return expandString(value, env, path);
    } catch (err) {
      errors.push({ path, message: (err as Error).message.replace(`${path}: `, '') });
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, errors, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, errors, path === '' ? k : `${path}.${k}`);
    return out;
  }
  return value;
}
