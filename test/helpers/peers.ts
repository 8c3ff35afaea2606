/**
 * Real peers for end-to-end tests, from Debian's packages. Go binaries (prometheus, promtool, vmagent,
 * victoria-metrics, node exporter) are unpacked with `apt-get download` + `dpkg -x` into a cache folder (no service
 * is installed or started); Chromium needs its libraries, so it is installed with `apt-get install`.
 * `apt-get update` runs at most once per cache folder. Everything started from here listens on 127.0.0.1 only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CACHE_DIR = resolve(process.env['OTEL_BRIDGE_PEER_CACHE'] ?? join(import.meta.dirname, '..', '..', '.cache', 'peers'));

function aptUpdateOnce(): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const stamp = join(CACHE_DIR, '.apt-updated');
  if (existsSync(stamp)) return;
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
  writeFileSync(stamp, new Date().toISOString());
}

/** Path to `relBin` (e.g. "usr/bin/promtool") inside the unpacked Debian package `pkg`. */
export function debBinary(pkg: string, relBin: string): string {
  const root = join(CACHE_DIR, pkg);
  const bin = join(root, relBin);
  if (existsSync(bin)) return bin;
  aptUpdateOnce();
  const dl = join(CACHE_DIR, `${pkg}.download`);
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  execFileSync('apt-get', ['download', '-qq', pkg], { cwd: dl, stdio: 'ignore', timeout: 300_000 });
  const deb = readdirSync(dl).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
  execFileSync('dpkg', ['-x', join(dl, deb), root], { stdio: 'ignore' });
  rmSync(dl, { recursive: true, force: true });
  if (!existsSync(bin)) throw new Error(`${pkg} has no ${relBin}`);
  return bin;
}

export function promtool(): string {
  return debBinary('prometheus', 'usr/bin/promtool');
}
export function prometheus(): string {
  return debBinary('prometheus', 'usr/bin/prometheus');
}
export function vmagent(): string {
  return debBinary('victoria-metrics', 'usr/bin/vmagent');
}
export function victoriaMetrics(): string {
  return debBinary('victoria-metrics', 'usr/bin/victoria-metrics');
}
export function nodeExporter(): string {
  return debBinary('prometheus-node-exporter', 'usr/bin/prometheus-node-exporter');
}

/** Debian Chromium, installed with its libraries when missing. */
export function chromium(): string {
  const bin = '/usr/bin/chromium';
  if (existsSync(bin)) return bin;
  aptUpdateOnce();
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: 'ignore',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync(bin)) throw new Error('apt-get install chromium did not provide /usr/bin/chromium');
  return bin;
}
