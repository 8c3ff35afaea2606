/**
 * Prometheus `HTTPClientConfig` (prometheus/common config) as used by scrape configs and `http_sd_configs`:
 * basic_auth, authorization, bearer_token(_file), tls_config, proxy_url / no_proxy / proxy_from_environment /
 * proxy_connect_header, follow_redirects, enable_http2. `oauth2` is rejected as not supported.
 *
 * Contract
 * - `httpClientFields` is spread into strict object schemas; `checkHttpClient` runs Prometheus's
 *   `HTTPClientConfig.Validate()` (same messages, same order) and `resolveHttpClient` turns the raw fields into the
 *   `HttpClientConfig` the HTTP client uses (bearer_token folded into authorization, as Prometheus does).
 * - Secrets in files (password_file, credentials_file, bearer_token_file, ca_file, cert_file, key_file) are read at
 *   request time by the client (so rotated files are picked up), never here.
 */
import { z } from 'zod';

const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export const tlsConfigSchema = z.strictObject({
  ca: z.string().optional(),
  ca_file: z.string().optional(),
  cert: z.string().optional(),
  cert_file: z.string().optional(),
  key: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: z.enum(TLS_VERSIONS).optional(),
  max_version: z.enum(TLS_VERSIONS).optional(),
});
export type TlsConfig = z.output<typeof tlsConfigSchema>;

const basicAuthSchema = z.strictObject({
  username: z.string().default(''),
  username_file: z.string().optional(),
  password: z.string().optional(),
  password_file: z.string().optional(),
});

const authorizationSchema = z.strictObject({
  type: z.string().optional(),
  credentials: z.string().optional(),
  credentials_file: z.string().optional(),
});

/** Fields shared by every HTTP client config; spread into z.strictObject({...}). */
export const httpClientFields = {
  basic_auth: basicAuthSchema.optional(),
  authorization: authorizationSchema.optional(),
  bearer_token: z.string().optional(),
  bearer_token_file: z.string().optional(),
  oauth2: z.unknown().optional(),
  tls_config: tlsConfigSchema.optional(),
  proxy_url: z.string().optional(),
  no_proxy: z.string().optional(),
  proxy_from_environment: z.boolean().default(false),
  proxy_connect_header: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  follow_redirects: z.boolean().default(true),
  enable_http2: z.boolean().default(true),
};

type RawHttpClient = z.output<z.ZodObject<typeof httpClientFields>>;

export type HttpAuth =
  | { kind: 'basic'; username: string; usernameFile: string | undefined; password: string | undefined; passwordFile: string | undefined }
  | { kind: 'authorization'; type: string; credentials: string | undefined; credentialsFile: string | undefined };

