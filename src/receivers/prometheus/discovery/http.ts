/**
 * `http_sd_configs` (Prometheus discovery/http): GET `url` every `refresh_interval` (first at start) with
 * `Accept: application/json` and `X-Prometheus-Refresh-Interval-Seconds`; the answer must be 200 with a JSON content
 * type and a JSON list of target groups. Groups get `__meta_url`; sources are `<url>:<index>`. A failed refresh
 * keeps the last good groups, is logged and shown in status().
 */
import type { Logger } from 'pino';
import type { HttpSdConfig } from '../config-sd.ts';
import { HttpClient } from '../scrape/http-client.ts';
import { decodeGroups } from './groups.ts';
import { ProviderState, type Provider, type ProviderStatus, type TargetGroup } from './types.ts';

const JSON_CT = /^application\/json(;\s*charset=("utf-8"|utf-8))?$/i;
const MAX_BODY = 64 * 1024 * 1024;

export class HttpProvider implements Provider {
  readonly name: string;
  private readonly cfg: HttpSdConfig;
  private readonly logger: Logger;
  private readonly client: HttpClient;
  private readonly state: ProviderState;
  private readonly ac = new AbortController();
  private update: ((groups: TargetGroup[]) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEmitted = '';
  private inflight: Promise<void> | undefined;

  constructor(name: string, cfg: HttpSdConfig, logger: Logger, userAgent: string) {
    this.name = name;
    this.cfg = cfg;
    this.logger = logger;
    this.client = new HttpClient(cfg.http, userAgent);
    this.state = new ProviderState(name);
  }

  start(update: (groups: TargetGroup[]) => void): void {
    this.update = update;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.cfg.refreshIntervalMs);
    this.timer.unref();
  }

  refresh(): Promise<void> {
    return (this.inflight ??= this.doRefresh().finally(() => (this.inflight = undefined)));
  }

  private async doRefresh(): Promise<void> {
    const chunks: Buffer[] = [];
    let contentType = '';
    try {
      await this.client.get(this.cfg.url, {
        timeoutMs: this.cfg.refreshIntervalMs,
        headers: { Accept: 'application/json', 'X-Prometheus-Refresh-Interval-Seconds': String(this.cfg.refreshIntervalMs / 1000) },
        bodySizeLimit: MAX_BODY,
        signal: this.ac.signal,
        onResponse: (ct) => {
          contentType = ct;
          if (!JSON_CT.test(ct.trim())) throw new Error(`unsupported content type ${JSON.stringify(ct)}`);
        },
        onChunk: (c) => chunks.push(c),
      });
      void contentType;
      const groups = decodeGroups(JSON.parse(Buffer.concat(chunks).toString('utf8')), `${this.cfg.url}:`, { __meta_url: this.cfg.url }, false);
      this.state.ok(groups);
      const key = JSON.stringify(groups);
      if (key !== this.lastEmitted && this.update !== undefined) {
        this.lastEmitted = key;
        this.update(groups);
      }
    } catch (err) {
      if (this.ac.signal.aborted) return;
      const msg = (err as Error).message;
      if (this.state.lastError !== msg) this.logger.error({ url: this.cfg.url, err: msg }, 'http_sd: refresh failed; keeping the last good targets');
      this.state.lastError = msg;
    }
  }

  stop(): void {
    this.update = undefined;
    clearInterval(this.timer);
    this.ac.abort();
    this.client.close();
  }

  status(): ProviderStatus {
    return this.state.status();
  }
}
