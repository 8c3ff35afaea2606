/**
 * Real Prometheus 2.42 and VictoriaMetrics processes for the peer tests (binaries from test/helpers/peers.ts),
 * on 127.0.0.1 ports with temp data dirs; `stop()` kills the process (by its own pid) and waits for its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheus, victoriaMetrics } from '../helpers/peers.ts';
import { freePort } from '../helpers/ports.ts';

export interface Peer {
  port: number;
  url: string;
  dir: string;
  output: () => string;
  stop(): Promise<void>;
}

async function waitHttp(url: string, proc: ChildProcess, out: () => string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`peer exited (${proc.exitCode}): ${out().slice(-2000)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`peer not ready at ${url}: ${out().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(bin: string, args: string[], port: number, dir: string, readyPath: string): Promise<Peer> {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
  proc.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const peer: Peer = {
    port,
    url,
    dir,
    output: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
  };
  return waitHttp(url + readyPath, proc, () => log).then(
    () => peer,
    async (err: unknown) => {
      await peer.stop();
      throw err;
    },
  );
}

/** Prometheus with the given scrape configs (YAML list under scrape_configs) and extra flags. */
export async function startPrometheus(scrapeConfigs = '[]', flags: string[] = []): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'prom-peer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs: ${scrapeConfigs}\n`);
  return run(prometheus(), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, ...flags], port, dir, '/-/ready');
}

export async function startVictoriaMetrics(): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-peer-'));
  const port = await freePort();
  return run(victoriaMetrics(), [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s', '-loggerLevel=ERROR'], port, dir, '/health');
}

export interface PromSample {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** PromQL range-vector selector evaluated at `timeSec`: raw samples per series (Prometheus and VictoriaMetrics). */
export async function rawSamples(peer: Peer, selector: string, window = '1h', timeSec = Date.now() / 1000): Promise<PromSample[]> {
  const u = `${peer.url}/api/v1/query?query=${encodeURIComponent(`${selector}[${window}]`)}&time=${timeSec}`;
  const r = (await (await fetch(u)).json()) as { status: string; data: { result: PromSample[] }; error?: string };
  if (r.status !== 'success') throw new Error(`query ${selector} failed: ${r.error}`);
  return r.data.result;
}

/** Instant query; returns `{labels} -> value`. */
export async function instant(peer: Peer, query: string): Promise<Map<string, number>> {
  const r = (await (await fetch(`${peer.url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (r.status !== 'success') throw new Error(`query ${query} failed: ${r.error}`);
  return new Map(r.data.result.map((x) => [labelKey(x.metric), Number(x.value[1])]));
}

export const labelKey = (m: Record<string, string>): string => {
  const name = m['__name__'] ?? '';
  return name + '{' + Object.keys(m).filter((k) => k !== '__name__').sort().map((k) => `${k}="${m[k]}"`).join(',') + '}';
};
