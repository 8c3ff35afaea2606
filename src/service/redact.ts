/** Redacts secrets from a config tree for /debug/config and logs: values under secret-looking keys, and all header values. */
const SECRET_KEY = /(pass(word)?|secret|tokens?|bearer|authorization|api[_-]?key|credentials?|private[_-]?key|inline)$/i;

export function redactConfig(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, parentKey));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if ((SECRET_KEY.test(k) && !/_file$/.test(k)) || (parentKey === 'headers' && v !== null && typeof v !== 'object')) out[k] = '[REDACTED]';
      else out[k] = redactConfig(v, k);
    }
    return out;
  }
  return value;
}
