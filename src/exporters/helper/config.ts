/** Collector exporterhelper options: timeout, retry_on_failure, sending_queue (names and defaults as the Collector's). */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';

export const retrySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval: duration('5s'),
    randomization_factor: z.number().min(0).max(1).default(0.5),
    multiplier: z.number().min(1).default(1.5),
    max_interval: duration('30s'),
    /** 0 = retry forever. */
    max_elapsed_time: duration('300s'),
  })
  .prefault({});
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
  })
  .prefault({});
export type QueueConfig = z.output<typeof queueSchema>;

export const timeoutSchema = duration('5s');
