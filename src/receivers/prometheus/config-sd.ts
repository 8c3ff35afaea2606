/**
 * Service-discovery sections of a scrape config: `static_configs`, `file_sd_configs`, `http_sd_configs`,
 * `dns_sd_configs`, with Prometheus's defaults (file 5m, http 60s, dns 30s refresh; dns type SRV) and validation
 * messages. Other Prometheus SD mechanisms are named in `UNSUPPORTED_SD` so a config using one gets "not supported"
 * rather than "unknown option".
 */
import { z } from 'zod';
import { isValidLabelName } from '../../relabel/index.ts';
import { checkHttpClient, httpClientFields, resolveHttpClient, type HttpClientConfig } from './config-http.ts';
import { parsePromDuration } from './units.ts';

/** A Prometheus `model.Duration` string ("15s", "1m30s", "0"), yielding milliseconds. */
export const promDuration = z.string().transform((v, ctx) => {
  const r = parsePromDuration(v);
  if (typeof r === 'string') {
    ctx.addIssue({ code: 'custom', message: r });
    return z.NEVER;
  }
  return r;
});

/** Label values as Go's YAML decoder accepts them into a string (numbers and booleans become their text). */
export const labelValue = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);

/** A label set; names must be valid (legacy charset). */
export const labelSetSchema = z.record(z.string(), labelValue).superRefine((set, ctx) => {
  for (const name of Object.keys(set)) {
    if (!isValidLabelName(name, 'legacy')) ctx.addIssue({ code: 'custom', path: [name], message: `${JSON.stringify(name)} is not a valid label name` });
  }
});

/** Prometheus `CheckTargetAddress`. Returns an error message or undefined. */
export function checkTargetAddress(address: string): string | undefined {
  if (address.includes('/')) return `${JSON.stringify(address)} is not a valid hostname`;
  return undefined;
}

export const staticConfigSchema = z.strictObject({
  targets: z.array(z.string()).nullish().transform((v) => v ?? []),
  labels: labelSetSchema.nullish().transform((v) => v ?? {}),
});
export type StaticConfig = z.output<typeof staticConfigSchema>;

const FILE_SD_PATTERN = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

export const fileSdConfigSchema = z
  .strictObject({
    files: z.array(z.string()).default([]),
    refresh_interval: promDuration.default(300_000),
  })
  .superRefine((c, ctx) => {
    if (c.files.length === 0) ctx.addIssue({ code: 'custom', path: ['files'], message: 'file service discovery config must contain at least one path name' });
    c.files.forEach((f, i) => {
      if (!FILE_SD_PATTERN.test(f)) ctx.addIssue({ code: 'custom', path: ['files', i], message: `path name ${JSON.stringify(f)} is not valid for file discovery` });
    });
  })
  .transform((c) => ({ files: c.files, refreshIntervalMs: c.refresh_interval || 300_000 }));
export type FileSdConfig = z.output<typeof fileSdConfigSchema>;

export const httpSdConfigSchema = z
  .strictObject({
    url: z.string().default(''),
    refresh_interval: promDuration.default(60_000),
    ...httpClientFields,
  })
  .superRefine((c, ctx) => {
    if (c.url === '') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'URL is missing' });
      return;
    }
    let u: URL;
    try {
      u = new URL(c.url);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `invalid URL ${JSON.stringify(c.url)}` });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['url'], message: "URL scheme must be 'http' or 'https'" });
    if (u.host === '') ctx.addIssue({ code: 'custom', path: ['url'], message: 'host is missing in URL' });
    for (const i of checkHttpClient(c)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  })
  .transform((c) => ({ url: c.url, refreshIntervalMs: c.refresh_interval || 60_000, http: resolveHttpClient(c) }));
export type HttpSdConfig = { url: string; refreshIntervalMs: number; http: HttpClientConfig };

const DNS_TYPES = ['SRV', 'A', 'AAAA', 'MX', 'NS'] as const;
export type DnsRecordType = (typeof DNS_TYPES)[number];

export const dnsSdConfigSchema = z
  .strictObject({
    names: z.array(z.string()).default([]),
    refresh_interval: promDuration.default(30_000),
    type: z.string().default('SRV'),
    port: z.number().int().min(0).max(65535).default(0),
  })
  .superRefine((c, ctx) => {
    if (c.names.length === 0) ctx.addIssue({ code: 'custom', path: ['names'], message: 'DNS-SD config must contain at least one SRV record name' });
    const t = c.type.toUpperCase();
    if (!(DNS_TYPES as readonly string[]).includes(t)) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `invalid DNS-SD records type ${c.type} (expected one of ${DNS_TYPES.join(', ')})` });
    } else if (t !== 'SRV' && c.port === 0) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'a port is required in DNS-SD configs for all record types except SRV' });
    }
  })
  .transform((c) => ({ names: c.names, refreshIntervalMs: c.refresh_interval || 30_000, type: c.type.toUpperCase() as DnsRecordType, port: c.port }));
export type DnsSdConfig = z.output<typeof dnsSdConfigSchema>;

/** Prometheus SD mechanisms otel-bridge does not implement. */
export const UNSUPPORTED_SD = [
  'azure_sd_configs',
  'consul_sd_configs',
  'digitalocean_sd_configs',
  'docker_sd_configs',
  'dockerswarm_sd_configs',
  'ec2_sd_configs',
  'eureka_sd_configs',
  'gce_sd_configs',
  'hetzner_sd_configs',
  'ionos_sd_configs',
  'kubernetes_sd_configs',
  'kuma_sd_configs',
  'lightsail_sd_configs',
  'linode_sd_configs',
  'marathon_sd_configs',
  'nerve_sd_configs',
  'nomad_sd_configs',
  'openstack_sd_configs',
  'ovhcloud_sd_configs',
  'puppetdb_sd_configs',
  'scaleway_sd_configs',
  'serverset_sd_configs',
  'triton_sd_configs',
  'uyuni_sd_configs',
  'vultr_sd_configs',
] as const;
