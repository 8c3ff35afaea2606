/**
 * One POST on the lean HTTP/1.1 client (http1.ts) with a deadline and cancellation: the plain-HTTP FAST PATH of the
 * exporters' clients (remote write, otlphttp), which keep node:http(s) for TLS and proxies.
 *
 * Contract
 * - `leanPost(client, url, headers, body, timeoutMs, signal, maxBody)` sends `headers` (each value stringified; no
 *   Content-Length: the client writes it) and `body` to the http: `url` and resolves with the answer's status,
 *   headers (lower-cased names, first value) and the first `maxBody` bytes of its body (later bytes are read and
 *   dropped), copied out of the client's read buffer.
 * - Rejects with an Error whose `code` says what happened: `OB_HTTP_HEADER` (a header name or value holds CR or LF;
 *   nothing was sent), `ETIMEDOUT` (no complete answer within `timeoutMs`; message "no answer within timeout <n>
 *   ms"), `ECANCELED` (`signal` aborted; message "cancelled (exporter shutting down)"), or the client's own error
 *   (ECONNREFUSED, OB_HTTP_EOF, ...). These are the messages the node:http paths give for the same cases.
 */
import { headerBlock, type Http1Client } from './http1.ts';

export interface PostAnswer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

function coded(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

export async function leanPost(
  client: Http1Client,
  url: URL,
  headers: Readonly<Record<string, string | number>>,
  body: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal,
  maxBody: number,
): Promise<PostAnswer> {
  const head = headerBlock(headers);
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  const onAbort = () => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const answer: PostAnswer = { status: 0, headers: new Map(), body: Buffer.alloc(0) };
  const chunks: Buffer[] = [];
  let kept = 0;
  try {
    await client.request('POST', url, head, body, ac.signal, (h) => {
      answer.status = h.status;
      answer.headers = h.headers;
      return true;
    }, (c) => {
      if (kept >= maxBody) return;
      const part = Buffer.from(c.subarray(0, maxBody - kept)); // a view of the client's read buffer: copied
      chunks.push(part);
      kept += part.length;
    });
  } catch (err) {
    if (timedOut) throw coded('ETIMEDOUT', `no answer within timeout ${timeoutMs} ms`, err);
    if (signal.aborted) throw coded('ECANCELED', 'cancelled (exporter shutting down)', err);
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  answer.body = Buffer.concat(chunks);
  return answer;
}
