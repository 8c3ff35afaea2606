/**
 * Shared vocabulary of the Prometheus text 0.0.4 / OpenMetrics 1.0.0 codec.
 *
 * Contract
 * - `EntryType` values are what `Parser.next()` returns; one entry per logical line (blank lines and, in
 *   OpenMetrics, the `# EOF` line produce no entry of their own). `NeedMore` is only returned by a streaming parser
 *   that has consumed every complete line written so far and has not been told `end()`.
 * - `MetricType` is the union of both formats' TYPE words. The text format only knows counter, gauge, histogram,
 *   summary and untyped; OpenMetrics knows every other word but not `untyped`.
 * - `ParseError` is the only error a parser throws for bad input; `line` is 1-based, `column` 1-based in UTF-16
 *   code units of the line, and `message` names what was expected and the offending text.
 * - `Entry` is the allocated, self-contained form `parseAll` returns (tests, small bodies). The scrape hot path uses the
 *   parser accessors instead.
 */

export const EntryType = {
  /** A `# HELP` line: `metadataName()`, `help()`. */
  Help: 1,
  /** A `# TYPE` line: `metadataName()`, `metricType()`. */
  Type: 2,
  /** A `# UNIT` line (OpenMetrics only): `metadataName()`, `unit()`. */
  Unit: 3,
  /** A comment line (text format only): `comment()`. */
  Comment: 4,
  /** A sample line: `series()`, `metricName()`, labels, `value()`, timestamp, exemplar. */
  Series: 5,
  /** End of input (OpenMetrics: after a valid `# EOF` and nothing else). Repeats on further calls. */
  EOF: 6,
  /** Streaming only: every complete line written so far is consumed; `write()` more or call `end()`. */
  NeedMore: 7,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export type Format = 'text' | 'openmetrics';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown'
  | 'untyped';

export class ParseError extends Error {
  /** 1-based line number in the whole input (counted across streamed chunks). */
  readonly line: number;
  /** 1-based column within the line; 0 when the error is about the input as a whole. */
  readonly column: number;
  /** The message without the position prefix. */
  readonly reason: string;

  constructor(reason: string, line: number, column: number) {
    super(column > 0 ? `line ${line}, column ${column}: ${reason}` : `line ${line}: ${reason}`);
    this.name = 'ParseError';
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** A label set as ordered [name, value] pairs, in the order they appear on the line (no `__name__`). */
export type LabelPairs = Array<[string, string]>;

export interface ExemplarEntry {
  labels: LabelPairs;
  value: number;
  /** Milliseconds; absent when the exemplar has no timestamp. */
  timestampMs?: number;
}

export type Entry =
  | { type: 'help'; name: string; help: string }
  | { type: 'type'; name: string; metricType: MetricType }
  | { type: 'unit'; name: string; unit: string }
  | { type: 'comment'; text: string }
  | {
      type: 'series';
      /** Raw series text as it appears on the line: name plus label block, up to the value. */
      series: string;
      name: string;
      labels: LabelPairs;
      value: number;
      /** Milliseconds; absent when the sample has no timestamp. */
      timestampMs?: number;
      exemplar?: ExemplarEntry;
    };
