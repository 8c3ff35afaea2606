/**
 * Small helpers for the gateway's own listening servers (ops server, /metrics endpoint, OTLP listeners).
 *
 * Contract: `boundAddress` gives `host:port` of what the server actually bound (IPv6 in brackets, the real port when
 * the config asked for :0), or `fallback` before it is listening. `closeHttpServer` stops accepting, drops idle and
 * active keep-alive connections at once and resolves when the server has closed; a no-op for `undefined`.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';

export function boundAddress(server: Server, fallback: string): string {
  const a = server.address();
  return typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : fallback;
}

export async function closeHttpServer(s: HttpServer | undefined): Promise<void> {
  if (!s) return;
  await new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
