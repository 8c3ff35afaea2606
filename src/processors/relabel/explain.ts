/**
 * Dry-run endpoint of the relabel processors, on the ops server:
 *   POST /api/v1/relabel/explain   body {"labels": {"__name__": "x", "job": "a", ...}, "processor": "relabel/x"}
 * `processor` may be left out when exactly one relabel processor runs. The labels are a Prometheus view (see
 * promview.ts): `__name__`, `job`, `instance` and the point attributes. Values must be strings; empty values are
 * absent labels, as in Prometheus.
 * Answer 200: {processor, input, steps: [{index, action, rule, if, ifMatched, matched, before, after}], output,
 * dropped}; `after` is null on the step that dropped the series, `output` is null when dropped. 400 on a bad body,
 * 404 for an unknown processor (with the list of known ids), 409 when `processor` is needed to choose.
 * One router is mounted per ops registry (per service generation); processors register and unregister by id
 * (the same id in several pipelines has the same config, so any instance answers).
 */
import express from 'express';
import type { OpsRegistry } from '../../component/component.ts';
import type { Label } from '../../model/types.ts';
import { explainRelabel, type CompiledRelabel } from '../../relabel/index.ts';
import { labelsToObject, sortLabels } from './promview.ts';

const registries = new WeakMap<OpsRegistry, Map<string, CompiledRelabel>>();

/** Registers `compiled` under `id`; returns the function that unregisters it (only if still the same). */
export function registerExplain(ops: OpsRegistry, id: string, compiled: CompiledRelabel): () => void {
  let reg = registries.get(ops);
  if (reg === undefined) {
    reg = new Map();
    registries.set(ops, reg);
    ops.mount('/api/v1/relabel', explainRouter(reg));
  }
  reg.set(id, compiled);
  const r = reg;
  return () => {
    if (r.get(id) === compiled) r.delete(id);
  };
}

function fail(res: express.Response, status: number, error: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error, ...extra });
}

export function explainRouter(reg: Map<string, CompiledRelabel>): express.Router {
  const router = express.Router();
  router.post('/explain', express.json({ limit: '1mb' }), (req, res) => {
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail(res, 400, 'body must be a JSON object {"labels": {...}, "processor": "relabel/<name>"}');
    const { labels, processor, ...rest } = body as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) return fail(res, 400, `unknown field(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}; expected "labels" and "processor"`);
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return fail(res, 400, '"labels" must be an object of label name -> string value');
    const input: Label[] = [];
    for (const [name, value] of Object.entries(labels as Record<string, unknown>)) {
      if (typeof value !== 'string') return fail(res, 400, `label ${JSON.stringify(name)}: value must be a string, got ${JSON.stringify(value)}`);
      if (value !== '' && name !== '') input.push({ name, value });
    }
    sortLabels(input);
    const known = [...reg.keys()].sort();
    let id: string;
    if (processor === undefined) {
      if (known.length !== 1) return fail(res, 409, `${known.length} relabel processors are running; say which one with "processor"`, { processors: known });
      id = known[0]!;
    } else if (typeof processor !== 'string') return fail(res, 400, '"processor" must be a string such as "relabel/x"');
    else id = processor;
    const compiled = reg.get(id);
    if (compiled === undefined) return fail(res, 404, `no relabel processor ${JSON.stringify(id)} is running`, { processors: known });
    const steps = explainRelabel(compiled, input);
    const last = steps.at(-1);
    const dropped = last !== undefined && last.after === null;
    const output = dropped ? null : labelsToObject(last?.after ?? input);
    res.json({
      processor: id,
      input: labelsToObject(input),
      steps: steps.map((s) => {
        const rule = compiled.rules[s.index]!.config;
        return {
          index: s.index,
          action: s.action,
          rule,
          if: rule.if ?? null,
          ifMatched: s.ifMatched,
          matched: s.matched,
          before: labelsToObject(s.before),
          after: s.after === null ? null : labelsToObject(s.after),
        };
      }),
      output,
      dropped,
    });
  });
  router.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    fail(res, 400, `bad request body: ${(err as Error).message}`);
  });
  return router;
}
