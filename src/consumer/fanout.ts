/**
 * Fan-out of one stream to several consumers. Each consumer gets data it may own: consumers that mutate get their
 * own deep copy (except the last one, which may take the original when no non-mutating consumer shares it), so one
 * exporter's changes never reach another. All consumers are called concurrently; a slow one does not hold the
 * others' data hostage (each owns its copy), but the returned promise settles when all did, so backpressure reaches
 * the caller. If several fail, the first error is raised (the strongest class wins: permanent < retryable < backpressure).
 */
import { cloneMetricsData } from '../model/clone.ts';
import type { MetricsData } from '../model/types.ts';
import { mutatesAttributes, type ConsumeContext, type Consumer } from './consumer.ts';
import { PipelineError, strongestError } from '../component/errors.ts';

export function fanOut(consumers: readonly Consumer[]): Consumer {
  if (consumers.length === 1) return consumers[0]!;
  const readOnly = consumers.filter((c) => !c.mutatesData);
  const mutating = consumers.filter((c) => c.mutatesData);
  return {
    mutatesData: false,
    // The last mutating consumer gets the original data (the others get copies).
    mutatesAttributes: mutating.some((c) => mutatesAttributes(c)),
    // Clones for mutating consumers read the objects; otherwise it is up to every consumer.
    usesEncodedOnly: mutating.length === 0 && consumers.every((c) => c.usesEncodedOnly === true),
    async consume(md: MetricsData, ctx: ConsumeContext): Promise<void> {
      const calls: Promise<void>[] = [];
      // Read-only consumers share one copy that nobody mutates. If there are mutating consumers, the original
      // goes to the last mutating one and every other mutating consumer gets a copy; read-only consumers then
      // need a copy as well (since the original is being mutated).
      if (mutating.length === 0) {
        for (const c of readOnly) calls.push(safeCall(c, md, ctx));
      } else {
        const shared = readOnly.length > 0 ? cloneMetricsData(md) : undefined;
        for (const c of readOnly) calls.push(safeCall(c, shared!, ctx));
        for (let i = 0; i < mutating.length; i++) {
          const data = i === mutating.length - 1 ? md : cloneMetricsData(md);
          calls.push(safeCall(mutating[i]!, data, ctx));
        }
      }
      const results = await Promise.allSettled(calls);
      const errors: unknown[] = [];
      for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
      if (errors.length > 0) throw strongestError(errors);
    },
  };
}

function safeCall(c: Consumer, md: MetricsData, ctx: ConsumeContext): Promise<void> {
  try {
    return c.consume(md, ctx);
  } catch (err) {
    return Promise.reject(err instanceof PipelineError ? err : PipelineError.from(err));
  }
}