export interface HttpClientConfig {
  auth: HttpAuth | undefined;
  tls: TlsConfig | undefined;
  /** Parsed proxy URL, or undefined for a direct connection. */
  proxyUrl: URL | undefined;
  /** NO_PROXY-style list (comma separated hosts, domains, CIDRs are matched as hosts). */
  noProxy: string | undefined;
  proxyFromEnvironment: boolean;
  proxyConnectHeader: Record<string, string[]>;
  followRedirects: boolean;
  /** Accepted for config compatibility; scrapes use HTTP/1.1 (node:http), which every exporter serves. */
  enableHttp2: boolean;
}

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** `HTTPClientConfig.Validate()` plus the TLS and proxy checks, in Prometheus's order and wording. */
export function checkHttpClient(c: RawHttpClient): Issue[] {
  const out: Issue[] = [];
  const err = (path: (string | number)[], message: string) => out.push({ path, message });
  if (c.oauth2 !== undefined) err(['oauth2'], 'oauth2 is not supported by otel-bridge (use authorization or basic_auth)');
  const bearer = (c.bearer_token ?? '') !== '';
  const bearerFile = (c.bearer_token_file ?? '') !== '';
  if (bearer && bearerFile) err(['bearer_token'], 'at most one of bearer_token & bearer_token_file must be configured');
  if (c.basic_auth !== undefined && (bearer || bearerFile)) {
    err(['basic_auth'], 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
  }
  if (c.basic_auth !== undefined) {
    const b = c.basic_auth;
    if ((b.username ?? '') !== '' && (b.username_file ?? '') !== '') {
      err(['basic_auth'], 'at most one of basic_auth username & username_file must be configured');
    }
    if ((b.password ?? '') !== '' && (b.password_file ?? '') !== '') {
      err(['basic_auth'], 'at most one of basic_auth password & password_file must be configured');
    }
  }
  if (c.authorization !== undefined) {
    const a = c.authorization;
    if (bearer || bearerFile) err(['authorization'], 'authorization is not compatible with bearer_token & bearer_token_file');
    if ((a.credentials ?? '') !== '' && (a.credentials_file ?? '') !== '') {
      err(['authorization'], 'at most one of authorization credentials & credentials_file must be configured');
    }
    if ((a.type ?? '').trim().toLowerCase() === 'basic') {
      err(['authorization', 'type'], 'authorization type cannot be set to "basic", use "basic_auth" instead');
    }
    if (c.basic_auth !== undefined) err(['authorization'], 'at most one of basic_auth, oauth2 & authorization must be configured');
  }
  const t = c.tls_config;
  if (t !== undefined) {
    const both = (a: string | undefined, b: string | undefined) => (a ?? '') !== '' && (b ?? '') !== '';
    const any = (a: string | undefined, b: string | undefined) => (a ?? '') !== '' || (b ?? '') !== '';
    if (both(t.ca, t.ca_file)) err(['tls_config'], 'at most one of ca and ca_file must be configured');
    if (both(t.cert, t.cert_file)) err(['tls_config'], 'at most one of cert and cert_file must be configured');
    if (both(t.key, t.key_file)) err(['tls_config'], 'at most one of key and key_file must be configured');
    if (any(t.cert, t.cert_file) && !any(t.key, t.key_file)) {
      err(['tls_config'], 'exactly one of key or key_file must be configured when a client certificate is configured');
    }
    if (any(t.key, t.key_file) && !any(t.cert, t.cert_file)) {
      err(['tls_config'], 'exactly one of cert or cert_file must be configured when a client key is configured');
    }
    const order = (v: TlsVersion | undefined) => (v === undefined ? -1 : TLS_VERSIONS.indexOf(v));
    if (t.min_version !== undefined && t.max_version !== undefined && order(t.min_version) > order(t.max_version)) {
      err(['tls_config', 'min_version'], `tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified`);
    }
  }
  if (c.proxy_url !== undefined && c.proxy_url !== '') {
    let u: URL | undefined;
    try {
      u = new URL(c.proxy_url);
    } catch {
      err(['proxy_url'], `invalid proxy_url ${JSON.stringify(c.proxy_url)}`);
    }
    if (u !== undefined && u.protocol !== 'http:' && u.protocol !== 'https:') {
      err(['proxy_url'], `proxy_url scheme must be http or https, got ${JSON.stringify(u.protocol.slice(0, -1))} (socks5 is not supported)`);
    }
    if (c.proxy_from_environment) err(['proxy_from_environment'], 'if proxy_from_environment is configured, proxy_url must not be configured');
  } else {
    if ((c.no_proxy ?? '') !== '') err(['no_proxy'], 'if no_proxy is configured, proxy_url must also be configured');
    if (c.proxy_connect_header !== undefined && Object.keys(c.proxy_connect_header).length > 0 && !c.proxy_from_environment) {
      err(['proxy_connect_header'], 'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured');
    }
  }
  return out;
}

export function resolveHttpClient(c: RawHttpClient): HttpClientConfig {
  let auth: HttpAuth | undefined;
  if (c.basic_auth !== undefined) {
    const b = c.basic_auth;
    auth = { kind: 'basic', username: b.username, usernameFile: b.username_file || undefined, password: b.password, passwordFile: b.password_file || undefined };
  } else if (c.authorization !== undefined) {
    const a = c.authorization;
    auth = { kind: 'authorization', type: (a.type ?? '').trim() || 'Bearer', credentials: a.credentials, credentialsFile: a.credentials_file || undefined };
  } else if ((c.bearer_token ?? '') !== '' || (c.bearer_token_file ?? '') !== '') {
    auth = { kind: 'authorization', type: 'Bearer', credentials: c.bearer_token || undefined, credentialsFile: c.bearer_token_file || undefined };
  }
  const header: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(c.proxy_connect_header ?? {})) header[k] = Array.isArray(v) ? v : [v];
  return {
    auth,
    tls: c.tls_config,
    proxyUrl: c.proxy_url ? new URL(c.proxy_url) : undefined,
    noProxy: c.no_proxy || undefined,
    proxyFromEnvironment: c.proxy_from_environment,
    proxyConnectHeader: header,
    followRedirects: c.follow_redirects,
    enableHttp2: c.enable_http2,
  };
}
