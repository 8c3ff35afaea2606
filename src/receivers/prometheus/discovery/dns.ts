/**
 * `dns_sd_configs` (Prometheus discovery/dns): every `refresh_interval` (first at start) each name is resolved;
 * SRV records give `<target>:<port>`, A / AAAA give `<ip>:<port>` (IPv6 bracketed), MX / NS give `<host>:<port>`.
 * Labels as upstream: `__meta_dns_name`, `__meta_dns_srv_record_target` (with the trailing dot of the rooted name),
 * `__meta_dns_srv_record_port`, `__meta_dns_mx_record_target`, `__meta_dns_ns_record_target` (empty ones are dropped
 * with the target's other empty labels). One group per name, source = the name.
 * A and AAAA go through the system resolver (getaddrinfo: /etc/hosts included, so `localhost` works); SRV, MX and
 * NS query DNS servers. A name whose lookup fails keeps its last good group (logged, shown in status()).
 */
import { lookup, Resolver } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { DnsSdConfig } from '../config-sd.ts';
import { joinHostPort } from '../labels.ts';
import { PollingProvider } from './polling.ts';
import type { TargetGroup } from './types.ts';

export interface DnsResolver {
  a(name: string, family: 4 | 6): Promise<string[]>;
  srv(name: string): Promise<Array<{ name: string; port: number }>>;
  mx(name: string): Promise<string[]>;
  ns(name: string): Promise<string[]>;
}

export function systemResolver(): DnsResolver {
  const r = new Resolver({ timeout: 5000, tries: 2 });
  return {
    a: async (name, family) => (await lookup(name, { family, all: true })).map((x) => x.address),
    srv: async (name) => (await r.resolveSrv(name)).map((x) => ({ name: x.name, port: x.port })),
    mx: async (name) => (await r.resolveMx(name)).map((x) => x.exchange),
    ns: (name) => r.resolveNs(name),
  };
}

function rooted(host: string): string {
  return host.endsWith('.') ? host : host + '.';
}

export class DnsProvider extends PollingProvider {
  private readonly cfg: DnsSdConfig;
  private readonly resolver: DnsResolver;
  private readonly perName = new Map<string, TargetGroup>();

  constructor(name: string, cfg: DnsSdConfig, logger: Logger, resolver: DnsResolver = systemResolver()) {
    super(name, logger, { intervalMs: cfg.refreshIntervalMs, keyField: 'name', errorMessage: 'dns_sd: error refreshing DNS targets; keeping the last good ones' });
    this.cfg = cfg;
    this.resolver = resolver;
  }

  private async lookupOne(name: string): Promise<TargetGroup> {
    const port = this.cfg.port;
    const targets: Array<Record<string, string>> = [];
    const add = (address: string, srvTarget = '', srvPort = '', mx = '', ns = '') =>
      targets.push({
        __address__: address,
        __meta_dns_name: name,
        __meta_dns_srv_record_target: srvTarget,
        __meta_dns_srv_record_port: srvPort,
        __meta_dns_mx_record_target: mx,
        __meta_dns_ns_record_target: ns,
      });
    switch (this.cfg.type) {
      case 'SRV':
        for (const r of await this.resolver.srv(name)) add(joinHostPort(r.name.replace(/\.+$/, ''), r.port), rooted(r.name), String(r.port));
        break;
      case 'A':
      case 'AAAA':
        for (const ip of await this.resolver.a(name, this.cfg.type === 'A' ? 4 : 6)) add(joinHostPort(ip, port));
        break;
      case 'MX':
        for (const h of await this.resolver.mx(name)) add(joinHostPort(h.replace(/\.+$/, ''), port), '', '', rooted(h));
        break;
      case 'NS':
        for (const h of await this.resolver.ns(name)) add(joinHostPort(h.replace(/\.+$/, ''), port), '', '', '', rooted(h));
        break;
    }
    return { source: name, targets, labels: {} };
  }

  protected async discover(): Promise<TargetGroup[]> {
    await Promise.all(
      this.cfg.names.map(async (name) => {
        try {
          this.perName.set(name, await this.lookupOne(name));
          this.errors.delete(name);
        } catch (err) {
          this.keyFailed(name, (err as Error).message);
        }
      }),
    );
    return this.cfg.names.flatMap((n) => (this.perName.has(n) ? [this.perName.get(n)!] : []));
  }
}
