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
import { ProviderState, type Provider, type ProviderStatus, type TargetGroup } from './types.ts';

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class FileProvider implements Provider {
  readonly name: string;
  private readonly cfg: FileSdConfig;
  private readonly logger: Logger;
  private readonly state: ProviderState;
  private readonly perFile = new Map<string, TargetGroup[]>();
  private readonly errors = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private update: ((groups: TargetGroup[]) => void) | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastEmitted = '';
  private stopped = false;

  constructor(name: string, cfg: FileSdConfig, logger: Logger) {
    this.name = name;
    this.cfg = cfg;
    this.logger = logger;
    this.state = new ProviderState(name);
  }

  start(update: (groups: TargetGroup[]) => void): void {
    this.update = update;
    this.refresh();
    this.interval = setInterval(() => this.refresh(), this.cfg.refreshIntervalMs);
    this.interval.unref();
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || this.stopped) return;
    try {
      const w = watch(dir, { persistent: false }, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.refresh(), 50);
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

  /** Serialised: a refresh requested while one runs is run once more afterwards. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.doRefresh().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
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

  private async doRefresh(): Promise<void> {
    const files = await this.files();
    const present = new Set<string>();
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.fail(f, (err as Error).message);
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
        this.fail(f, (err as Error).message);
      }
    }
    for (const f of [...this.perFile.keys()]) if (!present.has(f)) this.perFile.delete(f);
    for (const f of [...this.errors.keys()]) if (!present.has(f)) this.errors.delete(f);
    const groups = [...this.perFile.values()].flat();
    this.state.ok(groups);
    this.state.lastError = this.errors.size === 0 ? undefined : [...this.errors].map(([f, e]) => `${f}: ${e}`).join('; ');
    const key = JSON.stringify(groups);
    if (key !== this.lastEmitted && !this.stopped) {
      this.lastEmitted = key;
      this.update?.(groups);
    }
  }

  private fail(file: string, message: string): void {
    if (this.errors.get(file) !== message) {
      this.logger.error({ file, err: message }, 'file_sd: error reading file; keeping its last good targets');
    }
    this.errors.set(file, message);
  }

  stop(): void {
    this.stopped = true;
    this.update = undefined;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  status(): ProviderStatus {
    return this.state.status();
  }
}
