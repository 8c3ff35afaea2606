/**
 * Content negotiation for Prometheus-style scraping and /metrics serving.
 *
 * Contract
 * - `SCRAPE_ACCEPT_HEADER` is byte for byte the Accept header Prometheus 2.42 sends when scraping.
 * - `formatFromContentType(ct)` picks the parser as Prometheus's textparse.New does: OpenMetrics iff the media type
 *   (before any `;`, trimmed, case-insensitive) is `application/openmetrics-text`; anything else, including a missing
 *   or malformed header, is the text format.
 * - `formatFromAccept(accept)` is for the /metrics exporter: OpenMetrics iff the client lists
 *   `application/openmetrics-text` with a non-zero q; otherwise text. `contentTypeFor(format)` gives the
 *   Content-Type client_golang sends for each.
 */
import type { Format } from './types.ts';

export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const OM_MEDIA_TYPE = 'application/openmetrics-text';

export function formatFromContentType(contentType: string | null | undefined): Format {
  if (!contentType) return 'text';
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === OM_MEDIA_TYPE ? 'openmetrics' : 'text';
}

export function formatFromAccept(accept: string | null | undefined): Format {
  if (!accept) return 'text';
  for (const range of accept.split(',')) {
    const parts = range.split(';');
    if ((parts[0] ?? '').trim().toLowerCase() !== OM_MEDIA_TYPE) continue;
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const [k, v] = (parts[i] as string).split('=');
      if (k !== undefined && v !== undefined && k.trim().toLowerCase() === 'q') q = Number(v.trim());
    }
    if (q > 0) return 'openmetrics';
  }
  return 'text';
}

export function contentTypeFor(format: Format): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}
