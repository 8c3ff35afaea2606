/**
 * Scrape pool of one job (Prometheus `scrapePool`): turns discovered target groups into targets and keeps one
 * scrape loop per distinct target.
 *
 * Contract
 * - `sync(groups)`: every target of every group goes through `populateLabels` (group labels under the target's
 *   own); relabel-dropped targets are kept (up to keep_dropped_targets) for the API with their discovered labels;
 *   targets failing with an error are logged and counted, not kept. New targets get a loop (started now); targets
 *   that disappeared stop, and get end-of-run stale markers unless they come back first (then the same loop and
 *   cache continue). `target_limit` exceeded -> every loop fails its scrapes with Prometheus's message.
 * - `stop()` is shutdown: loops are aborted without stale markers (as Prometheus on exit); safe twice.
 * - Reload: `handOff()` is the old generation's stop: loops stop gracefully and are returned (active and ending).
 *   The new pool `adopt()`s them before its first sync, as targets that vanished: a target of the first syncs that
 *   matches an adopted loop revives it (same cache, no stale markers, no series-added spike) when `reuse` (the job is
 *   unchanged); otherwise it gets a fresh loop and the old one is dropped silently. Adopted loops no sync brings back
 *   get their end-of-run stale markers, through this pool's pipeline.
 */
import type { Logger } from 'pino';
import type { Label } from '../../../model/types.ts';
import { compileRelabel, type CompiledRelabel } from '../../../relabel/index.ts';
import type { ScrapeJob } from '../config.ts';
import type { TargetGroup } from '../discovery/types.ts';
import type { LabelMap } from '../labels.ts';
import { ScrapeLoop, type PoolEnv } from './loop.ts';
import { populateLabels, Target } from './target.ts';

export class ScrapePool {
  readonly job: ScrapeJob;
  private readonly env: PoolEnv;
  private readonly relabel: CompiledRelabel | null;
  private readonly logger: Logger;
  readonly active = new Map<string, ScrapeLoop>();
  /** Loops of vanished targets waiting for their end-of-run stale markers. */
  private readonly ending = new Map<string, ScrapeLoop>();
  dropped: Label[][] = [];
  droppedCount = 0;
  /** Errors of the last sync (targets that could not be created). */
  syncErrors: string[] = [];
  /** Adopted loops of a changed job: never revived (their appender has the old config). */
  private readonly noReuse = new WeakSet<ScrapeLoop>();
  private stopped = false;

  constructor(env: PoolEnv) {
    this.job = env.job;
    this.env = env;
    this.logger = env.logger;
    this.relabel = env.job.relabelConfigs.length > 0 ? compileRelabel(env.job.relabelConfigs, { validate: false }) : null;
  }

  sync(groups: readonly TargetGroup[]): void {
    if (this.stopped) return;
    const job = this.job;
    const targets: Target[] = [];
    const dropped: Label[][] = [];
    let droppedCount = 0;
    const errors: string[] = [];
    for (const g of groups) {
      g.targets.forEach((t, i) => {
        const lb: LabelMap = new Map();
        for (const [k, v] of Object.entries(t)) if (v !== '') lb.set(k, v);
        for (const [k, v] of Object.entries(g.labels)) if (!Object.hasOwn(t, k) && v !== '') lb.set(k, v);
        const r = populateLabels(lb, job, this.relabel);
        if (r.error !== undefined) {
          errors.push(`instance ${i} in group ${g.source}: ${r.error}`);
          return;
        }
        if (r.labels !== null) targets.push(new Target(job, r.labels, r.discovered));
        else if (r.discovered.length > 0) {
          droppedCount++;
          if (job.keepDroppedTargets === 0 || dropped.length < job.keepDroppedTargets) dropped.push(r.discovered);
        }
      });
    }
    for (const e of errors) this.logger.error({ job: job.jobName, err: e }, 'Creating target failed');
    this.dropped = dropped;
    this.droppedCount = droppedCount;
    this.syncErrors = errors;

    const keep = new Set<string>();
    const fresh: ScrapeLoop[] = [];
    for (const t of targets) {
      if (keep.has(t.key)) continue;
      keep.add(t.key);
      const cur = this.active.get(t.key);
      if (cur !== undefined) {
        cur.target.discoveredLabels = t.discoveredLabels;
        continue;
      }
      const back = this.ending.get(t.key);
      if (back !== undefined) {
        this.ending.delete(t.key);
        if (!this.noReuse.has(back)) {
          this.active.set(t.key, back);
          back.revive(t);
          continue;
        }
        void back.abort();
      }
      const loop = new ScrapeLoop(t, this.env);
      this.active.set(t.key, loop);
      fresh.push(loop);
    }
    for (const [key, loop] of this.active) {
      if (keep.has(key)) continue;
      this.active.delete(key);
      this.retire(key, loop);
    }
    const limit = job.targetLimit;
    const forced = limit > 0 && this.active.size > limit ? `target_limit exceeded (number of targets: ${this.active.size}, limit: ${limit})` : undefined;
    for (const loop of this.active.values()) loop.forcedError = forced;
    for (const loop of fresh) loop.start();
  }

  /** The target vanished: stale markers after the end-of-run wait unless a sync revives it first. */
  private retire(key: string, loop: ScrapeLoop): void {
    this.ending.set(key, loop);
    void loop.stop().then(() => {
      // Revived meanwhile (target back) or shut down: no end-of-run staleness.
      if (this.ending.get(key) !== loop) return;
      loop.endOfRun(() => {
        if (this.ending.get(key) === loop) this.ending.delete(key);
      });
    });
  }

  /** Reload, before the first sync: loops handed off by the previous generation's pool of this job. */
  adopt(loops: readonly ScrapeLoop[], reuse: boolean): void {
    for (const loop of loops) {
      const key = loop.target.key;
      if (this.active.has(key) || this.ending.has(key)) continue;
      loop.rebind(this.env);
      if (!reuse) this.noReuse.add(loop);
      this.retire(key, loop);
    }
  }

  /** Reload: stops every loop gracefully (in-flight scrapes and pushes finish) and returns them; then as stop(). */
  async handOff(): Promise<ScrapeLoop[]> {
    if (this.stopped) return [];
    this.stopped = true;
    const loops = [...this.active.values(), ...this.ending.values()];
    this.active.clear();
    this.ending.clear();
    await Promise.all(loops.map((l) => l.handOff()));
    this.env.client.close();
    return loops;
  }

  /** Shutdown: no stale markers; waits for in-flight scrapes and pushes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const loops = [...this.active.values(), ...this.ending.values()];
    this.active.clear();
    this.ending.clear();
    await Promise.all(loops.map((l) => l.abort()));
    this.env.client.close();
  }

  loops(): ScrapeLoop[] {
    return [...this.active.values()];
  }
}
