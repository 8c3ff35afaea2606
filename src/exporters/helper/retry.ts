/**
 * Exponential backoff with jitter (the Collector's retry_on_failure), honouring a server's Retry-After / RetryInfo.
 * Only retryable errors are retried; permanent ones fail at once. Cancelled by `signal` on shutdown.
 */
import { PipelineError } from '../../component/errors.ts';
import type { RetryConfig } from './config.ts';

export async function withRetry<T>(cfg: RetryConfig, signal: AbortSignal, attempt: () => Promise<T>, onRetry?: (err: PipelineError, waitMs: number) => void): Promise<T> {
  const startedAt = Date.now();
  let interval = cfg.initial_interval;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const e = PipelineError.from(err);
      if (!cfg.enabled || e.errorClass === 'permanent' || signal.aborted) throw e;
      const jitter = interval * cfg.randomization_factor;
      let wait = interval - jitter + Math.random() * 2 * jitter;
      if (e.retryAfterSeconds !== undefined) wait = Math.max(wait, e.retryAfterSeconds * 1000);
      if (cfg.max_elapsed_time > 0 && Date.now() - startedAt + wait > cfg.max_elapsed_time) {
        throw new PipelineError(e.errorClass, e.code, `giving up after ${Math.round((Date.now() - startedAt) / 1000)} s of retries: ${e.message}`, { cause: e });
      }
      onRetry?.(e, wait);
      await sleep(wait, signal);
      if (signal.aborted) throw e;
      interval = Math.min(interval * cfg.multiplier, cfg.max_interval);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
