/**
 * Public entry of the Prometheus text 0.0.4 / OpenMetrics 1.0.0 codec.
 *
 * Contract
 * - `createParser(format, input?, { validate })` returns a pull parser: call `next()` until `EntryType.EOF`, reading the
 *   current entry through its accessors (see parser-base.ts). Without `input` the parser streams: `write(chunk)`,
 *   drain `next()` until `NeedMore`, repeat, then `end()` and drain until `EOF`.
 * - `validate: true` (OpenMetrics only) adds the strict family-level checks of openmetrics-validate.ts: the parser
 *   then accepts exactly the valid cases of the official OpenMetrics suite. Without it the OpenMetrics parser is as
 *   lenient as Prometheus's. The option is ignored for the text format.
 * - `parseAll(format, input, opts)` parses a whole body into allocated `Entry` objects (tests, small bodies).
 * - Everything throws `ParseError` on bad input; the codec does no I/O and no logging.
 */
import { BaseParser } from './parser-base.ts';
import { PromTextParser } from './promparse.ts';
import { OpenMetricsParser } from './omparse.ts';
import { OpenMetricsValidator } from './openmetrics-validate.ts';
import { EntryType } from './types.ts';
import type { Entry, ExemplarEntry, Format, LabelPairs } from './types.ts';

export { BaseParser, PromTextParser, OpenMetricsParser, OpenMetricsValidator };
export { EntryType, ParseError } from './types.ts';
export type { Entry, ExemplarEntry, Format, LabelPairs, MetricType } from './types.ts';
export { LineChunker } from './chunker.ts';
export { formatFloat, formatFloatOM, formatGoFloat, formatMsAsSeconds, parseFloatAt } from './float.ts';
export {
  SCRAPE_ACCEPT_HEADER,
  TEXT_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  formatFromAccept,
  formatFromContentType,
  contentTypeFor,
} from './negotiate.ts';
export { writeText, writeOpenMetrics, writeExposition, escapeLabelValue } from './writer.ts';
export type { WriteFamily, WriteSample, WriteExemplar } from './writer.ts';

/** The parser type both formats share. */
export type Parser = BaseParser;

export interface ParserOptions {
  /** OpenMetrics only: enforce family-level rules (strict OpenMetrics). Default false. */
  validate?: boolean;
  /** Parse a series' labels on first access (see parser-base.ts); label errors then surface there. Default false. */
  lazyLabels?: boolean;
}

export function createParser(format: Format, input?: string | Uint8Array, opts: ParserOptions = {}): Parser {
  const p = format === 'openmetrics' ? new OpenMetricsParser(input, opts.validate === true ? new OpenMetricsValidator() : null) : new PromTextParser(input);
  p.lazyLabels = opts.lazyLabels === true;
  return p;
}

function pairs(n: number, name: (i: number) => string, value: (i: number) => string): LabelPairs {
  const out: LabelPairs = [];
  for (let i = 0; i < n; i++) out.push([name(i), value(i)]);
  return out;
}

export function parseAll(format: Format, input: string | Uint8Array, opts: ParserOptions = {}): Entry[] {
  const p = createParser(format, input, opts);
  const out: Entry[] = [];
  for (;;) {
    const t = p.next();
    switch (t) {
      case EntryType.EOF:
      case EntryType.NeedMore:
        return out;
      case EntryType.Help:
        out.push({ type: 'help', name: p.metadataName(), help: p.help() });
        break;
      case EntryType.Type:
        out.push({ type: 'type', name: p.metadataName(), metricType: p.metricType() });
        break;
      case EntryType.Unit:
        out.push({ type: 'unit', name: p.metadataName(), unit: p.unit() });
        break;
      case EntryType.Comment:
        out.push({ type: 'comment', text: p.comment() });
        break;
      case EntryType.Series: {
        const e: Entry = {
          type: 'series',
          series: p.series(),
          name: p.metricName(),
          labels: pairs(p.labelCount(), (i) => p.labelName(i), (i) => p.labelValue(i)),
          value: p.value(),
        };
        if (p.hasTimestamp()) e.timestampMs = p.timestamp();
        if (p.hasExemplar()) {
          const x: ExemplarEntry = {
            labels: pairs(p.exemplarLabelCount(), (i) => p.exemplarLabelName(i), (i) => p.exemplarLabelValue(i)),
            value: p.exemplarValue(),
          };
          if (p.exemplarHasTimestamp()) x.timestampMs = p.exemplarTimestamp();
          e.exemplar = x;
        }
        out.push(e);
        break;
      }
    }
  }
}
