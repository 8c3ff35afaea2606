/**
 * Test-only components, registered next to the built-ins:
 *   receiver  `testpush`:  exposes `pushInto(id, md)` so a test can feed a pipeline directly; with `handover: true`
 *             it hands `{generation}` over on reload (generation + 1 of what it got; what it got if never started)
 *             and records the `settings.previous` each instance was created with in `handovers`
 *   processor `testmutate`: rewrites every metric name (prefix) in place (mutatesData = true)
 *   exporter  `testrecord`: records every batch it receives; options: mutate (rename in place after recording a
 *             copy), delay_ms (slow consumer), fail ("permanent" | "retryable" | "backpressure")
 * Instances are reachable by id through `instances` for assertions. Start/stop order is logged into `events`.
 */
import { z } from 'zod';
import type { Component, ExporterComponent, ExporterFactory, ProcessorFactory, ReceiverFactory } from '../../src/component/component.ts';
import { PipelineError } from '../../src/component/errors.ts';
import type { Consumer } from '../../src/consumer/consumer.ts';
import { builtinRegistry } from '../../src/components.ts';
import { cloneMetricsData } from '../../src/model/clone.ts';
import type { MetricsData } from '../../src/model/types.ts';
import type { Registry } from '../../src/component/registry.ts';

export const events: string[] = [];
export const receivers = new Map<string, { next: Consumer }>();
export const recorders = new Map<string, Recorder>();
/** testpush with `handover: true`: the `settings.previous` of every instance created, in creation order. */
export const handovers: Array<{ id: string; previous: unknown }> = [];

export class Recorder implements ExporterComponent {
  readonly mutatesData: boolean;
  readonly batches: MetricsData[] = [];
  /** MetricsData.encoded of each recorded batch (undefined when it had none). */
  readonly encodings: (Uint8Array | undefined)[] = [];
  private readonly id: string;
  private readonly cfg: z.output<typeof recordSchema>;
  constructor(id: string, cfg: z.output<typeof recordSchema>) {
    this.id = id;
    this.cfg = cfg;
    this.mutatesData = cfg.mutate;
  }
  async start(): Promise<void> {
    events.push(`start exporter ${this.id}`);
    recorders.set(this.id, this);
  }
  async shutdown(): Promise<void> {
    events.push(`stop exporter ${this.id}`);
  }
  async consume(md: MetricsData): Promise<void> {
    if (this.cfg.delay_ms > 0) await new Promise((r) => setTimeout(r, this.cfg.delay_ms));
    if (this.cfg.fail === 'permanent') throw PipelineError.permanent('TEST', 'test exporter rejects');
    if (this.cfg.fail === 'retryable') throw PipelineError.retryable('TEST', 'test exporter is down');
    if (this.cfg.fail === 'backpressure') throw PipelineError.backpressure('TEST', 'test exporter is full', 3);
    const copy = cloneMetricsData(md);
    // Tests compare the model; the pass-through bytes are kept apart for the tests that check them.
    this.encodings.push(copy.encoded);
    delete copy.encoded;
    this.batches.push(copy);
    if (this.cfg.mutate) for (const rm of md.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) m.name = `mutated_by_${this.id}`;
  }
  names(): string[] {
    return this.batches.flatMap((b) => b.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name))));
  }
}

const recordSchema = z.strictObject({
  mutate: z.boolean().default(false),
  delay_ms: z.number().default(0),
  fail: z.enum(['none', 'permanent', 'retryable', 'backpressure']).default('none'),
});

const pushFactory: ReceiverFactory<{ port?: number; handover?: boolean }> = {
  kind: 'receiver',
  type: 'testpush',
  configSchema: z.strictObject({ port: z.number().optional(), handover: z.boolean().optional() }) as z.ZodType<{ port?: number; handover?: boolean }>,
  listenAddresses: (c) => (c.port ? [`0.0.0.0:${c.port}`] : []),
  create: (s, c, next) => {
    let started = false;
    if (c.handover === true) handovers.push({ id: s.id, previous: s.previous });
    const comp: Component = {
      async start() {
        started = true;
        events.push(`start receiver ${s.id}`);
        receivers.set(s.id, { next });
      },
      async shutdown() {
        events.push(`stop receiver ${s.id}`);
        receivers.delete(s.id);
      },
    };
    if (c.handover === true) {
      comp.handOver = () => (started ? { generation: ((s.previous as { generation?: number } | undefined)?.generation ?? 0) + 1 } : s.previous);
    }
    return comp;
  },
};

const mutateFactory: ProcessorFactory<{ prefix: string }> = {
  kind: 'processor',
  type: 'testmutate',
  configSchema: z.strictObject({ prefix: z.string().default('p_') }) as z.ZodType<{ prefix: string }>,
  create: (s, c, next) => ({
    mutatesData: true,
    async start() {
      events.push(`start processor ${s.id} ${s.pipeline}`);
    },
    async shutdown() {
      events.push(`stop processor ${s.id} ${s.pipeline}`);
    },
    async consume(md, ctx) {
      for (const rm of md.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) m.name = c.prefix + m.name;
      await next.consume(md, ctx);
    },
  }),
};

const recordFactory: ExporterFactory<z.output<typeof recordSchema>> = {
  kind: 'exporter',
  type: 'testrecord',
  configSchema: recordSchema,
  create: (s, c) => new Recorder(s.id, c),
};

export function testRegistry(): Registry {
  return builtinRegistry().register(pushFactory, mutateFactory, recordFactory);
}

export async function pushInto(receiverId: string, md: MetricsData): Promise<void> {
  const r = receivers.get(receiverId);
  if (!r) throw new Error(`receiver ${receiverId} is not running`);
  await r.next.consume(md, {});
}

/** A small batch: one resource, one gauge per name with one point. */
export function gaugeBatch(names: string[], value = 1): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'test' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'test', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: names.map((name) => ({
              type: 'gauge' as const,
              name,
              description: '',
              unit: '',
              metadata: [],
              points: [{ attributes: [{ key: 'k', value: 'v' }], startTimeUnixNano: 0n, timeUnixNano: 1_700_000_000_000_000_000n, flags: 0, value, exemplars: [] }],
            })),
          },
        ],
      },
    ],
  };
}
