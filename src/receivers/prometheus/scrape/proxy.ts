/**
 * Proxy selection for scrape and HTTP SD clients: `proxy_url` + `no_proxy`, or `proxy_from_environment`
 * (HTTP_PROXY / HTTPS_PROXY / NO_PROXY, upper or lower case, as Go's http.ProxyFromEnvironment).
 * `no_proxy` entries: "*" (everything), a host or IP (exact), a domain (".example.com" or "example.com" also matches
 * sub-domains), an IPv4 CIDR ("10.0.0.0/8"); an entry may carry ":port".
 */
import { isIP } from 'node:net';
import type { HttpClientConfig } from '../config-http.ts';

export interface ProxyChoice {
  url: URL;
  connectHeaders: Record<string, string[]>;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => (acc << 8) + Number(p), 0) >>> 0;
}

function matchesNoProxy(noProxy: string, host: string, port: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  for (let entry of noProxy.split(',')) {
    entry = entry.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const slash = entry.indexOf('/');
    if (slash > 0 && isIP(h) === 4 && isIP(entry.slice(0, slash)) === 4) {
      const bits = Number(entry.slice(slash + 1));
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((ipv4ToInt(h) & mask) >>> 0) === ((ipv4ToInt(entry.slice(0, slash)) & mask) >>> 0)) return true;
      continue;
    }
    let ep = '';
    const colon = entry.lastIndexOf(':');
    if (colon > 0 && !entry.includes(']') && entry.indexOf(':') === colon) {
      ep = entry.slice(colon + 1);
      entry = entry.slice(0, colon);
    }
    if (ep !== '' && ep !== port) continue;
    const bare = entry.startsWith('.') ? entry.slice(1) : entry;
    if (h === bare || h.endsWith('.' + bare)) return true;
  }
  return false;
}

function env(name: string): string | undefined {
  return process.env[name] ?? process.env[name.toLowerCase()];
}

/** The proxy to use for `target`, or undefined for a direct connection. */
export function chooseProxy(cfg: HttpClientConfig, target: URL): ProxyChoice | undefined {
  let proxy: URL | undefined;
  let noProxy: string | undefined;
  if (cfg.proxyUrl !== undefined) {
    proxy = cfg.proxyUrl;
    noProxy = cfg.noProxy;
  } else if (cfg.proxyFromEnvironment) {
    const raw = target.protocol === 'https:' ? env('HTTPS_PROXY') : env('HTTP_PROXY');
    if (raw) {
      try {
        proxy = new URL(raw.includes('://') ? raw : `http://${raw}`);
      } catch {
        proxy = undefined;
      }
    }
    noProxy = env('NO_PROXY');
  }
  if (proxy === undefined) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (noProxy !== undefined && matchesNoProxy(noProxy, target.hostname, port)) return undefined;
  return { url: proxy, connectHeaders: cfg.proxyConnectHeader };
}

/** `Proxy-Authorization` from the proxy URL's user info, if any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}
