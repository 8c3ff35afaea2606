/**
 * `bearertokenauth` extension (Collector contrib option names):
 *
 *   extensions:
 *     bearertokenauth/in:
 *       scheme: Bearer            # default "Bearer"; "" = the header carries the bare token
 *       header: Authorization     # default
 *       token: ${env:OTLP_TOKEN}  # or
 *       filename: /run/secrets/otlp-token   # one token per line (server side accepts any; the client sends the
 *                                           # first), re-read when the file changes
 * (The contrib `tokens: [..]` list is not offered yet: /debug/config redaction does not cover that key.)
 *
 * Server side (receivers' `auth.authenticator`): the request's header must be exactly `<scheme> <token>` for one of
 * the configured tokens (constant-time comparison); otherwise AuthError "missing ..." / "invalid ..." (401 /
 * UNAUTHENTICATED). Client side (exporters' `auth.authenticator`): adds `<header>: <scheme> <token>`.
 * Secrets: neither the configured token nor the presented one is ever logged or put in an error message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { z } from 'zod';
import type { CreateSettings, ExtensionFactory } from '../../component/component.ts';
import { AuthError, type ClientAuthenticator, type HeaderLookup, type ServerAuthenticator } from '../../component/auth.ts';

export const bearerTokenAuthSchema = z
  .strictObject({
    scheme: z.string().default('Bearer'),
    header: z.string().min(1).default('Authorization'),
    token: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.token === undefined && c.filename === undefined) ctx.addIssue({ code: 'custom', message: 'set "token" or "filename"' });
    if (c.token !== undefined && c.filename !== undefined) ctx.addIssue({ code: 'custom', message: 'set only one of "token" and "filename"' });
  });
export type BearerTokenAuthConfig = z.output<typeof bearerTokenAuthSchema>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

class BearerTokenAuth implements ServerAuthenticator, ClientAuthenticator {
  readonly authSides = { server: true, client: true };
  private readonly settings: CreateSettings;
  private readonly cfg: BearerTokenAuthConfig;
  private readonly headerName: string;
  private tokens: string[] = [];
  /** sha256 of each accepted header value: equal-length buffers for timingSafeEqual. */
  private accepted: Buffer[] = [];
  private watching = false;

  constructor(settings: CreateSettings, cfg: BearerTokenAuthConfig) {
    this.settings = settings;
    this.cfg = cfg;
    this.headerName = cfg.header.toLowerCase();
  }

  async start(): Promise<void> {
    if (this.cfg.filename !== undefined) {
      this.setTokens(this.readFile(true));
      const file = this.cfg.filename;
      watchFile(file, { interval: 1000, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
        try {
          this.setTokens(this.readFile(false));
          this.settings.logger.info({ file }, 'bearer token file re-read');
        } catch (err) {
          this.settings.logger.error({ file, err: (err as Error).message }, 'cannot re-read bearer token file; keeping the previous token');
        }
      });
      this.watching = true;
    } else this.setTokens([this.cfg.token!]);
  }

  async shutdown(): Promise<void> {
    if (this.watching && this.cfg.filename !== undefined) unwatchFile(this.cfg.filename);
    this.watching = false;
  }

  private readFile(atStart: boolean): string[] {
    let text: string;
    try {
      text = readFileSync(this.cfg.filename!, 'utf8');
    } catch (err) {
      throw new Error(`${atStart ? 'cannot read' : 're-read failed for'} token file "${this.cfg.filename}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    if (lines.length === 0) throw new Error(`token file "${this.cfg.filename}" is empty`);
    return lines;
  }

  private setTokens(tokens: string[]): void {
    this.tokens = tokens;
    this.accepted = tokens.map((t) => digest(this.headerValue(t)));
  }

  private headerValue(token: string): string {
    return this.cfg.scheme === '' ? token : `${this.cfg.scheme} ${token}`;
  }

  authenticate(header: HeaderLookup): void {
    const got = header(this.headerName);
    if (got === undefined || got === '') throw new AuthError(`missing "${this.headerName}" header`);
    const d = digest(got);
    let ok = false;
    for (const a of this.accepted) ok = timingSafeEqual(a, d) || ok;
    if (!ok) {
      const expectScheme = this.cfg.scheme !== '' && !got.startsWith(`${this.cfg.scheme} `);
      throw new AuthError(expectScheme ? `"${this.headerName}" header does not use the "${this.cfg.scheme}" scheme` : `invalid ${this.cfg.scheme === '' ? '' : `${this.cfg.scheme} `}token`);
    }
  }

  clientHeaders(): Record<string, string> {
    return { [this.headerName]: this.headerValue(this.tokens[0] ?? '') };
  }

  status(): Record<string, unknown> {
    return { scheme: this.cfg.scheme, header: this.cfg.header, tokens: this.tokens.length, source: this.cfg.filename !== undefined ? `file ${this.cfg.filename}` : 'config' };
  }
}

export const bearerTokenAuthFactory: ExtensionFactory<BearerTokenAuthConfig> = {
  kind: 'extension',
  type: 'bearertokenauth',
  configSchema: bearerTokenAuthSchema,
  create: (settings, config) => new BearerTokenAuth(settings, config),
};
