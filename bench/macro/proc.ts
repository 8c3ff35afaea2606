/**
 * Child processes of a macro workload: the load tools of bench/load/ (JSON lines on stdout, commands on stdin, see
 * bench/load/common.ts) and the measured program (the gateway, or a peer such as vmagent), whose CPU (utime + stime
 * from /proc/<pid>/stat) and peak RSS (VmHWM from /proc/<pid>/status) are read from outside, so the measurement costs
 * the measured process nothing. Only processes started here are ever signalled, by their pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../load/common.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Node 24 (the project's node@24), whatever `node` is on PATH. */
export const NODE = process.execPath;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

type Msg = Record<string, unknown> & { event: string };

/** A load tool run as a child (`--parent` mode). */
export class Tool {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Promise<Msg>;
  private readonly last = new Map<string, Msg>();
  private readonly waiters: Array<{ event: string; resolve: (m: Msg) => void }> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(script: string, args: string[], opts: { maxSeconds?: number } = {}) {
    this.name = script;
    this.child = spawn(NODE, [join(ROOT, 'bench', 'load', script), '--parent', '--max-seconds', String(opts.maxSeconds ?? 900), ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let m: Msg;
        try {
          m = JSON.parse(line) as Msg;
        } catch {
          continue;
        }
        this.last.set(m.event, m);
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          if (this.waiters[i]!.event === m.event) this.waiters.splice(i, 1)[0]!.resolve(m);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => {
      if (this.stderr.length < 20_000) this.stderr += c;
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.ready = Promise.race([
      this.next('ready'),
      this.exited.then((code) => {
        throw new Error(`${script} exited (${code}) before ready: ${this.stderr.slice(-2000)}`);
      }),
    ]);
  }

  /** The next message of this event. */
  next(event: string): Promise<Msg> {
    return new Promise((resolve) => this.waiters.push({ event, resolve }));
  }

  latest(event: string): Msg | undefined {
    return this.last.get(event);
  }

  command(cmd: string): void {
    if (this.child.stdin?.writable) this.child.stdin.write(`${cmd}\n`);
  }

  /** Fresh stats: asks for them and waits (2 s at most, then the last ones seen). */
  async stats(): Promise<Msg | undefined> {
    const p = this.next('stats');
    this.command('stats');
    return Promise.race([p, sleep(2000).then(() => this.latest('stats'))]);
  }

  /** Stops the tool; resolves with its `done` message when it sent one. */
  async stop(): Promise<Msg | undefined> {
    if (this.child.exitCode !== null) return this.latest('done');
    const done = this.next('done');
    this.child.stdin?.end();
    const r = await Promise.race([done, this.exited.then(() => undefined), sleep(8000).then(() => undefined)]);
    if (this.child.exitCode === null && this.child.pid !== undefined) this.child.kill('SIGKILL');
    return r ?? this.latest('done');
  }
}

/** CPU seconds (user + system) of `pid` so far, or NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is index 0, so utime (14th field) is index 11, stime index 12.
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** VmHWM / VmRSS of `pid` in bytes (NaN once gone). */
export function memory(pid: number): { peakRss: number; rss: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return { peakRss: NaN, rss: NaN };
  }
}

/** A measured program started as a child; its output goes to `logFile`. */
export class Measured {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;

  constructor(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env) {
    const log = createWriteStream(logFile);
    this.child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    if (this.child.pid === undefined) throw new Error(`could not start ${cmd}`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  cpu(): number {
    return cpuSeconds(this.pid);
  }

  memory(): { peakRss: number; rss: number } {
    return memory(this.pid);
  }

  /** SIGTERM, wait up to `graceMs` (a gateway drains, a --cpu-prof profile is written on exit), then SIGKILL. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done && this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Polls `url` until it answers 200 (or `timeoutMs` passes: throws). */
export async function waitHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive()) throw new Error(`process exited while waiting for ${url}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
