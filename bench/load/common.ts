/**
 * Shared pieces of the load tools in bench/load/ (scrape-target farm, sinks, OTLP load generator, /metrics scraper).
 *
 * Contract of every tool:
 * - Binds 127.0.0.1 only, on port 0 unless a port is given; the ports it got are in its `ready` line.
 * - Stops by itself: a hard deadline (`--max-seconds`, default 900) ends it whatever happens; every loop is bounded
 *   in count and time.
 * - Run alone it prints human lines; run by a macro workload (`--parent`) it speaks JSON lines on stdout
 *   (`{"event":"ready",...}`, `{"event":"stats",...}` every `--stats-ms`, `{"event":"done",...}`), reads line commands
 *   on stdin (`stats`, `pause`, `resume`, `stop`), and stops when stdin closes (its parent died or is done).
 */
import { createServer } from 'node:net';

export interface Args {
  str(name: string, dflt: string): string;
  num(name: string, dflt: number): number;
  bool(name: string): boolean;
}

/** `--name value` and `--flag` arguments. */
export function parseArgs(argv: string[] = process.argv.slice(2)): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    str: (name, dflt) => get(name) ?? dflt,
    num: (name, dflt) => {
      const v = get(name);
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got ${JSON.stringify(v)}`);
      return n;
    },
    bool: (name) => argv.includes(`--${name}`),
  };
}

export interface ToolIo {
  /** True when run by a macro workload (JSON lines, stdin commands). */
  readonly parent: boolean;
  /** A JSON line in parent mode, `human` (or the JSON) otherwise. */
  emit(event: string, data: object, human?: string): void;
  /** Registers a stdin command handler (parent mode). */
  onCommand(cmd: string, fn: () => void): void;
  /** Stops the tool (as the deadline or `stop` would). */
  stop(): void;
}

/**
 * Wires the lifetime of a tool: hard deadline, SIGTERM/SIGINT, stdin close and the `stop` command all call `stop`
 * once; the process exits after `stop` resolves (or 5 s later at most).
 */
export function toolIo(args: Args, stop: () => Promise<void> | void): ToolIo {
  const parent = args.bool('parent');
  const maxSeconds = args.num('max-seconds', 900);
  const handlers = new Map<string, () => void>();
  let stopping = false;
  const finish = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 5000).unref();
    Promise.resolve()
      .then(stop)
      .catch((err: unknown) => process.stderr.write(`stop failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  };
  // Unref'd: servers keep a tool alive until the deadline; a tool with nothing open left exits on its own.
  setTimeout(finish, maxSeconds * 1000).unref();
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  handlers.set('stop', finish);
  if (parent) {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        handlers.get(line)?.();
      }
    });
    process.stdin.on('end', finish);
    process.stdin.on('close', finish);
  }
  return {
    parent,
    emit(event, data, human) {
      if (parent) process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
      else if (human !== undefined) process.stdout.write(`${human}\n`);
    },
    onCommand(cmd, fn) {
      handlers.set(cmd, fn);
    },
    stop: finish,
  };
}

/** A TCP port free on 127.0.0.1 right now (bound to port 0 and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Latency recorder: keeps up to `cap` values (reservoir-free: first `cap`, then every k-th), reports percentiles. */
export class Latencies {
  private readonly values: number[] = [];
  private seen = 0;
  private readonly cap: number;

  constructor(cap = 100_000) {
    this.cap = cap;
  }

  add(v: number): void {
    this.seen++;
    if (this.values.length < this.cap) this.values.push(v);
    else this.values[this.seen % this.cap] = v;
  }

  get count(): number {
    return this.seen;
  }

  summary(): { count: number; p50: number; p90: number; p99: number; max: number; mean: number } {
    const s = [...this.values].sort((a, b) => a - b);
    const q = (p: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
    const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
    return { count: this.seen, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.length ? s[s.length - 1]! : NaN, mean };
  }
}

/** Protobuf wire reading over a Buffer: enough to walk messages and count fields without decoding them. */
export class Wire {
  pos = 0;
  readonly buf: Uint8Array;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  varint(): number {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      if (this.pos >= this.end) throw new Error('truncated varint');
      b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  }

  /** Skips the value of a field of wire type `wt`. */
  skip(wt: number): void {
    if (wt === 0) this.varint();
    else if (wt === 1) this.pos += 8;
    else if (wt === 5) this.pos += 4;
    else if (wt === 2) {
      const len = this.varint(); // read first: `this.pos += this.varint()` would add to the position before the varint
      this.pos += len;
    }
    else throw new Error(`unsupported wire type ${wt}`);
    if (this.pos > this.end) throw new Error('truncated field');
  }

  /** For a length-delimited field: returns [start, end] of its bytes and moves past it. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('truncated bytes');
    return [start, this.pos];
  }
}

/** Sleeps `ms` (unref'd timers never hold a tool open past its deadline). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
