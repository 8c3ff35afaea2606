/**
 * Authenticator contract between auth extensions (bearertokenauth, basicauth) and the components that reference them
 * with `auth: {authenticator: <extension id>}` (the Collector's extensionauth.Server / extensionauth.Client).
 *
 * - Server side: `authenticate(header)` is called once per request with a lookup of the request's headers (HTTP) or
 *   metadata (gRPC), lower-case names. It throws `AuthError` when the request is not allowed; the error's message is
 *   shown to the client (401 / UNAUTHENTICATED) and logged, so it must never contain the secret or the presented
 *   credentials.
 * - Client side: `clientHeaders()` returns the headers to add to every outgoing request (current values: a token file
 *   may have been re-read since the last call).
 * - Lookup: `serverAuthenticator` / `clientAuthenticator` find the extension at start and fail with a message that
 *   says what is wrong (not enabled in service.extensions, or an extension that cannot authenticate).
 */
import type { Component, Host } from './component.ts';

export type HeaderLookup = (lowerCaseName: string) => string | undefined;

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** An extension may implement one side or both; `authSides` says which are configured (basicauth needs htpasswd for
 *  the server side and client_auth for the client side). */
export interface AuthSides {
  readonly authSides: { readonly server: boolean; readonly client: boolean };
}

export interface ServerAuthenticator extends Component, AuthSides {
  authenticate(header: HeaderLookup): void;
}

export interface ClientAuthenticator extends Component, AuthSides {
  clientHeaders(): Record<string, string>;
}

export function isServerAuthenticator(c: Component | undefined): c is ServerAuthenticator {
  const a = c as Partial<ServerAuthenticator> | undefined;
  return a !== undefined && typeof a.authenticate === 'function' && a.authSides?.server === true;
}

export function isClientAuthenticator(c: Component | undefined): c is ClientAuthenticator {
  const a = c as Partial<ClientAuthenticator> | undefined;
  return a !== undefined && typeof a.clientHeaders === 'function' && a.authSides?.client === true;
}

function lookup(host: Host, id: string, who: string): Component {
  const ext = host.getExtension(id);
  if (ext === undefined) {
    throw new Error(`${who}: authenticator "${id}" is not a running extension; define it under "extensions:" and list it in service.extensions`);
  }
  return ext;
}

export function serverAuthenticator(host: Host, id: string, who: string): ServerAuthenticator {
  const ext = lookup(host, id, who);
  if (!isServerAuthenticator(ext)) throw new Error(`${who}: extension "${id}" cannot authenticate incoming requests (use bearertokenauth or basicauth with htpasswd)`);
  return ext;
}

export function clientAuthenticator(host: Host, id: string, who: string): ClientAuthenticator {
  const ext = lookup(host, id, who);
  if (!isClientAuthenticator(ext)) throw new Error(`${who}: extension "${id}" cannot add credentials to outgoing requests (use bearertokenauth or basicauth with client_auth)`);
  return ext;
}
