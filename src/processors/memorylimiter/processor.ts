/**
 * `memory_limiter` processor (Collector names): refuses data while the process uses too much memory, so receivers
 * push back (HTTP 429 / gRPC RESOURCE_EXHAUSTED; the prometheus receiver skips and counts scrapes) instead of the
 * process being OOM-killed.
 *
 *   memory_limiter:
 *     check_interval: 1s            # how often memory is measured (default 1s; the Collector requires it)
 *     limit_mib: 1024               # hard limit; or limit_percentage: 80 (of total memory)
 *     spike_limit_mib: 200          # default 20% of the limit; or spike_limit_percentage: 15
 *     min_gc_interval_when_soft_limited: 10s
 *     min_gc_interval_when_hard_limited: 0s
 *
 * Contract
 * - Measures memory in use as RSS (resident set size) minus the V8 heap's resident but free space, not the V8 heap
 *   alone: request bodies, decompression buffers, protobuf scratch and the exporters' queues live in
 *   Buffers/ArrayBuffers outside the V8 heap, and RSS is what the kernel's OOM killer and a container's memory limit
 *   act on. (The Collector measures the Go heap because Go has no off-heap buffers.) The free heap space is
 *   subtracted because V8 keeps it after collecting a spike's garbage and fills it before it grows the heap again:
 *   RSS alone stays at its high-water mark after an overload, and the limiter would then refuse forever with an
 *   empty pipeline (seen in test/processors/memorylimiter-overload.slow.test.ts).
 *   That free space is mostly the young generation, which Node 24 grows to 3 x 64 MiB semi-spaces under a high
 *   allocation rate (a startup-only V8 setting): RSS can exceed the usage by that much. For RSS to stay within
 *   limit + spike, start node with NODE_OPTIONS=--max-semi-space-size=16 (young generation <= 48 MiB).
 * - Total memory (for the percentage forms) = the cgroup limit when one is set (/sys/fs/cgroup/memory.max, or
 *   cgroup v1 memory.limit_in_bytes), else os.totalmem().
 * - Soft limit = limit - spike. While the usage > soft limit at the last check, `consume` rejects with
 *   PipelineError.backpressure('OB_MEMORY_LIMIT'), counted in `otelcol_processor_refused_metric_points`; refusal
 *   ends at the first check below the soft limit. Above the hard limit, V8's gc() runs at most every
 *   min_gc_interval_when_hard_limited; above the soft limit at most every min_gc_interval_when_soft_limited.
 *   gc() is `global.gc` under `node --expose-gc`; without that flag the limiter enables it at run time
 *   (v8.setFlagsFromString('--expose-gc') + vm.runInNewContext('gc')): under overload the garbage of refused
 *   requests (bodies, decoded batches) otherwise piles up faster than V8's lazy old-space collection returns it, and
 *   RSS overshoots the hard limit. When even that is unavailable, refusal alone relieves the pressure.
 *   RSS above the hard limit with the usage below it also runs gc() (at most every
 *   min_gc_interval_when_soft_limited) so V8 can give pages back.
 * - Test hook: `memoryLimiterHooks` (readRss, heapFree, totalMemory, gc) replaces the real readers for instances
 *   created while it is set (a hooked readRss without heapFree means no free heap); production code never sets it.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import type { CreateSettings, ProcessorFactory } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import type { Consumer } from '../../consumer/consumer.ts';
import { countDataPoints } from '../../model/count.ts';
import type { MetricsData } from '../../model/types.ts';
import { createProcessor } from '../helper.ts';

const MIB = 1024 * 1024;

export const memoryLimiterSchema = z
  .strictObject({
    check_interval: duration('1s'),
    limit_mib: z.number().int().min(0).default(0),
    spike_limit_mib: z.number().int().min(0).default(0),
    limit_percentage: z.number().int().min(0).max(100).default(0),
    spike_limit_percentage: z.number().int().min(0).max(100).default(0),
    min_gc_interval_when_soft_limited: duration('10s'),
    min_gc_interval_when_hard_limited: duration('0s'),
  })
  .superRefine((c, ctx) => {
    if (c.check_interval <= 0) ctx.addIssue({ code: 'custom', path: ['check_interval'], message: 'check_interval must be greater than zero' });
    if (c.limit_mib === 0 && c.limit_percentage === 0) ctx.addIssue({ code: 'custom', path: ['limit_mib'], message: 'set limit_mib or limit_percentage (one of them must be greater than zero)' });
    if (c.limit_mib > 0 && c.spike_limit_mib >= c.limit_mib) ctx.addIssue({ code: 'custom', path: ['spike_limit_mib'], message: `spike_limit_mib (${c.spike_limit_mib}) must be smaller than limit_mib (${c.limit_mib})` });
    if (c.limit_mib === 0 && c.limit_percentage > 0 && c.spike_limit_percentage >= c.limit_percentage) {
      ctx.addIssue({ code: 'custom', path: ['spike_limit_percentage'], message: `spike_limit_percentage (${c.spike_limit_percentage}) must be smaller than limit_percentage (${c.limit_percentage})` });
    }
  });
export type MemoryLimiterConfig = z.output<typeof memoryLimiterSchema>;

/** Test hook (see the contract). */
export const memoryLimiterHooks: { readRss?: (() => number) | undefined; heapFree?: (() => number) | undefined; totalMemory?: (() => number) | undefined; gc?: (() => void) | null | undefined } = {};

