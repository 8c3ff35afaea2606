/**
 * `file_sd_configs` (Prometheus discovery/file): JSON (`.json`) or YAML (`.yml`, `.yaml`) files of target groups,
 * `*`/`?` patterns in the last path element. Re-read on fs.watch events of the files' directories (debounced) and
 * every `refresh_interval`. Each group gets `__meta_filepath`; sources are `<file>:<index>`.
 * A file that fails to read or decode keeps its last good groups; the error is logged once per distinct message and
 * shown in status(). A file that disappears takes its groups with it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { FileSdConfig } from '../config-sd.ts';
import { decodeGroups } from './groups.ts';
import { PollingProvider } from './polling.ts';
import type { TargetGroup } from './types.ts';

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class FileProvider extends PollingProvider {
  private readonly cfg: FileSdConfig;
  private readonly perFile = new Map<string, TargetGroup[]>();
  private readonly watchers = new Map<string, FSWatcher>();
  private debounce: NodeJS.Timeout | undefined;

  constructor(name: string, cfg: FileSdConfig, logger: Logger) {
    super(name, logger, { intervalMs: cfg.refreshIntervalMs, keyField: 'file', errorMessage: 'file_sd: error reading file; keeping its last good targets', rerunWhenBusy: true });
    this.cfg = cfg;
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.stopped) return;
    try {
      const w = watch(dir, { persistent: false }, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.refresh(), 50);
        this.debounce.unref();
      });
      w.on('error', () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // Directory missing: the periodic refresh retries.
    }
  }

  private async files(): Promise<string[]> {
    const out = new Set<string>();
    for (const pattern of this.cfg.files) {
      const dir = dirname(pattern);
      const base = basename(pattern);
      this.watchDir(dir);
      if (!/[*?]/.test(base)) {
        out.add(pattern);
        continue;
      }
      const re = globToRegExp(base);
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const n of names.sort()) if (re.test(n)) out.add(join(dir, n));
    }
    return [...out];
  }

  protected async discover(): Promise<TargetGroup[]> {
    const files = await this.files();
    const present = new Set<string>();
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.keyFailed(f, (err as Error).message);
        present.add(f);
        continue;
      }
      present.add(f);
      try {
        const json = /\.json$/i.test(f);
        const data: unknown = json ? JSON.parse(text) : parseYaml(text);
        this.perFile.set(f, decodeGroups(data, `${f}:`, { __meta_filepath: f }, !json));
        this.errors.delete(f);
      } catch (err) {
        this.keyFailed(f, (err as Error).message);
      }
    }
    for (const f of [...this.perFile.keys()]) if (!present.has(f)) this.perFile.delete(f);
    for (const f of [...this.errors.keys()]) if (!present.has(f)) this.errors.delete(f);
    return [...this.perFile.values()].flat();
  }

  override stop(): void {
    super.stop();
    clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
