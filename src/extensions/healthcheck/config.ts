/** `health_check` extension config (Collector names): endpoint, path; plus the ops routes it hosts. */
import { z } from 'zod';

export const healthCheckSchema = z.strictObject({
  endpoint: z.string().default('0.0.0.0:13133'),
  /** Collector's health path; `/healthz` is always served too. */
  path: z.string().startsWith('/').default('/'),
  /** Accepted for Collector compatibility; pipelines are always checked by /readyz. */
  check_collector_pipeline: z.unknown().optional(),
  response_body: z.strictObject({ healthy: z.string().optional(), unhealthy: z.string().optional() }).optional(),
});
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;

export function splitHostPort(endpoint: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`invalid endpoint "${endpoint}": expected host:port`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!, port: Number(m[2]) };
}
