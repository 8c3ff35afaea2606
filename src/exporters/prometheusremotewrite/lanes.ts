/**
 * One sender per shard ("lane"): each lane ships its requests strictly one after the other, in the order they were
 * pushed, so samples of a series (always in the same lane) reach the receiver in timestamp order while lanes run in
 * parallel (RW 1.0 spec rule 11).
 *
 * Contract
 * - `push(job)` appends to the job's lane (no bound here: the exporter checks its queue capacity before translating a
 *   batch, so a batch is never half queued). Lanes are created on demand (`ensure`).
 * - A worker calls `ship(job, signal)` (which retries as configured) and then `finished(job, error?)` exactly once per
 *   job, success or not; the next job of that lane starts only after `finished` returned.
 * - `idle()` resolves when nothing is queued or in flight. `stop(deadline)` ends the workers: queued jobs still ship
 *   until `deadline` when `drain`, otherwise only the in-flight ones; at the deadline the signal aborts everything.
 *   Jobs never started are returned to the caller.
 */
import { PipelineError } from '../../component/errors.ts';

export interface LaneJob {
  lane: number;
  version: 1 | 2;
  body: Buffer;
  points: number;
  samples: number;
  exemplars: number;
}

export type ShipFn<J extends LaneJob> = (job: J, signal: AbortSignal) => Promise<void>;
export type FinishedFn<J extends LaneJob> = (job: J, err: PipelineError | undefined) => void;

interface Lane<J> {
  queue: J[];
  head: number;
  wake: (() => void) | undefined;
  busy: boolean;
  worker: Promise<void>;
}

export class Lanes<J extends LaneJob> {
  private readonly lanes: Lane<J>[] = [];
  private readonly ship: ShipFn<J>;
  private readonly finished: FinishedFn<J>;
  private readonly abort = new AbortController();
  private stopping = false;
  private drain = true;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(ship: ShipFn<J>, finished: FinishedFn<J>) {
    this.ship = ship;
    this.finished = finished;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Jobs queued or in flight. */
  get size(): number {
    return this.pending;
  }

  get count(): number {
    return this.lanes.length;
  }

  ensure(n: number): void {
    while (this.lanes.length < n) {
      const lane: Lane<J> = { queue: [], head: 0, wake: undefined, busy: false, worker: Promise.resolve() };
      this.lanes.push(lane);
      lane.worker = this.work(lane);
    }
  }

  push(job: J): void {
    if (this.stopping) throw PipelineError.retryable('OB_EXPORTER_STOPPED', 'exporter is shutting down');
    this.ensure(job.lane + 1);
    const lane = this.lanes[job.lane]!;
    lane.queue.push(job);
    this.pending++;
    lane.wake?.();
  }

  /** Resolves when no job is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async work(lane: Lane<J>): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) return;
      if (lane.head >= lane.queue.length || (this.stopping && !this.drain)) {
        if (this.stopping) return;
        await new Promise<void>((r) => (lane.wake = r));
        lane.wake = undefined;
        continue;
      }
      const job = lane.queue[lane.head]!;
      lane.queue[lane.head++] = undefined as never;
      if (lane.head > 256 && lane.head * 2 > lane.queue.length) {
        lane.queue.splice(0, lane.head);
        lane.head = 0;
      }
      lane.busy = true;
      let err: PipelineError | undefined;
      try {
        await this.ship(job, this.abort.signal);
      } catch (e) {
        err = PipelineError.from(e);
      }
      lane.busy = false;
      this.pending--;
      this.finished(job, err);
      if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Stops the workers (see contract); returns the jobs that never started. */
  async stop(deadlineMs: number, drain: boolean): Promise<J[]> {
    this.stopping = true;
    this.drain = drain;
    for (const l of this.lanes) l.wake?.();
    const timer = setTimeout(() => this.abort.abort(), Math.max(0, deadlineMs - Date.now()));
    await Promise.allSettled(this.lanes.map((l) => l.worker));
    clearTimeout(timer);
    this.abort.abort();
    const left: J[] = [];
    for (const l of this.lanes) for (let i = l.head; i < l.queue.length; i++) left.push(l.queue[i]!);
    this.pending -= left.length;
    return left;
  }

  status(): Record<string, unknown> {
    return { lanes: this.lanes.length, queued: this.pending, busy: this.lanes.filter((l) => l.busy).length };
  }
}
