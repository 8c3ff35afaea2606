/**
 * HTTP API on the ops server (mounted under /api/v1 through `host.ops`), shared by every prometheus receiver of a
 * service generation:
 *   GET    /api/v1/targets?state=active|dropped|any&scrapePool=<job>   Prometheus's JSON shape
 *   GET    /api/v1/scrape_targets[?job=<job>]                          run-time targets (authenticated)
 *   POST   /api/v1/scrape_targets  {"job", "targets": [..], "labels": {..}, "receiver"?}   add (authenticated)
 *   DELETE /api/v1/scrape_targets  {"job", "targets": [..], "receiver"?} (or ?job=&target=)  remove (authenticated)
 * Authentication: `Authorization: Bearer <api.token>` of the receiver owning the job; without a configured token
 * the write API answers 403. Errors use Prometheus's envelope {"status":"error","errorType","error"}.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { OpsRegistry } from '../../component/component.ts';
import { isValidLabelName } from '../../relabel/index.ts';
import { checkTargetAddress } from './config-sd.ts';
import type { PrometheusReceiver } from './receiver.ts';

const registries = new WeakMap<OpsRegistry, Set<PrometheusReceiver>>();

export function mountTargetsApi(ops: OpsRegistry, r: PrometheusReceiver): void {
  let set = registries.get(ops);
  if (set === undefined) {
    set = new Set();
    registries.set(ops, set);
    ops.mount('/api/v1', buildRouter(set));
  }
  set.add(r);
}

export function unmountTargetsApi(ops: OpsRegistry, r: PrometheusReceiver): void {
  registries.get(ops)?.delete(r);
}

function fail(res: Response, status: number, errorType: string, error: string): void {
  res.status(status).json({ status: 'error', errorType, error });
}

function sameToken(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Body {
  job?: unknown;
  targets?: unknown;
  labels?: unknown;
  receiver?: unknown;
}

function buildRouter(receivers: Set<PrometheusReceiver>): express.Router {
  const router = express.Router();
  router.use('/scrape_targets', express.json({ limit: '1mb' }));

  router.get('/targets', (req, res) => {
    const state = String(req.query['state'] ?? 'any').toLowerCase();
    const pool = typeof req.query['scrapePool'] === 'string' && req.query['scrapePool'] !== '' ? req.query['scrapePool'] : undefined;
    const all = [...receivers];
    const showActive = state === 'active' || state === 'any' || state === '';
    const showDropped = state === 'dropped' || state === 'any' || state === '';
    res.json({
      status: 'success',
      data: {
        activeTargets: showActive ? all.flatMap((r) => r.activeTargets(pool)) : [],
        droppedTargets: showDropped ? all.flatMap((r) => r.droppedTargets(pool)) : [],
      },
    });
  });

  /** The receiver owning `job` (narrowed by `receiver`), after authenticating the request against its token. */
  const owner = (req: Request, res: Response, job: string, receiverId: string | undefined): PrometheusReceiver | undefined => {
    const candidates = [...receivers].filter((r) => r.hasJob(job) && (receiverId === undefined || r.settings.id === receiverId));
    if (candidates.length === 0) {
      fail(res, 404, 'not_found', `no scrape job ${JSON.stringify(job)}${receiverId === undefined ? '' : ` in receiver ${JSON.stringify(receiverId)}`}`);
      return undefined;
    }
    if (candidates.length > 1) {
      fail(res, 409, 'bad_data', `job ${JSON.stringify(job)} exists in several receivers (${candidates.map((c) => c.settings.id).join(', ')}); set "receiver"`);
      return undefined;
    }
    const r = candidates[0]!;
    const token = r.apiToken();
    if (token === undefined) {
      fail(res, 403, 'forbidden', `the scrape_targets API of receiver ${JSON.stringify(r.settings.id)} is disabled: set api.token (or api.token_file) in its config`);
      return undefined;
    }
    const h = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (m === null || !sameToken(m[1]!.trim(), token)) {
      res.set('WWW-Authenticate', 'Bearer');
      fail(res, 401, 'unauthorized', 'missing or wrong bearer token');
      return undefined;
    }
    return r;
  };

  const parse = (req: Request, res: Response, needTargets: boolean): { job: string; targets: string[]; labels: Record<string, string>; receiver: string | undefined } | undefined => {
    const b: Body = req.body !== undefined && typeof req.body === 'object' && req.body !== null ? (req.body as Body) : {};
    const q = req.query;
    const job = typeof b.job === 'string' ? b.job : typeof q['job'] === 'string' ? q['job'] : '';
    if (job === '') return fail(res, 400, 'bad_data', '"job" is required'), undefined;
    let targets: string[] = [];
    if (b.targets !== undefined) {
      if (!Array.isArray(b.targets) || !b.targets.every((t) => typeof t === 'string' && t !== '')) return fail(res, 400, 'bad_data', '"targets" must be a list of non-empty strings'), undefined;
      targets = b.targets as string[];
    } else if (q['target'] !== undefined) targets = ([] as unknown[]).concat(q['target']).map(String);
    if (needTargets && targets.length === 0) return fail(res, 400, 'bad_data', '"targets" must list at least one target'), undefined;
    for (const t of targets) {
      const e = checkTargetAddress(t);
      if (e !== undefined) return fail(res, 400, 'bad_data', `${e} (targets are host:port, without scheme or path)`), undefined;
    }
    const labels: Record<string, string> = {};
    if (b.labels !== undefined) {
      if (b.labels === null || typeof b.labels !== 'object' || Array.isArray(b.labels)) return fail(res, 400, 'bad_data', '"labels" must be an object of strings'), undefined;
      for (const [k, v] of Object.entries(b.labels)) {
        if (!isValidLabelName(k, 'legacy')) return fail(res, 400, 'bad_data', `${JSON.stringify(k)} is not a valid label name`), undefined;
        if (typeof v !== 'string') return fail(res, 400, 'bad_data', `label ${JSON.stringify(k)} must be a string`), undefined;
        labels[k] = v;
      }
    }
    const receiver = typeof b.receiver === 'string' ? b.receiver : typeof q['receiver'] === 'string' ? q['receiver'] : undefined;
    return { job, targets, labels, receiver };
  };

  router.get('/scrape_targets', (req, res) => {
    const job = typeof req.query['job'] === 'string' ? req.query['job'] : undefined;
    if (job === undefined) {
      // Listing every job needs a token valid for each receiver that has run-time targets.
      const out: Record<string, unknown> = {};
      for (const r of receivers) {
        const token = r.apiToken();
        const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
        if (token === undefined || m === null || !sameToken(m[1]!.trim(), token)) continue;
        out[r.settings.id] = r.runtime.list();
      }
      if (Object.keys(out).length === 0) {
        res.set('WWW-Authenticate', 'Bearer');
        return fail(res, 401, 'unauthorized', 'missing or wrong bearer token');
      }
      return void res.json({ status: 'success', data: out });
    }
    const r = owner(req, res, job, typeof req.query['receiver'] === 'string' ? req.query['receiver'] : undefined);
    if (r === undefined) return;
    res.json({ status: 'success', data: { [r.settings.id]: r.runtime.list(job) } });
  });

  router.post('/scrape_targets', (req, res) => {
    const p = parse(req, res, true);
    if (p === undefined) return;
    const r = owner(req, res, p.job, p.receiver);
    if (r === undefined) return;
    try {
      r.addTargets(p.job, p.targets, p.labels);
    } catch (err) {
      return fail(res, 500, 'internal', `cannot persist scrape targets: ${(err as Error).message}`);
    }
    res.status(201).json({ status: 'success', data: { receiver: r.settings.id, job: p.job, added: p.targets } });
  });

  router.delete('/scrape_targets', (req, res) => {
    const p = parse(req, res, true);
    if (p === undefined) return;
    const r = owner(req, res, p.job, p.receiver);
    if (r === undefined) return;
    let removed: string[];
    try {
      removed = r.removeTargets(p.job, p.targets);
    } catch (err) {
      return fail(res, 500, 'internal', `cannot persist scrape targets: ${(err as Error).message}`);
    }
    if (removed.length === 0) return fail(res, 404, 'not_found', `none of ${JSON.stringify(p.targets)} is a run-time target of job ${JSON.stringify(p.job)}`);
    res.json({ status: 'success', data: { receiver: r.settings.id, job: p.job, removed } });
  });

  router.use('/scrape_targets', (err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (err instanceof SyntaxError) return fail(res, 400, 'bad_data', `invalid JSON body: ${err.message}`);
    next(err);
  });
  return router;
}
