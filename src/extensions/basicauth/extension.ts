/**
 * `basicauth` extension (Collector contrib option names):
 *
 *   extensions:
 *     basicauth/server:
 *       htpasswd:
 *         file: /etc/otel/htpasswd      # and/or
 *         inline: |
 *           alice:$2y$10$...            # bcrypt, $apr1$, {SHA}, {SSHA}, $5$, $6$ (see htpasswd.ts)
 *     basicauth/client:
 *       client_auth:
 *         username: bob
 *         password: ${env:BOB_PASSWORD}
 *
 * Server side (needs `htpasswd`): `Authorization: Basic base64(user:password)` must match an entry (file entries
 * first, inline ones override); else AuthError (401 / UNAUTHENTICATED). The file is read at start. Successful checks
 * are remembered (keyed by a SHA-256 of the presented credentials, never the password itself) so bcrypt's deliberate
 * slowness is paid once per credential, not per request; at most 1000 entries, cleared when full.
 * Client side (needs `client_auth`): adds `authorization: Basic ...`. Secrets are never logged or echoed in errors.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CreateSettings, ExtensionFactory } from '../../component/component.ts';
import { AuthError, type ClientAuthenticator, type HeaderLookup, type ServerAuthenticator } from '../../component/auth.ts';
import { parseHtpasswd, verify } from './htpasswd.ts';

export const basicAuthSchema = z
  .strictObject({
    htpasswd: z.strictObject({ file: z.string().min(1).optional(), inline: z.string().optional() }).optional(),
    client_auth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.htpasswd === undefined && c.client_auth === undefined) ctx.addIssue({ code: 'custom', message: 'set "htpasswd" (to check incoming requests) and/or "client_auth" (to authenticate outgoing ones)' });
    if (c.htpasswd !== undefined && c.htpasswd.file === undefined && (c.htpasswd.inline ?? '').trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['htpasswd'], message: 'set "file" and/or "inline"' });
    }
  });
export type BasicAuthConfig = z.output<typeof basicAuthSchema>;

const MAX_CACHE = 1000;

class BasicAuth implements ServerAuthenticator, ClientAuthenticator {
  readonly authSides: { server: boolean; client: boolean };
  private readonly settings: CreateSettings;
  private readonly cfg: BasicAuthConfig;
  private users = new Map<string, string>();
  private readonly verified = new Set<string>();

  constructor(settings: CreateSettings, cfg: BasicAuthConfig) {
    this.settings = settings;
    this.cfg = cfg;
    this.authSides = { server: cfg.htpasswd !== undefined, client: cfg.client_auth !== undefined };
  }

  async start(): Promise<void> {
    const h = this.cfg.htpasswd;
    if (!h) return;
    const users = new Map<string, string>();
    if (h.file !== undefined) {
      let text: string;
      try {
        text = readFileSync(h.file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read htpasswd file "${h.file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      for (const [u, p] of parseHtpasswd(text, h.file)) users.set(u, p);
    }
    if (h.inline !== undefined) for (const [u, p] of parseHtpasswd(h.inline, 'htpasswd.inline')) users.set(u, p);
    if (users.size === 0) throw new Error('htpasswd has no users');
    this.users = users;
    this.settings.logger.info({ users: users.size }, 'basic auth users loaded');
  }

  async shutdown(): Promise<void> {
    this.verified.clear();
  }

  authenticate(header: HeaderLookup): void {
    if (!this.authSides.server) throw new AuthError('this basicauth extension has no htpasswd to check requests against');
    const v = header('authorization');
    if (v === undefined || v === '') throw new AuthError('missing "authorization" header (Basic credentials required)');
    const m = /^basic\s+(\S+)$/i.exec(v.trim());
    if (!m) throw new AuthError('"authorization" header is not Basic credentials');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AuthError('malformed Basic credentials (expected base64 of "user:password")');
    const user = decoded.slice(0, colon);
    const key = createHash('sha256').update(m[1]!).digest('base64');
    if (this.verified.has(key)) return;
    const hash = this.users.get(user);
    // Unknown users cost the same as a wrong password only for cheap schemes; the answer is identical either way.
    if (hash === undefined || !verify(decoded.slice(colon + 1), hash)) throw new AuthError('invalid username or password');
    if (this.verified.size >= MAX_CACHE) this.verified.clear();
    this.verified.add(key);
  }

  clientHeaders(): Record<string, string> {
    const c = this.cfg.client_auth;
    if (!c) return {};
    return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}` };
  }

  status(): Record<string, unknown> {
    return { server: this.authSides.server ? { users: this.users.size } : false, client: this.authSides.client ? { username: this.cfg.client_auth!.username } : false };
  }
}

export const basicAuthFactory: ExtensionFactory<BasicAuthConfig> = {
  kind: 'extension',
  type: 'basicauth',
  configSchema: basicAuthSchema,
  create: (settings, config) => new BasicAuth(settings, config),
};
