/** Collector exporterhelper options: timeout, retry_on_failure, sending_queue (names and defaults as the Collector's). */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { exportBatchSchema } from './batch-sender.ts';

/** Default durations ("5s" style) of a retry_on_failure block; exporters differ only in these. */
export interface RetryDefaults {
  initial_interval: string;
  max_interval: string;
  /** "0s" = retry forever. */
  max_elapsed_time: string;
}

/** A `retry_on_failure` schema with the given default durations (enabled, randomization_factor, multiplier shared). */
export function retrySchemaWith(defaults: RetryDefaults) {
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      initial_interval: duration(defaults.initial_interval),
      randomization_factor: z.number().min(0).max(1).default(0.5),
      multiplier: z.number().min(1).default(1.5),
      max_interval: duration(defaults.max_interval),
      /** 0 = retry forever. */
      max_elapsed_time: duration(defaults.max_elapsed_time),
    })
    .prefault({});
}

/** The Collector's exporterhelper defaults. */
export const retrySchema = retrySchemaWith({ initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s' });
export type RetryConfig = z.output<typeof retrySchema>;

export const queueSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    num_consumers: z.number().int().positive().default(10),
    /** Capacity in batches (as the Collector's default `sizer: requests`). */
    queue_size: z.number().int().positive().default(1000),
    /** When full: false = refuse with backpressure (429/RESOURCE_EXHAUSTED upstream), true = wait for room. */
    blocking: z.boolean().default(false),
    /** Id of a `file_storage` extension for a persistent queue. */
    storage: z.string().optional(),
    /** Exporter-side batching (absent: off): see batch-sender.ts. */
    batch: exportBatchSchema.optional(),
  })
  .prefault({});
export type QueueConfig = z.output<typeof queueSchema>;

export const timeoutSchema = duration('5s');