/** The cgroup memory limit in bytes, or undefined when none is set. */
export function cgroupMemoryLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const n = Number(text);
    // cgroup v1 reports "unlimited" as a huge page-aligned number.
    if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    return undefined;
  }
  return undefined;
}

export function totalMemory(): number {
  const cg = cgroupMemoryLimit();
  const os = totalmem();
  return cg === undefined ? os : Math.min(cg, os);
}

/** Limits in bytes from the config and the total memory. */
export function computeLimits(c: MemoryLimiterConfig, total: number): { limit: number; spike: number; soft: number } {
  let limit: number;
  let spike: number;
  if (c.limit_mib > 0) {
    limit = c.limit_mib * MIB;
    spike = c.spike_limit_mib > 0 ? c.spike_limit_mib * MIB : limit * 0.2;
  } else {
    limit = Math.floor((total * c.limit_percentage) / 100);
    spike = c.spike_limit_percentage > 0 ? Math.floor((total * c.spike_limit_percentage) / 100) : limit * 0.2;
  }
  return { limit, spike, soft: limit - spike };
}

/**
 * Resident V8 heap space not holding objects (bytes). Mostly the young generation's: under a high allocation rate
 * V8 grows it to its maximum and keeps it, half empty between scavenges by design.
 */
function v8HeapFree(): number {
  const h = getHeapStatistics();
  return Math.max(0, h.total_physical_size - h.used_heap_size);
}

let runtimeGc: (() => void) | null | undefined;

/** V8's gc() without `node --expose-gc` (see the contract); null when the runtime refuses. Resolved once. */
function exposedGc(): (() => void) | undefined {
  if (runtimeGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const g: unknown = runInNewContext('gc');
      runtimeGc = typeof g === 'function' ? (g as () => void) : null;
    } catch {
      runtimeGc = null;
    }
  }
  return runtimeGc ?? undefined;
}

class MemoryLimiter {
  private readonly cfg: MemoryLimiterConfig;
  private readonly settings: CreateSettings;
  private readonly readRss: () => number;
  private readonly heapFree: () => number;
  private readonly gc: (() => void) | undefined;
  readonly total: number;
  readonly limits: { limit: number; spike: number; soft: number };
  rss = 0;
  /** RSS minus the V8 heap's free resident space: what the limits are compared with. */
  used = 0;
  refusing = false;
  refused = 0;
  gcRuns = 0;
  private lastGc = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly refusedCounter;

