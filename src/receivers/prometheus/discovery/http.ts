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
import { PollingProvider } from './polling.ts';
import type { TargetGroup } from './types.ts';

const JSON_CT = /^application\/json(;\s*charset=("utf-8"|utf-8))?$/i;
const MAX_BODY = 64 * 1024 * 1024;

export class HttpProvider extends PollingProvider {
  private readonly cfg: HttpSdConfig;
  private readonly client: HttpClient;
  private readonly ac = new AbortController();

  constructor(name: string, cfg: HttpSdConfig, logger: Logger, userAgent: string) {
    super(name, logger, { intervalMs: cfg.refreshIntervalMs, logContext: { url: cfg.url }, errorMessage: 'http_sd: refresh failed; keeping the last good targets' });
    this.cfg = cfg;
    this.client = new HttpClient(cfg.http, userAgent);
  }

  protected async discover(): Promise<TargetGroup[]> {
    const chunks: Buffer[] = [];
    await this.client.get(this.cfg.url, {
      timeoutMs: this.cfg.refreshIntervalMs,
      headers: { Accept: 'application/json', 'X-Prometheus-Refresh-Interval-Seconds': String(this.cfg.refreshIntervalMs / 1000) },
      bodySizeLimit: MAX_BODY,
      signal: this.ac.signal,
      onResponse: (ct) => {
        if (!JSON_CT.test(ct.trim())) throw new Error(`unsupported content type ${JSON.stringify(ct)}`);
      },
      onChunk: (c) => chunks.push(c),
    });
    return decodeGroups(JSON.parse(Buffer.concat(chunks).toString('utf8')), `${this.cfg.url}:`, { __meta_url: this.cfg.url }, false);
  }

  override stop(): void {
    super.stop();
    this.ac.abort();
    this.client.close();
  }
}
