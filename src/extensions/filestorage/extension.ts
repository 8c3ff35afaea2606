/**
 * `file_storage` extension (Collector contrib option names): durable storage on local disk for persistent sending
 * queues (`sending_queue.storage: file_storage/<name>` on an exporter).
 *
 *   extensions:
 *     file_storage/queue:
 *       directory: /var/lib/otelcol/file_storage   # default, as the Collector
 *       create_directory: false                    # true = mkdir -p with directory_permissions
 *       directory_permissions: "0750"
 *       timeout: 1s                                # how long to wait for another process's lock
 *       fsync: true                                # fdatasync before a queued batch is acknowledged (see below)
 *       compaction: {...}                          # accepted; nothing to compact (acknowledged segments are deleted)
 *
 * Contract
 * - `openQueueDir(kind, id)` gives a component its own sub-directory (`<kind>_<type>_<name>_metrics`, as the
 *   Collector names its files) and holds an exclusive lock on it (a `lock` file with our pid) until `release()`.
 *   A lock left by a dead process (kill -9) is taken over; a live holder makes it wait up to `timeout`, then fail
 *   with a message naming the directory and the pid.
 * - `fsync` defaults to TRUE here, unlike the Collector (false): the queue promises that an acknowledged batch
 *   survives a power loss, and group commit keeps the cost to one fdatasync per burst of batches. With false a batch
 *   still survives a process crash or kill -9 (it is in the page cache), not a machine crash.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Component, CreateSettings, ExtensionFactory, Host } from '../../component/component.ts';
import { duration } from '../../config/duration.ts';
import { tryLock, unlock } from '../../util/pid-lock.ts';

export const fileStorageSchema = z.strictObject({
  directory: z.string().min(1).default('/var/lib/otelcol/file_storage'),
  create_directory: z.boolean().default(false),
  directory_permissions: z.string().regex(/^0?[0-7]{3}$/, 'expected an octal mode such as "0750"').default('0750'),
  timeout: duration('1s'),
  fsync: z.boolean().default(true),
  compaction: z
    .strictObject({
      on_start: z.boolean().optional(),
      on_rebound: z.boolean().optional(),
      directory: z.string().optional(),
      max_transaction_size: z.number().optional(),
      rebound_needed_threshold_mib: z.number().optional(),
      rebound_trigger_threshold_mib: z.number().optional(),
      check_interval: z.string().optional(),
      cleanup_on_start: z.boolean().optional(),
    })
    .optional(),
});
export type FileStorageConfig = z.output<typeof fileStorageSchema>;

export interface QueueDir {
  readonly path: string;
  release(): void;
}

export interface StorageExtension extends Component {
  readonly fsync: boolean;
  openQueueDir(kind: string, componentId: string): Promise<QueueDir>;
}

export function componentDirName(kind: string, componentId: string): string {
  const safe = componentId.replace(/\//g, '_').replace(/[^A-Za-z0-9_.-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`);
  return `${kind}_${safe}_metrics`;
}

class FileStorage implements StorageExtension {
  private readonly settings: CreateSettings;
  private readonly cfg: FileStorageConfig;
  private readonly open = new Set<string>();

  constructor(settings: CreateSettings, cfg: FileStorageConfig) {
    this.settings = settings;
    this.cfg = cfg;
  }

  get fsync(): boolean {
    return this.cfg.fsync;
  }

  async start(): Promise<void> {
    const dir = this.cfg.directory;
    if (this.cfg.create_directory) mkdirSync(dir, { recursive: true, mode: parseInt(this.cfg.directory_permissions, 8) });
    let st;
    try {
      st = statSync(dir);
    } catch {
      throw new Error(`directory "${dir}" does not exist; create it or set create_directory: true`);
    }
    if (!st.isDirectory()) throw new Error(`"${dir}" is not a directory`);
    this.settings.logger.info({ directory: dir, fsync: this.cfg.fsync }, 'file storage ready');
  }

  async openQueueDir(kind: string, componentId: string): Promise<QueueDir> {
    const path = join(this.cfg.directory, componentDirName(kind, componentId));
    mkdirSync(path, { recursive: true, mode: parseInt(this.cfg.directory_permissions, 8) });
    const lock = join(path, 'lock');
    const until = Date.now() + this.cfg.timeout;
    const stale = (previousPid: number) => this.settings.logger.warn({ directory: path, previousPid }, 'taking over a queue directory lock left by a stopped process');
    for (;;) {
      let holder;
      try {
        holder = tryLock(lock, stale);
      } catch (err) {
        throw new Error(`cannot lock "${path}": ${(err as Error).message}`);
      }
      if (holder === undefined) break;
      if (Date.now() >= until) throw new Error(`queue directory "${path}" is locked by process ${holder} (another otel-bridge using the same file_storage directory?)`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.open.add(lock);
    return {
      path,
      release: () => {
        if (this.open.delete(lock)) unlock(lock);
      },
    };
  }

  async shutdown(): Promise<void> {
    // Queues release their own directories on shutdown (they stop first: exporters shut down before extensions).
  }

  status(): Record<string, unknown> {
    return { directory: this.cfg.directory, fsync: this.cfg.fsync, openQueues: this.open.size };
  }
}

export function storageExtension(host: Host, id: string, who: string): StorageExtension {
  const ext = host.getExtension(id) as Partial<StorageExtension> | undefined;
  if (ext === undefined) throw new Error(`${who}: storage "${id}" is not a running extension; define it under "extensions:" and list it in service.extensions`);
  if (typeof ext.openQueueDir !== 'function') throw new Error(`${who}: extension "${id}" is not a storage extension (use file_storage)`);
  return ext as StorageExtension;
}

export const fileStorageFactory: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  configSchema: fileStorageSchema,
  create: (settings, config) => new FileStorage(settings, config),
};