  constructor(settings: CreateSettings, cfg: MemoryLimiterConfig) {
    this.settings = settings;
    this.cfg = cfg;
    const hooks = memoryLimiterHooks;
    this.readRss = hooks.readRss ?? (() => process.memoryUsage.rss());
    this.heapFree = hooks.heapFree ?? (hooks.readRss !== undefined ? () => 0 : v8HeapFree);
    const g = hooks.gc === undefined ? ((globalThis as { gc?: () => void }).gc ?? exposedGc()) : hooks.gc;
    this.gc = typeof g === 'function' ? g : undefined;
    this.total = (hooks.totalMemory ?? totalMemory)();
    this.limits = computeLimits(cfg, this.total);
    this.refusedCounter = settings.telemetry.counter('otelcol_processor_refused_metric_points', 'Number of metric points that were rejected by the memory limiter.', '{datapoints}');
  }

  start(): void {
    if (this.limits.spike >= this.limits.limit) throw new Error(`spike limit (${mib(this.limits.spike)} MiB) must be smaller than the limit (${mib(this.limits.limit)} MiB)`);
    this.settings.logger.info({ limitMiB: mib(this.limits.limit), spikeMiB: mib(this.limits.spike), totalMiB: mib(this.total), gc: this.gc !== undefined }, 'memory limiter started');
    this.check();
    this.timer = setInterval(() => this.check(), this.cfg.check_interval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private maybeGc(minInterval: number): void {
    if (this.gc === undefined) return;
    const now = Date.now();
    if (this.gcRuns > 0 && now - this.lastGc < minInterval) return;
    this.gc();
    this.gcRuns++;
    this.lastGc = now;
    this.measure();
  }

  private measure(): void {
    this.rss = this.readRss();
    this.used = Math.max(0, this.rss - this.heapFree());
  }

  /** One measurement; exposed for tests through status and timers only. */
  check(): void {
    const { limit, soft } = this.limits;
    this.measure();
    if (this.used > limit) this.maybeGc(this.cfg.min_gc_interval_when_hard_limited);
    else if (this.used > soft || this.rss > limit) this.maybeGc(this.cfg.min_gc_interval_when_soft_limited);
    const refusing = this.used > soft;
    if (refusing !== this.refusing) {
      const log = { usedMiB: mib(this.used), rssMiB: mib(this.rss), softLimitMiB: mib(soft), limitMiB: mib(limit) };
      if (refusing) this.settings.logger.warn(log, 'memory usage is above the soft limit; refusing data');
      else this.settings.logger.info(log, 'memory usage is below the soft limit again; accepting data');
      this.refusing = refusing;
    }
  }

  admit(md: MetricsData): void {
    if (!this.refusing) return;
    const n = countDataPoints(md);
    this.refused += n;
    this.refusedCounter.add(n);
    throw PipelineError.backpressure('OB_MEMORY_LIMIT', `memory usage ${mib(this.used)} MiB is above the soft limit ${mib(this.limits.soft)} MiB (limit ${mib(this.limits.limit)} MiB); data refused, retry later`, Math.max(1, Math.ceil(this.cfg.check_interval / 1000)));
  }

  status(): Record<string, unknown> {
    return {
      rssMiB: mib(this.rss),
      usedMiB: mib(this.used),
      limitMiB: mib(this.limits.limit),
      spikeLimitMiB: mib(this.limits.spike),
      softLimitMiB: mib(this.limits.soft),
      totalMemoryMiB: mib(this.total),
      refusing: this.refusing,
      refusedPoints: this.refused,
      gcRuns: this.gcRuns,
      gcExposed: this.gc !== undefined,
      checkIntervalMs: this.cfg.check_interval,
    };
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

function createMemoryLimiter(settings: CreateSettings, cfg: MemoryLimiterConfig, next: Consumer) {
  const ml = new MemoryLimiter(settings, cfg);
  return createProcessor(settings, next, {
    mutatesData: false,
    async start() {
      ml.start();
    },
    async shutdown() {
      ml.stop();
    },
    status: () => ml.status(),
    process(md: MetricsData) {
      ml.admit(md);
      return md;
    },
  });
}

export const memoryLimiterFactory: ProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  type: 'memory_limiter',
  configSchema: memoryLimiterSchema,
  create: createMemoryLimiter,
};
